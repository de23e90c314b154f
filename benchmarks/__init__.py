"""Benchmarks (pytest-benchmark); see README.md. A package so that its conftest is imported as
``benchmarks.conftest`` and never shadows ``tests/conftest.py`` in ``sys.modules["conftest"]``."""
