"""Print pip constraints pinning every dependency of ufldl to the lowest version pyproject.toml allows.

    python tools/min_constraints.py [EXTRA ...] > constraints.txt

Each requirement of ``[project] dependencies`` (and of the optional extras named, and of the extras they name
in turn, such as the test extra's ``ufldl[dask]``) must have a lower bound (``>=X``); the line printed is
``name==X``. A requirement without one is an error: its minimum would be
untested. tools/check_packaging.sh installs the wheel with these constraints and runs a subset of the tests.
"""

import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def minimum_constraints(extras=()):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    pending, seen = list(extras), set()
    while pending:  # the extras named, and those their self-references (ufldl[dask]) name
        extra = pending.pop(0)
        if extra in seen:
            continue
        seen.add(extra)
        for text in project["optional-dependencies"][extra]:
            req = Requirement(text)
            if req.name == project["name"]:
                pending += sorted(req.extras)
            else:
                requirements.append(text)
    lines = []
    for text in requirements:
        req = Requirement(text)
        lows = [spec.version for spec in req.specifier if spec.operator == ">="]
        if len(lows) != 1:
            raise SystemExit(f"pyproject.toml: {text!r} needs exactly one lower bound (>=) to be tested at it")
        lines.append(f"{req.name}=={lows[0]}")
    return lines


if __name__ == "__main__":
    print("\n".join(minimum_constraints(sys.argv[1:])))
