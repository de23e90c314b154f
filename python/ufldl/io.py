"""Saving and loading networks and estimators: a documented, portable ``.npz`` file, no pickle.

``save(obj, path)`` writes an object, ``load(path)`` gives it back exactly: bit-for-bit parameters, the same
dtypes, equal hyperparameters. Any class can take part by registering a *kind* (see ``register``);
``ufldl.Network`` registers itself (in ``ufldl.network``) as ``"ufldl.Network"``: this module knows nothing of
the model.

File layout
-----------
A file is an ordinary NumPy ``.npz`` archive (a zip of ``.npy`` members, written by ``numpy.savez``, or
``numpy.savez_compressed`` with ``compress=True``), readable by ``numpy.load(path, allow_pickle=False)`` or
any zip + ``.npy`` reader in another language. It holds:

``__ufldl__``
    The header: a 1-D ``uint8`` array holding UTF-8 encoded JSON (an object), for instance::

        {"format": "ufldl",
         "format_version": 2,
         "kind": "ufldl.Network",
         "ufldl_version": "0.1.0",
         "meta": {"layer_sizes": [64, 25, 64], "activations": ["sigmoid", "sigmoid"], ...},
         "arrays": {"theta": {"dtype": "<f8", "shape": [3289]}},
         "checksum": {"algorithm": "sha256", "value": "9f86d0..."}}

    ``format`` is always ``"ufldl"``. ``format_version`` is an integer, currently 2; a reader refuses files
    with a higher version than it knows. ``kind`` names the registered class that wrote the file and
    ``ufldl_version`` the package version that wrote it (informative only). ``meta`` is the kind's JSON
    metadata (hyperparameters, scalar fitted attributes, short lists). ``arrays`` lists every other member
    of the archive with its NumPy dtype string (``numpy.dtype.str``, byte order included) and shape.
    The JSON has no duplicate keys and no NaN or infinities, and nests lists and objects at most 33 levels
    deep (the header itself being the first, so ``meta`` has 32); the header is at most 16 MiB.
``<name>`` (one ``.npy`` member per entry of ``arrays``)
    The kind's arrays, stored exactly as given (any bool, integer, float or complex dtype; never object
    arrays, strings or structured dtypes), as ``.npy`` version 1.0 or 2.0, stored or deflated (no other zip
    compression, no encryption). A member holds exactly its ``.npy`` header and the bytes its dtype and shape
    need.

Checksum
--------
The header's text ends with the checksum record, exactly (no whitespace)::

    "checksum":{"algorithm":"sha256","value":"<64 lowercase hexadecimal digits>"}}

The checksum is SHA-256 over, in turn:

- ``__ufldl__`` ``\0`` the header's bytes before that record (from its opening ``{`` through the ``,``
  before ``"checksum"``) ``\0``;
- each array, in ascending order of the names (compared as Unicode code points): ``name`` (UTF-8) ``\0``
  ``dtype.str`` (ASCII) ``\0`` the shape as decimal integers joined by ``,`` (empty for a 0-d array)
  ``\0``, then the array's elements as raw bytes in C (row-major) order, in the dtype's own byte order.

A reader in another language checks it on the bytes as stored, without reproducing anyone's JSON
formatting. The zip format's CRC-32 of each member already catches random corruption; the checksum
catches a header or an archive rewritten consistently with a changed value (``layer_sizes`` edited, an
array modified, an array swapped in from another file). It is not a signature: whoever can write the file
can recompute it. What bounds the cost of loading a hostile file is the checking described under
"Loading".

Version 1 files (written by earlier ufldl) are read as before: the same layout, but their checksum covers
the arrays only (the second item above) and their header need not end with the record, so an edited
version-1 header is not detected by the checksum. Every other check, below, applies to them in full.
``save`` always writes version 2.

Saving
------
Writing is atomic: the archive goes to a temporary file ``.ufldl-<random>.tmp`` in the target's directory
(a short name, so that any legal target name works), is flushed and fsynced, and is then renamed onto
``path`` with ``os.replace``. If anything fails (an exception, Ctrl-C) the temporary file is removed and a
file already at ``path`` is left untouched; a crash of the whole process can leave at most a stray
temporary file next to the target, never a half-written ``path``. The file is written to exactly ``path``:
unlike ``numpy.savez``, no ``.npz`` suffix is appended (``.npz`` is the conventional suffix, not a
requirement).

Loading
-------
Loading never executes code: nothing is unpickled, the header is JSON, and the only code run is the
``from_state`` function registered for the file's kind in this process.

Loading a file costs about what its arrays take, whatever its header declares. Each member's sizes in
the zip directory are checked first: its compressed bytes lie inside the file and overlap no other
member's, and its inflated size is one those bytes can give (equal for a stored member; for a deflated
one, at most 1032 times as many, plus 1 KiB). The header member is checked to be at most 16 MiB before it
is read. Then each array's ``.npy`` header, read alone, must give the dtype and shape listed in ``arrays``
and, with them, exactly the member's inflated size; only then is the array allocated, and its member is
never inflated beyond that size. The registered ``from_state`` runs last, on arrays that exist; the one of
``ufldl.Network`` checks that ``theta`` has the length ``layer_sizes`` give before it builds anything.

Examples
--------
>>> import pathlib, tempfile, ufldl
>>> from ufldl.io import load, save
>>> net = ufldl.Network([8, 3, 8], sparsity=ufldl.KLSparsity(0.05, 3.0), seed=0)
>>> path = pathlib.Path(tempfile.mkdtemp()) / "net.npz"
>>> save(net, path)
>>> again = load(path)
>>> bool((again.theta == net.theta).all()), again.sparsity == net.sparsity
(True, True)
"""

import collections
import errno
import hashlib
import json
import math
import numbers
import os
import re
import secrets
import sys
import zipfile
import zlib
from io import BytesIO  # the standard library's io (this module is ufldl.io)

import numpy as np


__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "HEADER_NAME", "load", "register", "save"]

#: The ``format`` field of every header.
FORMAT_NAME = "ufldl"
#: The format version this module writes, and the highest it reads.
FORMAT_VERSION = 2
#: The name of the archive member holding the JSON header.
HEADER_NAME = "__ufldl__"

# Array names: what numpy.savez and every zip tool handle without surprises. Names starting with "__" are
# reserved for the format; "file" and "allow_pickle" are keyword arguments of numpy.savez itself.
_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_SAVEZ_KEYWORDS = frozenset({"file", "allow_pickle"})
_ARRAY_KINDS = "biufc"  # bool, signed and unsigned integers, floats, complex
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive's end record
_NPY_MAGIC = b"\x93NUMPY"

# Limits of the format (see the module docstring). They, and the checks against the zip directory, bound
# what loading any file can cost by the size of the file itself, whatever its header declares.
_MAX_HEADER_BYTES = 16 * 2**20
_MAX_META_DEPTH = 32  # lists and dicts, meta itself being level 1
_MAX_HEADER_DEPTH = _MAX_META_DEPTH + 1  # the header object holds meta
_MAX_NDIM = 64  # numpy's own limit
_MAX_NPY_HEADER = 10000  # numpy's default max_header_size
_DEFLATE_MAX_RATIO = 1032  # deflate's ceiling: a 258-byte match costs at least 2 bits
_DEFLATE_SLACK = 1024  # block headers and rounding, for tiny members
_LOCAL_HEADER_SIZE = 30  # a zip local file header's fixed part, before the name
_READ_CHUNK = 16 * 2**20


# ---------------------------------------------------------------------------------------------- registry

class _Kind:
    __slots__ = ("name", "cls", "to_state", "from_state")

    def __init__(self, name, cls, to_state, from_state):
        self.name, self.cls, self.to_state, self.from_state = name, cls, to_state, from_state


_KINDS = {}  # kind name -> _Kind
_CLASSES = {}  # class -> _Kind


def register(kind, cls, to_state, from_state, *, replace=False):
    """Teach ``save`` and ``load`` a class.

    Parameters
    ----------
    kind : str
        The name written into the file's header, for instance ``"ufldl.SparseAutoencoder"``. Keep it stable:
        files written under a name can only be loaded by a process that registers that name.
    cls : type
        The class. ``save`` accepts its instances and those of its subclasses (the most derived registered
        class wins).
    to_state : callable
        ``to_state(obj) -> (meta, arrays)``. ``meta`` is a dict with str keys whose values are None, bool,
        int, finite float, str, or lists / tuples / dicts (str keys) of those; NumPy scalars are accepted
        and stored as the Python equivalent. Tuples come back as lists. ``arrays`` is a dict from name to
        ``numpy.ndarray`` of a bool, integer, float or complex dtype, stored bit for bit with dtype and
        shape; names match ``[A-Za-z_][A-Za-z0-9_.-]*``, do not start with ``"__"`` and are not ``"file"``
        or ``"allow_pickle"``.
    from_state : callable
        ``from_state(meta, arrays) -> obj``, receiving what ``to_state`` returned after the trip through the
        file (``meta`` as parsed from JSON, ``arrays`` as a dict of ndarrays). It should check that it got
        the arrays and metadata it needs and raise ValueError or TypeError otherwise; ``load`` reports
        that, with the path, as a ValueError. To evolve a kind's layout, store a version of your own in
        ``meta`` and branch on it here.
    replace : bool, default False
        Allow ``kind`` to be registered again for a different class (by default a ValueError, so that two
        classes cannot silently claim one name). Registering the same kind for the same class again simply
        updates the functions.

    Examples
    --------
    A scikit-learn style estimator keeps its hyperparameters and scalar fitted attributes in ``meta`` and
    its fitted arrays in ``arrays``::

        def _to_state(est):
            meta = {"params": est.get_params(deep=False), "n_iter_": est.n_iter_,
                    "loss_curve_": list(est.loss_curve_)}
            return meta, {"coef_": est.coef_}

        def _from_state(meta, arrays):
            est = MyEstimator(**meta["params"])
            est.n_iter_, est.loss_curve_, est.coef_ = meta["n_iter_"], meta["loss_curve_"], arrays["coef_"]
            return est

        ufldl.io.register("mypackage.MyEstimator", MyEstimator, _to_state, _from_state)
    """
    if not isinstance(kind, str) or not kind:
        raise TypeError(f"kind must be a non-empty str; got {kind!r}")
    if not isinstance(cls, type):
        raise TypeError(f"cls must be a class; got {type(cls).__name__} {cls!r}")
    for name, fn in (("to_state", to_state), ("from_state", from_state)):
        if not callable(fn):
            raise TypeError(f"{name} must be callable; got {type(fn).__name__}")
    old = _KINDS.get(kind)
    if old is not None and old.cls is not cls and not replace:
        raise ValueError(
            f"kind {kind!r} is already registered for {_qualname(old.cls)}; got {_qualname(cls)} "
            "(pass replace=True to re-register it)"
        )
    old_for_cls = _CLASSES.get(cls)
    if old_for_cls is not None and old_for_cls.name != kind:
        raise ValueError(
            f"{_qualname(cls)} is already registered as kind {old_for_cls.name!r}; got {kind!r}"
        )
    if old is not None:
        _CLASSES.pop(old.cls, None)
    entry = _Kind(kind, cls, to_state, from_state)
    _KINDS[kind] = entry
    _CLASSES[cls] = entry


def _qualname(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def _kind_of(obj):
    for cls in type(obj).__mro__:
        entry = _CLASSES.get(cls)
        if entry is not None:
            return entry
    known = ", ".join(sorted(_KINDS)) or "none"
    raise TypeError(
        f"cannot save a {_qualname(type(obj))}: no kind is registered for it (known kinds: {known}); "
        "see ufldl.io.register"
    )


# ---------------------------------------------------------------------------------------------- state checks

def _to_json_value(value, where, depth=1):
    """``value`` as plain JSON types (lists, dicts with str keys, finite floats), or a TypeError/ValueError.

    ``depth`` is the nesting level of ``value`` (meta itself is 1); lists and dicts nest at most
    ``_MAX_META_DEPTH`` levels, so that ``load`` (which refuses deeper headers) reads back what was saved.
    """
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if isinstance(value, str):
        return str(value)  # numpy.str_ too
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(
                f"{where} is {value}: JSON has no NaN or infinity; store non-finite values in an array"
            )
        return value
    if isinstance(value, (list, tuple, dict)) and depth > _MAX_META_DEPTH:
        raise ValueError(
            f"{where} nests lists and dicts {depth} levels deep (meta being level 1); at most "
            f"{_MAX_META_DEPTH} levels are stored"
        )
    if isinstance(value, (list, tuple)):
        return [_to_json_value(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where} has a key {key!r} of type {type(key).__name__}; keys must be str")
            out[key] = _to_json_value(item, f"{where}[{key!r}]", depth + 1)
        return out
    if isinstance(value, np.ndarray):
        raise TypeError(f"{where} is an ndarray of shape {value.shape}; put arrays in the arrays dict")
    raise TypeError(
        f"{where} has type {type(value).__name__}; metadata holds None, bool, int, float, str, "
        "and lists and dicts of them"
    )


def _check_array_name(name, where):
    if not isinstance(name, str):
        raise TypeError(f"{where}: array names must be str; got {type(name).__name__} {name!r}")
    if not _NAME_PATTERN.fullmatch(name) or name.startswith("__") or name in _SAVEZ_KEYWORDS:
        raise ValueError(
            f"{where}: array name {name!r} is not allowed: names match [A-Za-z_][A-Za-z0-9_.-]*, do not "
            f"start with '__' and are not one of {sorted(_SAVEZ_KEYWORDS)}"
        )


def _check_state(state, kind):
    where = f"to_state for kind {kind!r}"
    if not (isinstance(state, tuple) and len(state) == 2):
        raise TypeError(f"{where} must return a tuple (meta, arrays); got {type(state).__name__}")
    meta, arrays = state
    if not isinstance(meta, dict):
        raise TypeError(f"{where}: meta must be a dict; got {type(meta).__name__}")
    meta = _to_json_value(meta, "meta")
    if not isinstance(arrays, dict):
        raise TypeError(f"{where}: arrays must be a dict of name -> ndarray; got {type(arrays).__name__}")
    checked = {}
    for name, arr in arrays.items():
        _check_array_name(name, where)
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"{where}: arrays[{name!r}] must be a numpy.ndarray; got {type(arr).__name__}")
        if arr.dtype.kind not in _ARRAY_KINDS or arr.dtype.fields is not None:
            raise TypeError(
                f"{where}: arrays[{name!r}] has dtype {arr.dtype}; only bool, integer, float and complex "
                "arrays are stored (never object arrays: loading them would need pickle)"
            )
        checked[name] = arr
    return meta, checked


def _checksum(arrays, covered_header=None):
    """SHA-256 (hex) as described in the module docstring: of ``covered_header`` (the header's bytes before
    its checksum record; None for a version-1 file, whose header is not covered), then of the arrays."""
    digest = hashlib.sha256()
    if covered_header is not None:
        digest.update(HEADER_NAME.encode("ascii") + b"\0" + covered_header + b"\0")
    for name in sorted(arrays):
        arr = arrays[name]
        shape = ",".join(str(n) for n in arr.shape)
        digest.update(f"{name}\0{arr.dtype.str}\0{shape}\0".encode("utf-8"))
        data = arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)
        digest.update(data.reshape(-1).view(np.uint8))
    return digest.hexdigest()


# The end of every version-2 header; the checksum covers all the header's bytes before it. A fixed record at
# a fixed place lets any reader find the covered bytes without reproducing anyone's JSON formatting.
_CHECKSUM_RECORD_START = b'"checksum":{"algorithm":"sha256","value":"'
_CHECKSUM_RECORD_END = b'"}}'
_CHECKSUM_RECORD = re.compile(
    re.escape(_CHECKSUM_RECORD_START) + rb"([0-9a-f]{64})" + re.escape(_CHECKSUM_RECORD_END)
)
_CHECKSUM_RECORD_LEN = len(_CHECKSUM_RECORD_START) + 64 + len(_CHECKSUM_RECORD_END)


def _header_bytes(header, arrays):
    """The version-2 header: ``header`` (without a checksum) as JSON, closed by the checksum record."""
    text = json.dumps(header, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    covered = text[:-1].encode("utf-8") + b","  # the object stays open for its last member, the record
    value = _checksum(arrays, covered).encode("ascii")
    return covered + _CHECKSUM_RECORD_START + value + _CHECKSUM_RECORD_END


def _covered_header(raw):
    """The bytes of a version-2 header that its checksum covers, and the checksum; (None, None) if the
    header does not end with the checksum record exactly as written (it was rewritten)."""
    start = len(raw) - _CHECKSUM_RECORD_LEN
    match = _CHECKSUM_RECORD.fullmatch(raw, start) if start > 0 else None
    if match is None:
        return None, None
    return raw[:match.start()], match.group(1).decode("ascii")


# ---------------------------------------------------------------------------------------------- saving

def _ufldl_version():
    ufldl = sys.modules.get("ufldl")
    return str(getattr(ufldl, "__version__", "unknown"))


def save(obj, path, *, compress=False):
    """Write ``obj`` to ``path`` atomically, in the portable ``.npz`` layout of this module's docstring.

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
    entry = _kind_of(obj)
    meta, arrays = _check_state(entry.to_state(obj), entry.name)
    header = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "kind": entry.name,
        "ufldl_version": _ufldl_version(),
        "meta": meta,
        "arrays": {name: {"dtype": arr.dtype.str, "shape": list(arr.shape)} for name, arr in arrays.items()},
    }
    raw = _header_bytes(header, arrays)
    if len(raw) > _MAX_HEADER_BYTES:
        raise ValueError(
            f"the header (metadata) of this {entry.name!r} would take {len(raw)} bytes; at most "
            f"{_MAX_HEADER_BYTES} are stored (put large data in arrays)"
        )
    members = {HEADER_NAME: np.frombuffer(raw, dtype=np.uint8)}  # header first
    members.update(arrays)
    _write_atomically(path, members, compress)


def _write_atomically(path, members, compress):
    target = _target_file(path)
    directory = os.path.dirname(os.path.abspath(target))
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    fd, tmp = _create_temporary(directory)
    try:
        with os.fdopen(fd, "wb") as f:
            # Through an open file object numpy.savez writes exactly here and appends no ".npz" suffix.
            writer = np.savez_compressed if compress else np.savez
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


def _target_file(path):
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


def _create_temporary(directory):
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


def _sync_directory(directory):
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


# ---------------------------------------------------------------------------------------------- loading

# What a damaged archive can raise while zipfile and numpy read it.
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, KeyError, OverflowError,
                NotImplementedError, OSError)


def load(path):
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
    magic = data[:len(_NPY_MAGIC)]
    if not magic.startswith(_ZIP_MAGICS):
        if not magic:
            problem = "the file is empty"
        elif magic == _NPY_MAGIC:
            problem = "it is a single-array .npy file"
        else:
            problem = f"it starts with {magic[:4]!r}"
        raise ValueError(f"{where}: not a ufldl file: expected an .npz (zip) archive, but {problem}")
    try:
        header, arrays = _read_archive(data)
    except _ValueErrorWithoutPath as exc:
        raise ValueError(f"{where}: {exc}") from None
    except _READ_ERRORS as exc:
        raise ValueError(
            f"{where}: cannot read the archive: it is truncated or corrupt ({type(exc).__name__}: {exc})"
        ) from exc
    entry = _KINDS[header["kind"]]
    try:
        return entry.from_state(header["meta"], arrays)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"{where}: invalid {header['kind']!r} state: {exc}") from exc


class _ValueErrorWithoutPath(Exception):
    """A problem with the file's content, reported by ``load`` with the path in front."""


def _corrupt(detail):
    return _ValueErrorWithoutPath(f"cannot read the archive: it is truncated or corrupt ({detail})")


def _read_archive(data):
    with zipfile.ZipFile(BytesIO(data)) as zf:
        members = _members(zf, len(data))
        if HEADER_NAME not in members:
            raise _ValueErrorWithoutPath(
                f"not a ufldl file: no {HEADER_NAME!r} header among the archive's arrays {sorted(members)}"
            )
        raw = _read_header_member(zf, members[HEADER_NAME])
        header = _parse_header(raw)
        listed = header["arrays"]
        present = set(members) - {HEADER_NAME}
        missing, extra = sorted(set(listed) - present), sorted(present - set(listed))
        if missing:
            raise _ValueErrorWithoutPath(f"arrays {missing} listed in the header are missing from the archive")
        if extra:
            raise _ValueErrorWithoutPath(f"the archive holds arrays {extra} that the header does not list")
        # Every member's size is checked before any array is allocated.
        layouts = {name: _array_layout(zf, members[name], name, spec) for name, spec in listed.items()}
        arrays = {name: _read_array(zf, members[name], layout) for name, layout in layouts.items()}
    _verify_checksum(header, raw, arrays)
    return header, arrays


# ---------------------------------------------------------------- the zip directory and the .npy members

def _members(zf, file_size):
    """The archive's members by array name (numpy's: the member name without ".npy"), once each, every one
    of them plausible by the zip directory: nothing below inflates more than the file can hold."""
    infos = zf.infolist()
    names = [info.filename[:-4] if info.filename.endswith(".npy") else info.filename for info in infos]
    if len(set(names)) != len(names):
        duplicated = sorted(name for name, count in collections.Counter(names).items() if count > 1)
        raise _ValueErrorWithoutPath(f"the archive holds several members named {duplicated}")
    _check_no_overlap(infos, getattr(zf, "start_dir", file_size))  # where the central directory starts
    for info in infos:
        _check_member_sizes(info)
    return dict(zip(names, infos))


def _check_no_overlap(infos, end):
    """Each member's compressed bytes lie between its local header and the next member's (the last: the
    central directory); overlapping members would let a small file inflate the same bytes many times."""
    by_offset = sorted(infos, key=lambda info: info.header_offset)
    for info, following in zip(by_offset, by_offset[1:] + [None]):
        limit = end if following is None else following.header_offset
        stop = info.header_offset + _LOCAL_HEADER_SIZE + info.compress_size
        if info.header_offset < 0 or stop > limit:
            where = "the central directory" if following is None else f"member {following.filename!r}"
            raise _corrupt(
                f"member {info.filename!r} at byte {info.header_offset} with {info.compress_size} compressed "
                f"bytes runs into {where} at byte {limit}"
            )


def _check_member_sizes(info):
    """The directory's inflated size of a member must be one its compressed bytes can give."""
    if info.flag_bits & 0x1:
        raise _ValueErrorWithoutPath(f"member {info.filename!r} is encrypted; ufldl files never are")
    if info.compress_type == zipfile.ZIP_STORED:
        method, limit = "stored", info.compress_size
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        method, limit = "deflated", _DEFLATE_MAX_RATIO * info.compress_size + _DEFLATE_SLACK
    else:
        raise _ValueErrorWithoutPath(
            f"member {info.filename!r} uses zip compression method {info.compress_type}; ufldl files are "
            f"stored ({zipfile.ZIP_STORED}) or deflated ({zipfile.ZIP_DEFLATED})"
        )
    if info.file_size > limit:
        raise _corrupt(
            f"member {info.filename!r} claims {info.file_size} bytes from {info.compress_size} {method} "
            f"bytes, which can give at most {limit}"
        )


def _read_exactly(stream, size, what):
    data = stream.read(size)
    if len(data) != size:
        raise _corrupt(f"{what}: expected {size} bytes, got {len(data)}")
    return data


def _npy_header(zf, info):
    """``(dtype, shape, fortran_order, header_size)`` of a .npy member, reading its header only; None if the
    member is not .npy data."""
    with zf.open(info) as stream:
        prefix = stream.read(len(_NPY_MAGIC) + 4)  # magic, version, and a header length of 2 or 4 bytes
        if not prefix.startswith(_NPY_MAGIC) or len(prefix) < len(_NPY_MAGIC) + 4:
            return None
        version = (prefix[6], prefix[7])
        if version not in ((1, 0), (2, 0)):
            raise _ValueErrorWithoutPath(
                f"member {info.filename!r} is .npy version {version[0]}.{version[1]}; ufldl reads 1.0 and 2.0"
            )
        if version == (2, 0):
            prefix += _read_exactly(stream, 2, f"member {info.filename!r}")
        length_bytes = prefix[8:]
        length = int.from_bytes(length_bytes, "little")
        if length > _MAX_NPY_HEADER:
            raise _ValueErrorWithoutPath(
                f"member {info.filename!r} has a .npy header of {length} bytes; at most {_MAX_NPY_HEADER} "
                "are read"
            )
        text = _read_exactly(stream, length, f"the .npy header of member {info.filename!r}")
    reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    try:
        shape, fortran_order, dtype = reader(BytesIO(length_bytes + text), max_header_size=_MAX_NPY_HEADER)
    except (ValueError, TypeError) as exc:
        raise _ValueErrorWithoutPath(f"member {info.filename!r} has an unreadable .npy header: {exc}") from None
    return dtype, shape, fortran_order, len(prefix) + length


def _check_member_holds(info, header_size, dtype, shape):
    """A member must be exactly its .npy header and the data its dtype and shape need (Python ints: no
    declared shape can overflow); so the directory, already checked, bounds what is allocated."""
    data_size = dtype.itemsize * math.prod(shape)
    if info.file_size != header_size + data_size:
        raise _ValueErrorWithoutPath(
            f"member {info.filename!r} should hold {header_size + data_size} bytes (a {header_size}-byte .npy "
            f"header and {data_size} bytes of {dtype.str} data of shape {tuple(shape)}); the archive's "
            f"directory gives {info.file_size}"
        )


def _array_layout(zf, info, name, spec):
    """What ``_read_array`` needs to read the array ``name``, once its member is checked against ``spec``
    (its entry in the header's "arrays") and against its size in the directory."""
    npy = _npy_header(zf, info)
    if npy is None:
        raise _ValueErrorWithoutPath(f"member {name!r} is not a .npy array")
    dtype, shape, fortran_order, header_size = npy
    if dtype.hasobject:
        raise _ValueErrorWithoutPath(
            f"array {name!r} is an object array (pickled Python objects); refused, since loading it could "
            "execute code"
        )
    expected_shape = tuple(spec["shape"])
    if dtype.str != spec["dtype"] or shape != expected_shape:
        raise _ValueErrorWithoutPath(
            f"array {name!r} should have dtype {spec['dtype']} and shape {expected_shape} (header); "
            f"got dtype {dtype.str} and shape {shape}"
        )
    if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise _ValueErrorWithoutPath(
            f"array {name!r} has dtype {dtype.str}; ufldl files hold bool, integer, float and complex arrays"
        )
    _check_member_holds(info, header_size, dtype, shape)
    return dtype, shape, fortran_order, header_size


def _read_array(zf, info, layout):
    """The array of a checked member: allocated at its (verified) size, filled in chunks."""
    dtype, shape, fortran_order, header_size = layout
    flat = np.empty(math.prod(shape), dtype=dtype)
    buffer = flat.view(np.uint8)
    with zf.open(info) as stream:
        _read_exactly(stream, header_size, f"member {info.filename!r}")
        for start in range(0, buffer.size, _READ_CHUNK):
            chunk = buffer[start:start + _READ_CHUNK]
            got = stream.readinto(chunk)
            if got != chunk.size:
                raise _corrupt(f"member {info.filename!r} ends after {header_size + start + got} bytes")
    # Fortran order is stored as the transpose's C order, as numpy.save writes it.
    return flat.reshape(shape[::-1]).transpose() if fortran_order else flat.reshape(shape)


def _read_header_member(zf, info):
    """The raw bytes of the ``__ufldl__`` member: a 1-D uint8 .npy of at most ``_MAX_HEADER_BYTES``."""
    npy = _npy_header(zf, info)
    if npy is None:
        raise _ValueErrorWithoutPath(f"the {HEADER_NAME!r} header must be a 1-D uint8 array; got raw bytes")
    dtype, shape, _, header_size = npy
    if dtype != np.uint8 or len(shape) != 1:
        raise _ValueErrorWithoutPath(
            f"the {HEADER_NAME!r} header must be a 1-D uint8 array; got dtype {dtype}, shape {shape}"
        )
    if shape[0] > _MAX_HEADER_BYTES:
        raise _ValueErrorWithoutPath(
            f"the {HEADER_NAME!r} header must be at most {_MAX_HEADER_BYTES} bytes; got {shape[0]}"
        )
    _check_member_holds(info, header_size, dtype, shape)
    return _read_array(zf, info, (dtype, shape, False, header_size)).tobytes()


# ---------------------------------------------------------------- the header

def _parse_header(raw):
    header = _parse_json(raw)
    if not isinstance(header, dict):
        raise _ValueErrorWithoutPath(f"the header must be a JSON object; got {type(header).__name__}")

    fmt = header.get("format")
    if fmt != FORMAT_NAME:
        raise _ValueErrorWithoutPath(f"not a ufldl file: header format is {fmt!r}, expected {FORMAT_NAME!r}")
    version = header.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _ValueErrorWithoutPath(f"format_version must be an integer >= 1; got {version!r}")
    if version > FORMAT_VERSION:
        raise _ValueErrorWithoutPath(
            f"format version {version} is newer than this ufldl ({_ufldl_version()}) reads (up to "
            f"{FORMAT_VERSION}); the file was written by ufldl {header.get('ufldl_version', '?')}: "
            "upgrade ufldl to load it"
        )
    kind = header.get("kind")
    if kind not in _KINDS:
        known = ", ".join(sorted(_KINDS))
        raise _ValueErrorWithoutPath(
            f"unknown kind {kind!r} (known kinds: {known}); import the module that registers it first"
        )
    if not isinstance(header.get("meta"), dict):
        raise _ValueErrorWithoutPath(f"header 'meta' must be a JSON object; got {header.get('meta')!r}")
    listed = header.get("arrays")
    if not (isinstance(listed, dict) and all(_is_array_spec(spec) for spec in listed.values())) \
            or HEADER_NAME in listed:
        raise _ValueErrorWithoutPath(
            "header 'arrays' must map each array name to {'dtype': str, 'shape': [int, ...]} (at most "
            f"{_MAX_NDIM} dimensions, each in [0, 2**63)); got {_shorten(listed)}"
        )
    checksum = header.get("checksum")
    if not (isinstance(checksum, dict) and checksum.get("algorithm") == "sha256"
            and isinstance(checksum.get("value"), str)):
        raise _ValueErrorWithoutPath(
            f"header 'checksum' must be {{'algorithm': 'sha256', 'value': hex}}; got {_shorten(checksum)}"
        )
    return header


def _is_array_spec(spec):
    return (isinstance(spec, dict) and isinstance(spec.get("dtype"), str) and isinstance(spec.get("shape"), list)
            and len(spec["shape"]) <= _MAX_NDIM
            and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**63 for n in spec["shape"]))


def _shorten(value, limit=200):
    """``repr(value)``, cut for an error message (a hostile header can be megabytes)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _parse_json(raw):
    """The header's JSON, refusing what JSON allows but a ufldl header never holds: duplicate keys (readers
    disagree on which wins), NaN and infinities, and nesting deeper than ``_MAX_HEADER_DEPTH``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _ValueErrorWithoutPath(f"the {HEADER_NAME!r} header is not UTF-8 JSON: {exc}") from None
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except RecursionError:  # deeper than the parser's stack: far beyond the limit
        raise _ValueErrorWithoutPath(_too_deep("more than Python's JSON parser can nest")) from None
    except ValueError as exc:  # JSONDecodeError, or an integer of more than 4300 digits
        raise _ValueErrorWithoutPath(f"the {HEADER_NAME!r} header is not UTF-8 JSON: {exc}") from None
    depth = _json_depth(value)
    if depth > _MAX_HEADER_DEPTH:
        raise _ValueErrorWithoutPath(_too_deep(depth))
    return value


def _too_deep(got):
    return (f"the {HEADER_NAME!r} header nests JSON arrays and objects at most {_MAX_HEADER_DEPTH} levels "
            f"deep (meta at most {_MAX_META_DEPTH}); got {got}")


def _unique_keys(pairs):
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise _ValueErrorWithoutPath(
            f"the {HEADER_NAME!r} header repeats the key {_shorten(duplicate)} in one object; keys must be unique"
        )
    return obj


def _no_constant(name):
    raise _ValueErrorWithoutPath(f"the {HEADER_NAME!r} header holds {name}; its numbers must be finite")


def _json_depth(value):
    """How deeply lists and dicts nest in ``value`` (0 for a scalar), level by level: no recursion."""
    depth, containers = 0, [value] if isinstance(value, (list, dict)) else []
    while containers:
        depth += 1
        children = [child for c in containers for child in (c.values() if isinstance(c, dict) else c)]
        containers = [child for child in children if isinstance(child, (list, dict))]
    return depth


def _verify_checksum(header, raw, arrays):
    """Version 1 covers the arrays; version 2 the header's bytes too, up to its closing checksum record."""
    if header["format_version"] == 1:
        if _checksum(arrays) != header["checksum"]["value"]:
            raise _ValueErrorWithoutPath(
                "checksum mismatch: the arrays are not the ones this file was written with (modified or corrupt)"
            )
        return
    covered, value = _covered_header(raw)
    if covered is None:
        raise _ValueErrorWithoutPath(
            f"checksum mismatch: a version-{header['format_version']} header ends with its checksum record "
            f"{(_CHECKSUM_RECORD_START + b'<sha256>' + _CHECKSUM_RECORD_END).decode()}; got one ending "
            f"{raw[-_CHECKSUM_RECORD_LEN:].decode('utf-8', 'replace')!r} (the header was rewritten)"
        )
    if _checksum(arrays, covered) != value:
        raise _ValueErrorWithoutPath(
            "checksum mismatch: the header or the arrays are not the ones this file was written with "
            "(modified or corrupt)"
        )
