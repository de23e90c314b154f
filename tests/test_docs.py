"""The documentation site builds with no warning (numpydoc validation of every docstring it shows included), and
the user guide's examples run as written (in order, one namespace per page, in a temporary directory)."""

import contextlib
import importlib.util
import io
import re
import warnings
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
GUIDE = DOCS / "guide"
HAVE_SPHINX = all(importlib.util.find_spec(name) for name in ("sphinx", "numpydoc", "myst_parser", "furo"))
needs_docs = pytest.mark.skipif(not DOCS.is_dir(), reason="docs/ is not shipped with an installed package")


@needs_docs
@pytest.mark.skipif(not HAVE_SPHINX, reason="the docs extra is not installed: pip install '.[docs]'")
def test_the_site_builds_without_warnings(tmp_path):
    from sphinx.cmd.build import build_main

    stderr = io.StringIO()
    # (Sphinx and its extensions emit their own deprecation warnings; the site's are its log, read below.)
    with warnings.catch_warnings(), contextlib.redirect_stderr(stderr):
        warnings.simplefilter("ignore")
        status = build_main(["-W", "--keep-going", "-b", "html", "-q", "-d", str(tmp_path / "doctrees"),
                             str(DOCS), str(tmp_path / "html")])
    assert status == 0, f"sphinx-build failed ({status}):\n{stderr.getvalue()}"
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
