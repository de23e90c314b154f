"""The ``ufldl.io`` format's fixed names and limits (``ufldl.io``'s docstring describes them), and the
error for a file whose content breaks them."""

import re
import sys


#: The ``format`` field of every header.
FORMAT_NAME = "ufldl"
#: The format version this package writes, and the highest it reads.
FORMAT_VERSION = 2
#: The name of the archive member holding the JSON header.
HEADER_NAME = "__ufldl__"

# Array names: what numpy.savez and every zip tool handle without surprises. Names starting with "__" are
# reserved for the format; "file" and "allow_pickle" are keyword arguments of numpy.savez itself.
NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
SAVEZ_KEYWORDS = frozenset({"file", "allow_pickle"})
ARRAY_KINDS = "biufc"  # bool, signed and unsigned integers, floats, complex
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive's end record
NPY_MAGIC = b"\x93NUMPY"

# Limits of the format (see ``ufldl.io``'s docstring). They, and the checks against the zip directory, bound
# what loading any file can cost by the size of the file itself, whatever its header declares.
MAX_HEADER_BYTES = 16 * 2**20
MAX_META_DEPTH = 32  # lists and dicts, meta itself being level 1
MAX_HEADER_DEPTH = MAX_META_DEPTH + 1  # the header object holds meta
MAX_NDIM = 64  # numpy's own limit
MAX_NPY_HEADER = 10000  # numpy's default max_header_size
DEFLATE_MAX_RATIO = 1032  # deflate's ceiling: a 258-byte match costs at least 2 bits
DEFLATE_SLACK = 1024  # block headers and rounding, for tiny members
LOCAL_HEADER_SIZE = 30  # a zip local file header's fixed part, before the name
READ_CHUNK = 16 * 2**20


def ufldl_version() -> str:
    """The running ufldl's version, for headers and messages: read from ``sys.modules``, since ``ufldl.io`` sits
    below the package and imports nothing of it."""
    ufldl = sys.modules.get("ufldl")
    return str(getattr(ufldl, "__version__", "unknown"))


class ValueErrorWithoutPath(Exception):
    """A problem with the file's content, reported by ``load`` with the path in front."""


def corrupt(detail: str) -> ValueErrorWithoutPath:
    return ValueErrorWithoutPath(f"cannot read the archive: it is truncated or corrupt ({detail})")
