"""pytest setup for the benchmarks: collect ``bench_*.py``.

pyproject.toml keeps pytest's default ``python_files`` (``test_*.py``) and sets ``testpaths = ["tests"]``, so a
bare ``python -m pytest`` and ``python -m pytest tests`` never run a benchmark. This conftest is only loaded when
pytest is pointed at this folder (``python -m pytest benchmarks``); it then collects the ``bench_<area>.py``
files as test modules.
"""

import pytest


def pytest_collect_file(file_path, parent):
    # A file named on the command line (python -m pytest benchmarks/bench_network.py) is already collected by
    # pytest's own python plugin; returning a second Module for it would run every benchmark twice.
    if file_path.suffix == ".py" and file_path.name.startswith("bench_") and not parent.session.isinitpath(file_path):
        return pytest.Module.from_parent(parent, path=file_path)
    return None
