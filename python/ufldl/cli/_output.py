"""Where a subcommand writes: the checks made before any work, so that a bad --out fails at once and a file
the command did not write is never overwritten."""

import argparse
import json
import os
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeAlias

#: A command's ``say``: ``print`` (flushed), or nothing with --quiet.
Say: TypeAlias = Callable[..., None]


def output_paths(out: str, parser: argparse.ArgumentParser, marker: str) -> tuple[Path, Path, Path]:
    """Check --out (a .png) and its siblings before any work; return the (features, loss, record) paths.

    ``record`` (run.json) is only overwritten when it was written by the program named ``marker``.
    """
    features = Path(out)
    if features.suffix.lower() != ".png":
        parser.error(f"--out must name a .png file (the features picture); got {out!r}")
    if features.is_dir():
        parser.error(f"--out {out!r} is a directory; give a file name such as {str(features / 'features.png')!r}")
    if features.name.lower() == "loss.png":
        parser.error("--out must not be named loss.png: the loss curve is written to loss.png beside it")
    loss = features.with_name("loss.png")
    record = features.with_name("run.json")
    for path in (features, loss):
        if path.exists() and not path.is_file():
            parser.error(f"cannot write {str(path)!r}: it exists and is not a regular file")
    check_record(record, parser, marker)
    check_own_file(loss, parser, marker, recorded_files(record))
    parent = features.parent
    if parent.exists() and not parent.is_dir():
        parser.error(f"cannot create the output directory {str(parent)!r}: a file of that name exists")
    return features, loss, record


def check_record(record: Path, parser: argparse.ArgumentParser, marker: str) -> None:
    """Refuse (a usage error) to overwrite a run.json that the program ``marker`` did not write."""
    if not record.exists():
        return
    try:
        previous = json.loads(record.read_text(encoding="utf-8"))
        ours = isinstance(previous, dict) and previous.get("program") == marker
    except (OSError, UnicodeDecodeError, ValueError):
        ours = False
    if not ours:
        parser.error(
            f"refusing to overwrite {str(record)!r}: it exists and is not a run.json written by '{marker}'; "
            "move it away or choose another --out directory"
        )


def recorded_files(record: Path) -> set[str]:
    """The names of the files the run.json ``record`` lists (its ``"files"``), or an empty set when there is
    none. Call ``check_record`` first: it refuses a run.json that another program wrote."""
    try:
        files = json.loads(record.read_text(encoding="utf-8")).get("files")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return set()
    if not isinstance(files, dict):
        return set()
    return {Path(name).name for name in files.values() if isinstance(name, str)}


def check_own_file(path: Path, parser: argparse.ArgumentParser, marker: str, recorded: set[str]) -> None:
    """Refuse (a usage error) to overwrite ``path``, a file the command writes beside --out under a fixed name
    (loss.png, features.png), unless the run.json beside it lists it (``recorded``, from ``recorded_files``):
    then an earlier run of ``marker`` wrote it; otherwise it is the user's own."""
    if not path.exists():
        return
    if not path.is_file():
        parser.error(f"cannot write {str(path)!r}: it exists and is not a regular file")
    if path.name not in recorded:
        parser.error(
            f"refusing to overwrite {str(path)!r}: it exists and no run.json of '{marker}' beside it lists it as "
            "its own; move it away or choose another --out directory"
        )


def draw_loss_curve(losses: Sequence[float], path: Path, **options: Any) -> bool:
    """``ufldl.viz.plot_loss_curve`` into ``path``; True when drawn. Without matplotlib (the optional extra
    ``ufldl[plot]``) nothing is drawn, an earlier run's picture there is removed (it would show another run) and
    the command says how to install it, on standard error even with --quiet."""
    import sys

    from ufldl import viz

    try:
        viz.plot_loss_curve(losses, path, **options)
        return True
    except ImportError:
        if path.is_file():
            path.unlink()
        print(f"ufldl: {path} not drawn: {viz.MATPLOTLIB_MISSING}", file=sys.stderr)
        return False


def make_directory(path: Path, parser: argparse.ArgumentParser) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        parser.error(f"cannot create the output directory {str(path)!r}: {exc.strerror or exc}")


def versions() -> dict[str, str | None]:
    import numpy
    import scipy

    import ufldl
    from ufldl._lib.optional import import_installed

    versions: dict[str, str | None] = {"ufldl": ufldl.__version__, "numpy": numpy.__version__,
                                       "scipy": scipy.__version__, "python": platform.python_version()}
    for name, module in (("scikit-learn", "sklearn"), ("pillow", "PIL")):
        imported = import_installed(module)
        versions[name] = None if imported is None else imported.__version__
    return versions



def machine() -> dict[str, str | int | None]:
    """The platform facts a run record keeps."""
    return {"system": platform.platform(), "machine": platform.machine(), "cpu_count": os.cpu_count()}


def write_record(path: Path, record: dict[str, Any]) -> None:
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
