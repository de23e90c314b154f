"""``load``: reading a file's bytes, then its archive, then rebuilding the object with its kind's
``from_state``; every problem with the content is reported as a ValueError naming the path."""

import os
import zipfile
import zlib
from typing import Any, cast

from ufldl._lib.types import PathLike
from ufldl.io.archive import read_archive
from ufldl.io.registry import Kind, kind_named
from ufldl.io.spec import NPY_MAGIC, ZIP_MAGICS, ValueErrorWithoutPath


# What a damaged archive can raise while zipfile and numpy read it.
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, KeyError, OverflowError,
                NotImplementedError, OSError)


def load(path: PathLike) -> Any:
    """Read an object written by ``save``.

    Parameters
    ----------
    path : str or os.PathLike
        The file, exactly as named.

    Returns
    -------
    obj : object
        A new instance of the class registered for the file's kind (for instance a ``ufldl.Network``), equal
        to the saved one: arrays bit for bit with their dtypes and shapes, metadata as it was (tuples become
        lists before ``from_state`` sees them).

    Raises
    ------
    FileNotFoundError
        There is no file at ``path``.
    ValueError
        The file is not a ufldl file or is damaged; the message names the path and the problem: not an
        ``.npz`` (zip) archive, truncated or corrupt (zip CRC, overlapping members, sizes no compression can
        give), no ``__ufldl__`` header or an unreadable one (not JSON, duplicate keys, nested too deeply,
        larger than 16 MiB), another ``format``, a ``format_version`` newer than ``FORMAT_VERSION``, a kind
        that is not registered in this process, arrays missing from the archive or not listed in the header,
        an array whose dtype or shape differs from the header's, a member whose size in the zip directory
        is not what its dtype and shape need, a checksum mismatch (the header or an array was modified), or
        a state the kind's ``from_state`` refuses (for instance a ``theta`` whose length does not fit
        ``layer_sizes``).

    Notes
    -----
    No code from the file is ever executed: no member is unpickled (an object array is an error), and the
    header is parsed as JSON. Loading costs at most about the memory the arrays take: every member's
    declared dtype and shape are checked against its size in the zip directory, and that size against the
    bytes that hold it, before anything is allocated or inflated; a member is never inflated beyond its
    declared size.
    """
    where = os.fspath(path)
    # One read of the whole file: a disk error surfaces here as the OSError it is, and every error while
    # parsing the bytes below is then a problem with the content.
    with open(where, "rb") as f:
        data = f.read()
    magic = data[:len(NPY_MAGIC)]
    if not magic.startswith(ZIP_MAGICS):
        if not magic:
            problem = "the file is empty"
        elif magic == NPY_MAGIC:
            problem = "it is a single-array .npy file"
        else:
            problem = f"it starts with {magic[:4]!r}"
        raise ValueError(f"{where}: not a ufldl file: expected an .npz (zip) archive, but {problem}")
    try:
        header, arrays = read_archive(data)
    except ValueErrorWithoutPath as exc:
        raise ValueError(f"{where}: {exc}") from None
    except _READ_ERRORS as exc:
        raise ValueError(
            f"{where}: cannot read the archive: it is truncated or corrupt ({type(exc).__name__}: {exc})"
        ) from exc
    entry = cast(Kind, kind_named(header["kind"]))  # registered: parse_header checked it
    try:
        return entry.from_state(header["meta"], arrays)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"{where}: invalid {header['kind']!r} state: {exc}") from exc
