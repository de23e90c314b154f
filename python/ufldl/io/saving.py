"""``save``: checking an object's state, then writing its archive atomically."""

import errno
import os
import secrets
from collections.abc import Callable
from typing import Any

import numpy as np

from ufldl._lib.types import PathLike
from ufldl.io.header import header_bytes
from ufldl.io.registry import kind_of
from ufldl.io.spec import FORMAT_NAME, FORMAT_VERSION, HEADER_NAME, MAX_HEADER_BYTES, ufldl_version
from ufldl.io.state import check_state


def save(obj: object, path: PathLike, *, compress: bool = False) -> None:
    """Write ``obj`` to ``path`` atomically, in the portable ``.npz`` layout of ``ufldl.io``'s docstring.

    Parameters
    ----------
    obj : object
        An instance of a registered class (``ufldl.Network``, or anything passed to ``register``).
    path : str or os.PathLike
        The file to write, exactly as named (no ``.npz`` is appended). Its directory must exist. An existing
        file is replaced only once the new one is completely written and synced to disk, and keeps its
        permission bits; a symbolic link is followed (its target is replaced). A new file gets the
        permissions ``open()`` would give it (0o666 minus the umask).
    compress : bool, default False
        Deflate the members (``numpy.savez_compressed``). Parameters of a trained network compress poorly,
        so the default stores them as they are; both load the same way.

    Raises
    ------
    TypeError
        No kind is registered for ``obj``'s class, or its state is not made of the types described in
        ``register`` (for instance an object array, or an ndarray in the metadata).
    ValueError
        A bad array name, a NaN or infinity in the metadata, metadata nested more than 32 levels deep or
        making a header of more than 16 MiB, or a ``path`` that names no file (``""``, or one ending with a
        path separator).
    OSError
        Writing failed (missing directory, no permission, disk full); ``path`` is then unchanged.
    """
    entry = kind_of(obj)
    meta, arrays = check_state(entry.to_state(obj), entry.name)
    header = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "kind": entry.name,
        "ufldl_version": ufldl_version(),
        "meta": meta,
        "arrays": {name: {"dtype": arr.dtype.str, "shape": list(arr.shape)} for name, arr in arrays.items()},
    }
    raw = header_bytes(header, arrays)
    if len(raw) > MAX_HEADER_BYTES:
        raise ValueError(
            f"the header (metadata) of this {entry.name!r} would take {len(raw)} bytes; at most "
            f"{MAX_HEADER_BYTES} are stored (put large data in arrays)"
        )
    members = {HEADER_NAME: np.frombuffer(raw, dtype=np.uint8)}  # header first
    members.update(arrays)
    _write_atomically(path, members, compress)


def _write_atomically(path: PathLike, members: dict[str, np.ndarray[Any, Any]], compress: bool) -> None:
    target = _target_file(path)
    directory = os.path.dirname(os.path.abspath(target))
    mode: int | None
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    fd, tmp = _create_temporary(directory)
    try:
        with os.fdopen(fd, "wb") as f:
            # Through an open file object numpy.savez writes exactly here and appends no ".npz" suffix.
            writer: Callable[..., None] = np.savez_compressed if compress else np.savez
            writer(f, **members)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _sync_directory(directory)


def _target_file(path: PathLike) -> str:
    """The file ``save`` replaces: ``path``, or the target of the symbolic link ``path``."""
    target = os.fspath(path)
    if not isinstance(target, str):
        raise TypeError(f"path must be a str or os.PathLike of str; got {type(path).__name__} {path!r}")
    if not target:
        # abspath("") is the working directory: the file would be written next to it, in its parent.
        raise ValueError("path must name a file; got '' (an empty path)")
    if os.path.islink(target):
        target = os.path.realpath(target)
    if os.path.isdir(target):
        raise IsADirectoryError(errno.EISDIR, "cannot save over a directory", target)
    if target.endswith(tuple(sep for sep in (os.sep, os.altsep) if sep)):
        raise ValueError(f"path must name a file; got {target!r}, which ends with a path separator")
    return target


def _create_temporary(directory: str) -> tuple[int, str]:
    """``(fd, name)`` of a new, empty file in ``directory``, to be renamed onto the target.

    The name is short and fixed in length (not derived from the target's), so that any legal target name
    works, up to NAME_MAX. ``os.open`` with 0o666 lets the umask decide a new file's permissions, like
    ``open(path, "wb")`` would (``tempfile.mkstemp`` would give 0o600).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(directory, f".ufldl-{secrets.token_hex(8)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


def _sync_directory(directory: str) -> None:
    """Make the rename durable (POSIX); not possible, nor needed, everywhere."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
