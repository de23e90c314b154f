"""ufldl._lib.optional: a missing optional dependency is told apart from an installed one whose import fails, and
a Ctrl-C that a package turned into an ImportError during its import stays a Ctrl-C (the CLI then exits with 130,
instead of saying that an installed package is not installed)."""

import sys

import pytest

from ufldl import datasets, viz
from ufldl._lib.optional import import_installed, installed, raise_if_interrupted

INTERRUPTED = """try:
    raise KeyboardInterrupt
except BaseException as exc:  # as some packages guard their optional imports
    raise ImportError("cannot import the extension") from exc
"""
BROKEN = 'raise ImportError("libfoo.so: cannot open shared object file")\n'


@pytest.fixture
def package(tmp_path, monkeypatch):
    """Writes an importable package ``name`` whose __init__ is ``source``, and forgets it afterwards."""
    def make(name, source):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(source)
        monkeypatch.delitem(sys.modules, name, raising=False)
        return name

    monkeypatch.syspath_prepend(str(tmp_path))
    return make


def test_a_missing_module_is_none():
    assert not installed("ufldl_no_such_module") and import_installed("ufldl_no_such_module") is None
    assert not installed("ufldl_no_such_module.sub")


def test_a_module_blocked_in_sys_modules_counts_as_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    assert not installed("PIL")
    with pytest.raises(ImportError, match="needs Pillow, which is not installed"):
        viz._pillow("save_image")


def test_an_interrupted_import_raises_keyboard_interrupt(package):
    name = package("ufldl_interrupted_pkg", INTERRUPTED)
    assert installed(name)
    with pytest.raises(KeyboardInterrupt):
        import_installed(name)
    with pytest.raises(KeyboardInterrupt):  # not "... is not installed"
        datasets._require((name, "interrupted-pkg"))


def test_an_installed_module_that_fails_raises_its_own_error(package):
    name = package("ufldl_broken_pkg", BROKEN)
    with pytest.raises(ImportError, match="libfoo.so"):
        import_installed(name)
    with pytest.raises(ImportError, match="libfoo.so"):
        datasets._require((name, "broken-pkg"))


def test_missing_modules_are_named_together():
    with pytest.raises(ImportError, match="needs a-pkg and b-pkg, which are not installed: pip install a-pkg b-pkg"):
        datasets._require(("ufldl_missing_a", "a-pkg"), ("ufldl_missing_b", "b-pkg"))


def test_raise_if_interrupted_follows_causes_and_contexts():
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ImportError("during handling")  # the context, not the cause
    except ImportError as exc:
        with pytest.raises(KeyboardInterrupt):
            raise_if_interrupted(exc)
    raise_if_interrupted(ImportError("plain"))  # nothing raised
