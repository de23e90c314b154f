"""The documentation site builds with no warning (numpydoc validation of every docstring it shows included), and
the user guide's examples run as written (in order, one namespace per page, in a temporary directory)."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
GUIDE = DOCS / "guide"
HAVE_SPHINX = all(importlib.util.find_spec(name) for name in ("sphinx", "numpydoc", "myst_parser", "furo"))
needs_docs = pytest.mark.skipif(not DOCS.is_dir(), reason="docs/ is not shipped with an installed package")


@needs_docs
@pytest.mark.skipif(not HAVE_SPHINX, reason="the docs extra is not installed: pip install '.[docs]'")
def test_the_site_builds_without_warnings(tmp_path):
    # In a process of its own: autodoc_preserve_defaults rewrites the documented functions' default values
    # (Sphinx's DefaultValue objects), which would break scikit-learn's checks of the constructors later in
    # this process.
    build = subprocess.run([sys.executable, "-W", "ignore", "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q",
                            "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, f"sphinx-build failed ({build.returncode}):\n{build.stderr}"
    assert (tmp_path / "html" / "index.html").is_file()
    assert (tmp_path / "html" / "api" / "network.html").is_file()


def guide_pages():
    return sorted(GUIDE.glob("*.md")) if GUIDE.is_dir() else []


@needs_docs
@pytest.mark.parametrize("page", guide_pages(), ids=lambda page: page.stem)
def test_the_guide_examples_run(page, tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)
    if page.stem == "index":
        assert not blocks
        return
    assert blocks, f"{page.name} has no example"
    if page.stem == "scale":
        pytest.importorskip("dask.array")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for block in blocks:
        exec(compile(block, str(page), "exec"), namespace)  # noqa: S102 - our own documentation
