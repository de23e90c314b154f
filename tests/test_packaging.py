"""The packaging metadata (pyproject.toml) and the sdist's contents.

The full check (build the sdist and the wheel, twine check, install into an environment without a compiler,
the lowest dependency versions) is tools/check_packaging.sh, which .ci/run runs.
"""

import importlib.metadata
import importlib.util
import re
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest

import ufldl

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
sys.path.insert(0, str(ROOT / "tools"))
import check_sdist  # noqa: E402
import min_constraints  # noqa: E402

sys.path.remove(str(ROOT / "tools"))


def test_the_version_has_one_source():
    project = PYPROJECT["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    [entry] = PYPROJECT["tool"]["dynamic-metadata"]
    assert entry == {"provider": "scikit_build_core.metadata.regex", "field": "version",
                     "input": "python/ufldl/__init__.py"}
    source = (ROOT / "python" / "ufldl" / "__init__.py").read_text(encoding="utf-8")
    assert re.findall(r'^__version__ = "([^"]+)"$', source, flags=re.M) == [ufldl.__version__]
    assert importlib.metadata.version("ufldl") == ufldl.__version__  # what the installed metadata says


def test_license_metadata_is_pep_639():
    project = PYPROJECT["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "the ufldl developers" in text
    assert not any(c.startswith("License ::") for c in project["classifiers"]), "PEP 639: no license classifier"
    metadata = importlib.metadata.metadata("ufldl")
    assert metadata["License-Expression"] == "MIT"


def test_every_dependency_has_a_tested_lower_bound():
    lines = min_constraints.minimum_constraints(["plot", "test"])
    pins = dict(line.split("==") for line in lines)
    assert {"numpy", "scipy", "scikit-learn", "threadpoolctl", "scipy-openblas32", "tqdm", "matplotlib"} <= set(pins)
    # sklearn.utils.validation.validate_data, which the estimators call, is new in scikit-learn 1.6.
    assert tuple(map(int, pins["scikit-learn"].split(".")[:2])) >= (1, 6)


def test_matplotlib_is_an_extra_included_in_the_test_extra():
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert any(r.startswith("matplotlib") for r in extras["plot"])
    assert "ufldl[plot]" in extras["test"]
    assert not any(r.startswith("matplotlib") for r in PYPROJECT["project"]["dependencies"])


def test_cibuildwheel_repair_leaves_out_the_openblas_of_the_dependency():
    command = PYPROJECT["tool"]["cibuildwheel"]["linux"]["repair-wheel-command"]
    assert command.startswith("auditwheel repair") and "--exclude libscipy_openblas.so" in command


def test_the_sdist_checker_refuses_what_is_not_the_project():
    found = check_sdist.problems([".venv/bin/python", "build/editable/x.o", ".hypothesis/examples/a",
                                  "bench.json", "python/ufldl/__pycache__/a.pyc", "README.md"], 10_000)
    assert len([f for f in found if f.startswith("not part of the project")]) == 5
    assert "missing: LICENSE" in found
    assert check_sdist.problems(list(check_sdist.REQUIRED), 10_000) == []


@pytest.mark.skipif(importlib.util.find_spec("scikit_build_core") is None,
                    reason="scikit-build-core is not installed here (tools/check_packaging.sh builds the sdist)")
def test_the_sdist_holds_only_the_project(tmp_path, monkeypatch):
    from scikit_build_core.build import build_sdist

    monkeypatch.chdir(ROOT)
    name = build_sdist(str(tmp_path))
    path = tmp_path / name
    files = check_sdist.members(path)
    assert check_sdist.problems(files, path.stat().st_size) == []
    with tarfile.open(path) as archive:
        assert archive.extractfile(f"{name[:-len('.tar.gz')]}/PKG-INFO").read().decode().count("License-Expression: MIT")
