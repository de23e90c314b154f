"""The JSON header: written with its closing checksum record; parsed, checked (structure, depth, duplicate
keys) and its checksum verified when read."""

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn, cast

import numpy as np

from ufldl.io.registry import kind_named, known_kinds
from ufldl.io.spec import (FORMAT_NAME, FORMAT_VERSION, HEADER_NAME, MAX_HEADER_DEPTH, MAX_META_DEPTH, MAX_NDIM,
                           ValueErrorWithoutPath, ufldl_version)

if TYPE_CHECKING:
    from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12


def _checksum(arrays: Mapping[str, np.ndarray[Any, Any]], covered_header: bytes | None = None) -> str:
    """SHA-256 (hex) as described in ``ufldl.io``'s docstring: of ``covered_header`` (the header's bytes before
    its checksum record; None for a version-1 file, whose header is not covered), then of the arrays."""
    digest = hashlib.sha256()
    if covered_header is not None:
        digest.update(HEADER_NAME.encode("ascii") + b"\0" + covered_header + b"\0")
    for name in sorted(arrays):
        arr = arrays[name]
        shape = ",".join(str(n) for n in arr.shape)
        digest.update(f"{name}\0{arr.dtype.str}\0{shape}\0".encode("utf-8"))
        data = arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)
        digest.update(cast("Buffer", data.reshape(-1).view(np.uint8)))  # numpy types its buffer from 3.12
    return digest.hexdigest()


# The end of every version-2 header; the checksum covers all the header's bytes before it. A fixed record at
# a fixed place lets any reader find the covered bytes without reproducing anyone's JSON formatting.
_CHECKSUM_RECORD_START = b'"checksum":{"algorithm":"sha256","value":"'
_CHECKSUM_RECORD_END = b'"}}'
_CHECKSUM_RECORD = re.compile(
    re.escape(_CHECKSUM_RECORD_START) + rb"([0-9a-f]{64})" + re.escape(_CHECKSUM_RECORD_END)
)
_CHECKSUM_RECORD_LEN = len(_CHECKSUM_RECORD_START) + 64 + len(_CHECKSUM_RECORD_END)


def header_bytes(header: Mapping[str, Any], arrays: Mapping[str, np.ndarray[Any, Any]]) -> bytes:
    """The version-2 header: ``header`` (without a checksum) as JSON, closed by the checksum record."""
    text = json.dumps(header, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    covered = text[:-1].encode("utf-8") + b","  # the object stays open for its last member, the record
    value = _checksum(arrays, covered).encode("ascii")
    return covered + _CHECKSUM_RECORD_START + value + _CHECKSUM_RECORD_END


def _covered_header(raw: bytes) -> tuple[bytes, str] | tuple[None, None]:
    """The bytes of a version-2 header that its checksum covers, and the checksum; (None, None) if the
    header does not end with the checksum record exactly as written (it was rewritten)."""
    start = len(raw) - _CHECKSUM_RECORD_LEN
    match = _CHECKSUM_RECORD.fullmatch(raw, start) if start > 0 else None
    if match is None:
        return None, None
    return raw[:match.start()], match.group(1).decode("ascii")


def parse_header(raw: bytes) -> dict[str, Any]:
    """The header (a dict) from its raw bytes, once its JSON and its structure are checked; the kind it names
    must be registered. The checksum is checked later, by ``verify_checksum``, once the arrays are read."""
    header = _parse_json(raw)
    if not isinstance(header, dict):
        raise ValueErrorWithoutPath(f"the header must be a JSON object; got {type(header).__name__}")

    fmt = header.get("format")
    if fmt != FORMAT_NAME:
        raise ValueErrorWithoutPath(f"not a ufldl file: header format is {fmt!r}, expected {FORMAT_NAME!r}")
    version = header.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueErrorWithoutPath(f"format_version must be an integer >= 1; got {version!r}")
    if version > FORMAT_VERSION:
        raise ValueErrorWithoutPath(
            f"format version {version} is newer than this ufldl ({ufldl_version()}) reads (up to "
            f"{FORMAT_VERSION}); the file was written by ufldl {header.get('ufldl_version', '?')}: "
            "upgrade ufldl to load it"
        )
    kind = header.get("kind")
    if kind_named(kind) is None:
        known = ", ".join(known_kinds())
        raise ValueErrorWithoutPath(
            f"unknown kind {kind!r} (known kinds: {known}); import the module that registers it first"
        )
    if not isinstance(header.get("meta"), dict):
        raise ValueErrorWithoutPath(f"header 'meta' must be a JSON object; got {header.get('meta')!r}")
    listed = header.get("arrays")
    if not (isinstance(listed, dict) and all(_is_array_spec(spec) for spec in listed.values())) \
            or HEADER_NAME in listed:
        raise ValueErrorWithoutPath(
            "header 'arrays' must map each array name to {'dtype': str, 'shape': [int, ...]} (at most "
            f"{MAX_NDIM} dimensions, each in [0, 2**63)); got {_shorten(listed)}"
        )
    checksum = header.get("checksum")
    if not (isinstance(checksum, dict) and checksum.get("algorithm") == "sha256"
            and isinstance(checksum.get("value"), str)):
        raise ValueErrorWithoutPath(
            f"header 'checksum' must be {{'algorithm': 'sha256', 'value': hex}}; got {_shorten(checksum)}"
        )
    return header


def _is_array_spec(spec: object) -> bool:
    return (isinstance(spec, dict) and isinstance(spec.get("dtype"), str) and isinstance(spec.get("shape"), list)
            and len(spec["shape"]) <= MAX_NDIM
            and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**63 for n in spec["shape"]))


def _shorten(value: object, limit: int = 200) -> str:
    """``repr(value)``, cut for an error message (a hostile header can be megabytes)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _parse_json(raw: bytes) -> Any:
    """The header's JSON, refusing what JSON allows but a ufldl header never holds: duplicate keys (readers
    disagree on which wins), NaN and infinities, and nesting deeper than ``MAX_HEADER_DEPTH``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueErrorWithoutPath(f"the {HEADER_NAME!r} header is not UTF-8 JSON: {exc}") from None
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except RecursionError:  # deeper than the parser's stack: far beyond the limit
        raise ValueErrorWithoutPath(_too_deep("more than Python's JSON parser can nest")) from None
    except ValueError as exc:  # JSONDecodeError, or an integer of more than 4300 digits
        raise ValueErrorWithoutPath(f"the {HEADER_NAME!r} header is not UTF-8 JSON: {exc}") from None
    depth = _json_depth(value)
    if depth > MAX_HEADER_DEPTH:
        raise ValueErrorWithoutPath(_too_deep(depth))
    return value


def _too_deep(got: object) -> str:
    return (f"the {HEADER_NAME!r} header nests JSON arrays and objects at most {MAX_HEADER_DEPTH} levels "
            f"deep (meta at most {MAX_META_DEPTH}); got {got}")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        remember: Callable[[str], object] = seen.add  # None: the key is new
        duplicate = next(key for key, _ in pairs if key in seen or remember(key))
        raise ValueErrorWithoutPath(
            f"the {HEADER_NAME!r} header repeats the key {_shorten(duplicate)} in one object; keys must be unique"
        )
    return obj


def _no_constant(name: str) -> NoReturn:
    raise ValueErrorWithoutPath(f"the {HEADER_NAME!r} header holds {name}; its numbers must be finite")


def _json_depth(value: object) -> int:
    """How deeply lists and dicts nest in ``value`` (0 for a scalar), level by level: no recursion."""
    containers: list[Any]
    depth, containers = 0, [value] if isinstance(value, (list, dict)) else []
    while containers:
        depth += 1
        children = [child for c in containers for child in (c.values() if isinstance(c, dict) else c)]
        containers = [child for child in children if isinstance(child, (list, dict))]
    return depth


def verify_checksum(header: Mapping[str, Any], raw: bytes, arrays: Mapping[str, np.ndarray[Any, Any]]) -> None:
    """Version 1 covers the arrays; version 2 the header's bytes too, up to its closing checksum record."""
    if header["format_version"] == 1:
        if _checksum(arrays) != header["checksum"]["value"]:
            raise ValueErrorWithoutPath(
                "checksum mismatch: the arrays are not the ones this file was written with (modified or corrupt)"
            )
        return
    covered, value = _covered_header(raw)
    if covered is None:
        raise ValueErrorWithoutPath(
            f"checksum mismatch: a version-{header['format_version']} header ends with its checksum record "
            f"{(_CHECKSUM_RECORD_START + b'<sha256>' + _CHECKSUM_RECORD_END).decode()}; got one ending "
            f"{raw[-_CHECKSUM_RECORD_LEN:].decode('utf-8', 'replace')!r} (the header was rewritten)"
        )
    if _checksum(arrays, covered) != value:
        raise ValueErrorWithoutPath(
            "checksum mismatch: the header or the arrays are not the ones this file was written with "
            "(modified or corrupt)"
        )
