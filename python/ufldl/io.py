"""Saving and loading networks and estimators: a documented, portable ``.npz`` file, no pickle.

``save(obj, path)`` writes an object, ``load(path)`` gives it back exactly: bit-for-bit parameters, the same
dtypes, equal hyperparameters. Any class can take part by registering a *kind* (see ``register``);
``ufldl.Network`` is registered here as ``"ufldl.Network"``.

File layout
-----------
A file is an ordinary NumPy ``.npz`` archive (a zip of ``.npy`` members, written by ``numpy.savez``, or
``numpy.savez_compressed`` with ``compress=True``), readable by ``numpy.load(path, allow_pickle=False)`` or
any zip + ``.npy`` reader in another language. It holds:

``__ufldl__``
    The header: a 1-D ``uint8`` array holding UTF-8 encoded JSON (an object), for instance::

        {"format": "ufldl",
         "format_version": 1,
         "kind": "ufldl.Network",
         "ufldl_version": "0.1.0",
         "meta": {"layer_sizes": [64, 25, 64], "activations": ["sigmoid", "sigmoid"], ...},
         "arrays": {"theta": {"dtype": "<f8", "shape": [3289]}},
         "checksum": {"algorithm": "sha256", "value": "9f86d0..."}}

    ``format`` is always ``"ufldl"``. ``format_version`` is an integer, currently 1; a reader refuses files
    with a higher version than it knows. ``kind`` names the registered class that wrote the file and
    ``ufldl_version`` the package version that wrote it (informative only). ``meta`` is the kind's JSON
    metadata (hyperparameters, scalar fitted attributes, short lists). ``arrays`` lists every other member
    of the archive with its NumPy dtype string (``numpy.dtype.str``, byte order included) and shape.
``<name>`` (one ``.npy`` member per entry of ``arrays``)
    The kind's arrays, stored exactly as given (any bool, integer, float or complex dtype; never object
    arrays, strings or structured dtypes).

The checksum is SHA-256 over the arrays in ascending order of their names (compared as Unicode code
points), each contributing, in turn,

    ``name`` (UTF-8) ``\\0`` ``dtype.str`` (ASCII) ``\\0`` the shape as decimal integers joined by ``,``
    (empty for a 0-d array) ``\\0``, then the array's elements as raw bytes in C (row-major) order, in the
    dtype's own byte order.

The metadata is deliberately not part of the checksum, so that another language can verify a file without
reproducing Python's JSON formatting. Random corruption anywhere (header included) is already caught by
the zip format's CRC-32 of each member; the checksum catches an archive rewritten consistently with a
changed array, or an array swapped in from another file.

Writing is atomic: the archive goes to a temporary file in the target's directory, is flushed and
fsynced, and is then renamed onto ``path`` with ``os.replace``. If anything fails (an exception, Ctrl-C)
the temporary file is removed and a file already at ``path`` is left untouched; a crash of the whole
process can leave at most a stray ``.<name>.<random>.tmp`` file next to the target, never a half-written
``path``. The file is written to exactly ``path``: unlike ``numpy.savez``, no ``.npz`` suffix is
appended (``.npz`` is the conventional suffix, not a requirement).

Loading never executes code: nothing is unpickled (``allow_pickle=False``), the header is JSON, and the
only code run is the ``from_state`` function registered for the file's kind in this process.

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

from ufldl.network import KLSparsity, Network

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "HEADER_NAME", "load", "register", "save"]

#: The ``format`` field of every header.
FORMAT_NAME = "ufldl"
#: The format version this module writes, and the highest it reads.
FORMAT_VERSION = 1
#: The name of the archive member holding the JSON header.
HEADER_NAME = "__ufldl__"

# Array names: what numpy.savez and every zip tool handle without surprises. Names starting with "__" are
# reserved for the format; "file" and "allow_pickle" are keyword arguments of numpy.savez itself.
_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_SAVEZ_KEYWORDS = frozenset({"file", "allow_pickle"})
_ARRAY_KINDS = "biufc"  # bool, signed and unsigned integers, floats, complex
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive's end record
_NPY_MAGIC = b"\x93NUMPY"


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

def _to_json_value(value, where):
    """``value`` as plain JSON types (lists, dicts with str keys, finite floats), or a TypeError/ValueError."""
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
    if isinstance(value, (list, tuple)):
        return [_to_json_value(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where} has a key {key!r} of type {type(key).__name__}; keys must be str")
            out[key] = _to_json_value(item, f"{where}[{key!r}]")
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


def _checksum(arrays):
    """SHA-256 (hex) of the arrays as described in the module docstring."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        arr = arrays[name]
        shape = ",".join(str(n) for n in arr.shape)
        digest.update(f"{name}\0{arr.dtype.str}\0{shape}\0".encode("utf-8"))
        data = arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)
        digest.update(data.reshape(-1).view(np.uint8))
    return digest.hexdigest()


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
        A bad array name, or a NaN or infinity in the metadata.
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
        "checksum": {"algorithm": "sha256", "value": _checksum(arrays)},
    }
    text = json.dumps(header, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    members = {HEADER_NAME: np.frombuffer(text.encode("utf-8"), dtype=np.uint8)}  # header first
    members.update(arrays)
    _write_atomically(path, members, compress)


def _write_atomically(path, members, compress):
    target = os.fspath(path)
    if not isinstance(target, str):
        raise TypeError(f"path must be a str or os.PathLike of str; got {type(path).__name__} {path!r}")
    if os.path.islink(target):
        target = os.path.realpath(target)
    if os.path.isdir(target):
        raise IsADirectoryError(errno.EISDIR, "cannot save over a directory", target)
    directory, base = os.path.split(os.path.abspath(target))
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    # os.open with 0o666 lets the umask decide a new file's permissions, like open(path, "wb") would
    # (tempfile.mkstemp would give 0o600).
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:
            continue
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

# What a damaged or hostile archive can raise while numpy and zipfile read it.
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
        ``.npz`` (zip) archive, truncated or corrupt (zip CRC), no ``__ufldl__`` header or an unreadable one,
        another ``format``, a ``format_version`` newer than ``FORMAT_VERSION``, a kind that is not registered
        in this process, arrays missing from the archive or not listed in the header, an array whose dtype or
        shape differs from the header's, a checksum mismatch (an array was modified), or a state the kind's
        ``from_state`` refuses (for instance a ``theta`` whose length does not fit ``layer_sizes``).

    Notes
    -----
    No code from the file is ever executed: ``numpy.load`` runs with ``allow_pickle=False`` (an object array
    is an error), and the header is parsed as JSON.
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
        header, arrays = _read_archive(BytesIO(data))
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


def _read_archive(f):
    with np.load(f, allow_pickle=False) as npz:
        names = list(npz.files)
        if len(set(names)) != len(names):
            duplicated = sorted({name for name in names if names.count(name) > 1})
            raise _ValueErrorWithoutPath(f"the archive holds several members named {duplicated}")
        if HEADER_NAME not in names:
            raise _ValueErrorWithoutPath(
                f"not a ufldl file: no {HEADER_NAME!r} header among the archive's arrays {sorted(names)}"
            )
        header = _parse_header(npz[HEADER_NAME])
        listed = header["arrays"]
        present = set(names) - {HEADER_NAME}
        missing, extra = sorted(set(listed) - present), sorted(present - set(listed))
        if missing:
            raise _ValueErrorWithoutPath(f"arrays {missing} listed in the header are missing from the archive")
        if extra:
            raise _ValueErrorWithoutPath(f"the archive holds arrays {extra} that the header does not list")
        arrays = {}
        for name, spec in listed.items():
            try:
                arr = npz[name]
            except ValueError as exc:
                if "pickle" not in str(exc):
                    raise
                raise _ValueErrorWithoutPath(
                    f"array {name!r} is an object array (pickled Python objects); refused, since loading it "
                    "could execute code"
                ) from None
            if not isinstance(arr, np.ndarray):  # numpy returns a member that is not .npy data as bytes
                raise _ValueErrorWithoutPath(f"member {name!r} is not a .npy array")
            expected_shape = tuple(spec["shape"])
            if arr.dtype.str != spec["dtype"] or arr.shape != expected_shape:
                raise _ValueErrorWithoutPath(
                    f"array {name!r} should have dtype {spec['dtype']} and shape {expected_shape} (header); "
                    f"got dtype {arr.dtype.str} and shape {arr.shape}"
                )
            arrays[name] = arr
    checksum = header["checksum"]
    if _checksum(arrays) != checksum["value"]:
        raise _ValueErrorWithoutPath(
            "checksum mismatch: the arrays are not the ones this file was written with (modified or corrupt)"
        )
    return header, arrays


def _parse_header(raw):
    if not (isinstance(raw, np.ndarray) and raw.dtype == np.uint8 and raw.ndim == 1):
        got = f"dtype {raw.dtype}, shape {raw.shape}" if isinstance(raw, np.ndarray) else type(raw).__name__
        raise _ValueErrorWithoutPath(f"the {HEADER_NAME!r} header must be a 1-D uint8 array; got {got}")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _ValueErrorWithoutPath(f"the {HEADER_NAME!r} header is not UTF-8 JSON: {exc}") from None
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
    valid = isinstance(listed, dict) and all(
        isinstance(spec, dict) and isinstance(spec.get("dtype"), str) and isinstance(spec.get("shape"), list)
        and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in spec["shape"])
        for spec in listed.values()
    )
    if not valid or HEADER_NAME in listed:
        raise _ValueErrorWithoutPath(
            "header 'arrays' must map each array name to {'dtype': str, 'shape': [int, ...]}; "
            f"got {listed!r}"
        )
    checksum = header.get("checksum")
    if not (isinstance(checksum, dict) and checksum.get("algorithm") == "sha256"
            and isinstance(checksum.get("value"), str)):
        raise _ValueErrorWithoutPath(
            f"header 'checksum' must be {{'algorithm': 'sha256', 'value': hex}}; got {checksum!r}"
        )
    return header


# ---------------------------------------------------------------------------------------------- Network

_NETWORK_META = ("layer_sizes", "activations", "loss", "weight_decay", "sparsity", "dtype")


def _network_to_state(net):
    sparsity = net.sparsity
    meta = {
        "layer_sizes": list(net.layer_sizes),
        "activations": list(net.activations),
        "loss": net.loss,
        "weight_decay": (float(net.weight_decay) if not isinstance(net.weight_decay, tuple)
                         else [float(d) for d in net.weight_decay]),
        "sparsity": None if sparsity is None else {
            "rho": float(sparsity.rho),
            "beta": float(sparsity.beta),
            "layers": None if sparsity.layers is None else list(sparsity.layers),
        },
        "dtype": str(net.dtype),
    }
    return meta, {"theta": net.theta}


def _network_from_state(meta, arrays):
    missing = [key for key in _NETWORK_META if key not in meta]
    if missing:
        raise ValueError(f"meta lacks {missing}")
    if set(arrays) != {"theta"}:
        raise ValueError(f"a Network stores exactly one array, 'theta'; got {sorted(arrays)}")
    sparsity = meta["sparsity"]
    if sparsity is not None:
        if not isinstance(sparsity, dict) or set(sparsity) != {"rho", "beta", "layers"}:
            raise ValueError(f"meta 'sparsity' must be null or {{rho, beta, layers}}; got {sparsity!r}")
        sparsity = KLSparsity(sparsity["rho"], sparsity["beta"], sparsity["layers"])
    net = Network(meta["layer_sizes"], meta["activations"], meta["loss"], meta["weight_decay"], sparsity,
                  meta["dtype"], seed=0)
    theta = arrays["theta"]
    # Byte order may differ from this machine's (a file from a big-endian one); the values are the same.
    if theta.shape != (net.n_params,) or theta.dtype.newbyteorder("=") != net.dtype:
        raise ValueError(
            f"theta must have shape ({net.n_params},) and dtype {net.dtype} for layer_sizes "
            f"{list(net.layer_sizes)}; got shape {theta.shape} and dtype {theta.dtype}"
        )
    # Written into the existing buffer (weights and biases stay views of it), without the setter's
    # finiteness check: the parameters come back as they were saved, NaN included.
    net.theta[...] = theta
    return net


register("ufldl.Network", Network, _network_to_state, _network_from_state)
