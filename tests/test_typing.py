"""The public API's type annotations, checked as CI checks them: ``mypy`` on the package (pyproject.toml's
``[tool.mypy]``: strict, with the relaxations listed there) and ``mypy --strict`` on a user's script."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

api = pytest.importorskip("mypy.api", reason="mypy is not installed (it is in the test extra: pip install -e .[test])")

ROOT = Path(__file__).resolve().parents[1]
USER_SCRIPT = ROOT / "tests" / "typing" / "user_script.py"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    # One cache for both runs: the second reuses the package's analysis (a cold run of both takes ~40 s on 2 cores).
    return str(tmp_path_factory.mktemp("mypy_cache"))


def run_mypy(*args):
    cwd = os.getcwd()
    os.chdir(ROOT)  # pyproject.toml's [tool.mypy] and its relative paths
    try:
        stdout, stderr, status = api.run(list(args))
    finally:
        os.chdir(cwd)
    return status, f"{stdout}{stderr}"


def test_package_passes_its_mypy_configuration(cache_dir):
    status, output = run_mypy("--cache-dir", cache_dir)
    assert status == 0, output


def test_user_script_passes_mypy_strict(cache_dir):
    status, output = run_mypy("--strict", "--cache-dir", cache_dir, str(USER_SCRIPT))
    assert status == 0, output


def test_user_script_runs():
    # The script's assertions on values (its assert_type calls are for the checker), outside pytest's
    # warnings-as-errors: its short fits stop before converging, on purpose.
    done = subprocess.run([sys.executable, str(USER_SCRIPT)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
