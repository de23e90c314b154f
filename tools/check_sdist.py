"""Check that an sdist of ufldl holds the project and nothing else.

    python tools/check_sdist.py [--strict] dist/ufldl-0.1.0.tar.gz

Fails (exit 1, naming the files) when the archive holds anything of a work tree that is not the project (a
virtual environment, a build tree, caches, compiled files, benchmark output, demo runs), when a file the build
or the tests need is missing, or, inside a git checkout, when it holds a file that git ignores. A file git does
not track (PKG-INFO aside, which the backend writes) is reported, and fails the check with ``--strict`` (as in
CI, whose fresh clone holds nothing untracked but what the run made); in a work tree it may be new work not yet
committed. ``tests/test_packaging.py`` runs the same checks on an sdist built in-process.
"""

import fnmatch
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Anything matching one of these (on any path component, or the whole relative path) is not the project.
FORBIDDEN = (".venv", "venv", "build", "dist", ".git", ".hypothesis", ".pytest_cache", ".benchmarks", "__pycache__",
             ".mypy_cache", "*.egg-info", "*.so", "*.pyc", "*.pyo", "*.o", "*.a", "*.json", "*.npz", "*.npy",
             "ufldl-demo*", ".ci")
#: Data the tests need, shipped on purpose (the fixture of minFunc's evaluations).
ALLOWED = ("tests/data/*.npz",)

#: What building and testing from the sdist needs.
REQUIRED = ("PKG-INFO", "pyproject.toml", "CMakeLists.txt", "README.md", "LICENSE", "python/ufldl/__init__.py",
            "python/ufldl/py.typed", "cpp/bindings/module.cpp", "tests/conftest.py", "tests/data/minfunc_lbfgs.npz")

#: The sdist is a few hundred kB; a multi-megabyte one has picked up something it should not have.
MAX_BYTES = 5 * 1024 * 1024


def members(path):
    """The files of the sdist, relative to its top directory (``ufldl-X.Y.Z/``)."""
    with tarfile.open(path) as archive:
        names = [m.name for m in archive.getmembers() if m.isfile() or m.issym()]
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) != 1:
        raise ValueError(f"{path}: expected one top directory, got {sorted(tops)}")
    return sorted(name.split("/", 1)[1] for name in names if "/" in name)


def tracked_files(root=ROOT):
    """The files git tracks in ``root``, or None outside a git checkout (or without git)."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return set(out.decode().split("\0")) - {""}


def ignored_files(files, root=ROOT):
    """Those of ``files`` that git's ignore rules match (empty outside a git checkout)."""
    try:
        out = subprocess.run(["git", "check-ignore", "--no-index", "--stdin", "-z"], cwd=root, capture_output=True,
                             input="\0".join(files).encode()).stdout
    except OSError:
        return set()
    return set(out.decode().split("\0")) - {""}


def problems(files, size, tracked=None, ignored=()):
    """What is wrong with an sdist holding ``files`` (relative paths) of ``size`` bytes: a list of lines.
    ``tracked``: the files git tracks (None: not checked); ``ignored``: the files git ignores."""
    found = []
    for name in files:
        parts = name.split("/")
        bad = [p for p in FORBIDDEN if any(fnmatch.fnmatch(part, p) for part in parts)]
        if bad and not any(fnmatch.fnmatch(name, allowed) for allowed in ALLOWED):
            found.append(f"not part of the project ({bad[0]}): {name}")
    for name in REQUIRED:
        if name not in files:
            found.append(f"missing: {name}")
    found += [f"ignored by git: {name}" for name in files if name in ignored]
    if tracked is not None:
        found += [f"not tracked by git: {name}" for name in files
                  if name != "PKG-INFO" and name not in tracked and name not in ignored]
    if size > MAX_BYTES:
        found.append(f"{size} bytes, more than the {MAX_BYTES} an sdist of this project takes")
    return found


def main(argv):
    strict = "--strict" in argv
    argv = [a for a in argv if a != "--strict"]
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    path = Path(argv[0])
    files = members(path)
    found = problems(files, path.stat().st_size, tracked_files(), ignored_files(files))
    if not strict:
        for line in [f for f in found if f.startswith("not tracked by git")]:
            print(f"{path}: warning: {line} (new work not committed yet? --strict refuses it)", file=sys.stderr)
        found = [f for f in found if not f.startswith("not tracked by git")]
    if found:
        print(f"{path}: {len(found)} problem(s):\n  " + "\n  ".join(found), file=sys.stderr)
        return 1
    print(f"{path}: {len(files)} files, {path.stat().st_size / 1024:.0f} KiB, only the project")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
