"""Saving and loading networks and estimators: a documented, portable ``.npz`` file, no pickle.

``save(obj, path)`` writes an object, ``load(path)`` gives it back exactly: bit-for-bit parameters, the same
dtypes, equal hyperparameters. Any class can take part by registering a *kind* (see ``register``);
``ufldl.Network`` registers itself (in ``ufldl.network``) as ``"ufldl.Network"``: this package knows nothing of
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
>>> net = ufldl.Network([8, 3, 8], sparsity=ufldl.KLSparsity(0.05, 3.0), random_state=0)
>>> path = pathlib.Path(tempfile.mkdtemp()) / "net.npz"
>>> save(net, path)
>>> again = load(path)
>>> bool((again.theta == net.theta).all()), again.sparsity == net.sparsity
(True, True)
"""

# One job per module: spec (the format's names and limits), registry (kinds), state (what to_state returns),
# header (the JSON header and its checksum), archive (reading the zip safely), saving and loading.
from ufldl.io.loading import load
from ufldl.io.registry import register
from ufldl.io.saving import save
from ufldl.io.spec import FORMAT_NAME, FORMAT_VERSION, HEADER_NAME

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "HEADER_NAME", "load", "register", "save"]
