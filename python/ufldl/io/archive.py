"""Reading the archive safely: the zip directory checked before anything is inflated, each ``.npy`` header
read alone and checked against the JSON header, every member read at its verified size and no more."""

import collections
import math
import zipfile
from io import BytesIO  # the standard library's io (this package is ufldl.io)
from typing import IO, TYPE_CHECKING, Any, TypeAlias, cast

import numpy as np

from ufldl.io.header import parse_header, verify_checksum
from ufldl.io.spec import (ARRAY_KINDS, DEFLATE_MAX_RATIO, DEFLATE_SLACK, HEADER_NAME, LOCAL_HEADER_SIZE,
                           MAX_HEADER_BYTES, MAX_NPY_HEADER, NPY_MAGIC, READ_CHUNK, ValueErrorWithoutPath,
                           corrupt)

if TYPE_CHECKING:
    from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12 (numpy's arrays are one)

    # What _read_array needs of a checked member: (dtype, shape, fortran_order, header_size).
    _Layout: TypeAlias = tuple[np.dtype[Any], tuple[int, ...], bool, int]


def read_archive(data: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray[Any, Any]]]:
    """``(header, arrays)`` of the archive ``data`` (the file's bytes), every check of ``ufldl.io``'s docstring
    passed: the zip directory, the JSON header, each array's member, then the checksum."""
    with zipfile.ZipFile(BytesIO(data)) as zf:
        members = _members(zf, len(data))
        if HEADER_NAME not in members:
            raise ValueErrorWithoutPath(
                f"not a ufldl file: no {HEADER_NAME!r} header among the archive's arrays {sorted(members)}"
            )
        raw = _read_header_member(zf, members[HEADER_NAME])
        header = parse_header(raw)
        listed = header["arrays"]
        present = set(members) - {HEADER_NAME}
        missing, extra = sorted(set(listed) - present), sorted(present - set(listed))
        if missing:
            raise ValueErrorWithoutPath(f"arrays {missing} listed in the header are missing from the archive")
        if extra:
            raise ValueErrorWithoutPath(f"the archive holds arrays {extra} that the header does not list")
        # Every member's size is checked before any array is allocated.
        layouts = {name: _array_layout(zf, members[name], name, spec) for name, spec in listed.items()}
        arrays = {name: _read_array(zf, members[name], layout) for name, layout in layouts.items()}
    verify_checksum(header, raw, arrays)
    return header, arrays


def _members(zf: zipfile.ZipFile, file_size: int) -> dict[str, zipfile.ZipInfo]:
    """The archive's members by array name (numpy's: the member name without ".npy"), once each, every one
    of them plausible by the zip directory: nothing below inflates more than the file can hold."""
    infos = zf.infolist()
    names = [info.filename[:-4] if info.filename.endswith(".npy") else info.filename for info in infos]
    if len(set(names)) != len(names):
        duplicated = sorted(name for name, count in collections.Counter(names).items() if count > 1)
        raise ValueErrorWithoutPath(f"the archive holds several members named {duplicated}")
    _check_no_overlap(infos, getattr(zf, "start_dir", file_size))  # where the central directory starts
    for info in infos:
        _check_member_sizes(info)
    return dict(zip(names, infos))


def _check_no_overlap(infos: list[zipfile.ZipInfo], end: int) -> None:
    """Each member's compressed bytes lie between its local header and the next member's (the last: the
    central directory); overlapping members would let a small file inflate the same bytes many times."""
    by_offset = sorted(infos, key=lambda info: info.header_offset)
    for info, following in zip(by_offset, by_offset[1:] + [None]):
        limit = end if following is None else following.header_offset
        stop = info.header_offset + LOCAL_HEADER_SIZE + info.compress_size
        if info.header_offset < 0 or stop > limit:
            where = "the central directory" if following is None else f"member {following.filename!r}"
            raise corrupt(
                f"member {info.filename!r} at byte {info.header_offset} with {info.compress_size} compressed "
                f"bytes runs into {where} at byte {limit}"
            )


def _check_member_sizes(info: zipfile.ZipInfo) -> None:
    """The directory's inflated size of a member must be one its compressed bytes can give."""
    if info.flag_bits & 0x1:
        raise ValueErrorWithoutPath(f"member {info.filename!r} is encrypted; ufldl files never are")
    if info.compress_type == zipfile.ZIP_STORED:
        method, limit = "stored", info.compress_size
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        method, limit = "deflated", DEFLATE_MAX_RATIO * info.compress_size + DEFLATE_SLACK
    else:
        raise ValueErrorWithoutPath(
            f"member {info.filename!r} uses zip compression method {info.compress_type}; ufldl files are "
            f"stored ({zipfile.ZIP_STORED}) or deflated ({zipfile.ZIP_DEFLATED})"
        )
    if info.file_size > limit:
        raise corrupt(
            f"member {info.filename!r} claims {info.file_size} bytes from {info.compress_size} {method} "
            f"bytes, which can give at most {limit}"
        )


def _read_exactly(stream: IO[bytes], size: int, what: str) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise corrupt(f"{what}: expected {size} bytes, got {len(data)}")
    return data


def _npy_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> "_Layout | None":
    """``(dtype, shape, fortran_order, header_size)`` of a .npy member, reading its header only; None if the
    member is not .npy data."""
    with zf.open(info) as stream:
        prefix = stream.read(len(NPY_MAGIC) + 4)  # magic, version, and a header length of 2 or 4 bytes
        if not prefix.startswith(NPY_MAGIC) or len(prefix) < len(NPY_MAGIC) + 4:
            return None
        version = (prefix[6], prefix[7])
        if version not in ((1, 0), (2, 0)):
            raise ValueErrorWithoutPath(
                f"member {info.filename!r} is .npy version {version[0]}.{version[1]}; ufldl reads 1.0 and 2.0"
            )
        if version == (2, 0):
            prefix += _read_exactly(stream, 2, f"member {info.filename!r}")
        length_bytes = prefix[8:]
        length = int.from_bytes(length_bytes, "little")
        if length > MAX_NPY_HEADER:
            raise ValueErrorWithoutPath(
                f"member {info.filename!r} has a .npy header of {length} bytes; at most {MAX_NPY_HEADER} "
                "are read"
            )
        text = _read_exactly(stream, length, f"the .npy header of member {info.filename!r}")
    reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    try:
        shape, fortran_order, dtype = reader(BytesIO(length_bytes + text), max_header_size=MAX_NPY_HEADER)
    except (ValueError, TypeError) as exc:
        raise ValueErrorWithoutPath(f"member {info.filename!r} has an unreadable .npy header: {exc}") from None
    return dtype, shape, fortran_order, len(prefix) + length


def _check_member_holds(info: zipfile.ZipInfo, header_size: int, dtype: np.dtype[Any], shape: tuple[int, ...]
                        ) -> None:
    """A member must be exactly its .npy header and the data its dtype and shape need (Python ints: no
    declared shape can overflow); so the directory, already checked, bounds what is allocated."""
    data_size = dtype.itemsize * math.prod(shape)
    if info.file_size != header_size + data_size:
        raise ValueErrorWithoutPath(
            f"member {info.filename!r} should hold {header_size + data_size} bytes (a {header_size}-byte .npy "
            f"header and {data_size} bytes of {dtype.str} data of shape {tuple(shape)}); the archive's "
            f"directory gives {info.file_size}"
        )


def _array_layout(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, spec: dict[str, Any]) -> "_Layout":
    """What ``_read_array`` needs to read the array ``name``, once its member is checked against ``spec``
    (its entry in the header's "arrays") and against its size in the directory."""
    npy = _npy_header(zf, info)
    if npy is None:
        raise ValueErrorWithoutPath(f"member {name!r} is not a .npy array")
    dtype, shape, fortran_order, header_size = npy
    if dtype.hasobject:
        raise ValueErrorWithoutPath(
            f"array {name!r} is an object array (pickled Python objects); refused, since loading it could "
            "execute code"
        )
    expected_shape = tuple(spec["shape"])
    if dtype.str != spec["dtype"] or shape != expected_shape:
        raise ValueErrorWithoutPath(
            f"array {name!r} should have dtype {spec['dtype']} and shape {expected_shape} (header); "
            f"got dtype {dtype.str} and shape {shape}"
        )
    if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise ValueErrorWithoutPath(
            f"array {name!r} has dtype {dtype.str}; ufldl files hold bool, integer, float and complex arrays"
        )
    _check_member_holds(info, header_size, dtype, shape)
    return dtype, shape, fortran_order, header_size


def _read_array(zf: zipfile.ZipFile, info: zipfile.ZipInfo, layout: "_Layout") -> np.ndarray[Any, Any]:
    """The array of a checked member: allocated at its (verified) size, filled in chunks."""
    dtype, shape, fortran_order, header_size = layout
    flat = np.empty(math.prod(shape), dtype=dtype)
    buffer = flat.view(np.uint8)
    with zf.open(info) as stream:
        _read_exactly(stream, header_size, f"member {info.filename!r}")
        for start in range(0, buffer.size, READ_CHUNK):
            chunk = buffer[start:start + READ_CHUNK]
            # ZipFile.open returns a ZipExtFile (typed IO[bytes], which has no readinto).
            got = cast("zipfile.ZipExtFile", stream).readinto(cast("Buffer", chunk))
            if got != chunk.size:
                raise corrupt(f"member {info.filename!r} ends after {header_size + start + got} bytes")
    # Fortran order is stored as the transpose's C order, as numpy.save writes it.
    return flat.reshape(shape[::-1]).transpose() if fortran_order else flat.reshape(shape)


def _read_header_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The raw bytes of the ``__ufldl__`` member: a 1-D uint8 .npy of at most ``MAX_HEADER_BYTES``."""
    npy = _npy_header(zf, info)
    if npy is None:
        raise ValueErrorWithoutPath(f"the {HEADER_NAME!r} header must be a 1-D uint8 array; got raw bytes")
    dtype, shape, _, header_size = npy
    if dtype != np.uint8 or len(shape) != 1:
        raise ValueErrorWithoutPath(
            f"the {HEADER_NAME!r} header must be a 1-D uint8 array; got dtype {dtype}, shape {shape}"
        )
    if shape[0] > MAX_HEADER_BYTES:
        raise ValueErrorWithoutPath(
            f"the {HEADER_NAME!r} header must be at most {MAX_HEADER_BYTES} bytes; got {shape[0]}"
        )
    _check_member_holds(info, header_size, dtype, shape)
    return _read_array(zf, info, (dtype, shape, False, header_size)).tobytes()
