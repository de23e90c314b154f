"""``ufldl.load`` of hostile files, and ``ufldl.save`` of awkward names.

Each hostile file is built here, byte for byte, the way an attacker would (only the zip and ``.npy``
containers and the checksum recipe of the ``ufldl.io`` docstring, re-implemented independently). Every one
must be refused with the documented ValueError, and cheaply: the memory that loading allocates is measured
with tracemalloc (NumPy reports its array buffers to it) and must stay small, whatever the file declares.
"""

import contextlib
import hashlib
import io as _stdlib_io
import json
import os
import pathlib
import re
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest

import ufldl
from ufldl import io as uio

HEADER = "__ufldl__"
MiB = 2**20
RECORD_START = b'"checksum":{"algorithm":"sha256","value":"'
RECORD_END = b'"}}'


# ---------------------------------------------------------------------------- building files

def npy(arr):
    buf = _stdlib_io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=False)
    return buf.getvalue()


def npy_header(descr, shape):
    """A .npy header alone (version 1.0): it may declare far more data than follows it."""
    buf = _stdlib_io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def array_record(name, arr):
    shape = ",".join(map(str, arr.shape))
    return f"{name}\0{arr.dtype.str}\0{shape}\0".encode() + np.ascontiguousarray(arr).tobytes()


def header_v2(fields, arrays):
    """Header bytes of format version 2, checksummed as the module docstring specifies."""
    covered = json.dumps(fields).encode()[:-1] + b","
    digest = hashlib.sha256(HEADER.encode() + b"\0" + covered + b"\0")
    for name in sorted(arrays):
        digest.update(array_record(name, arrays[name]))
    return covered + RECORD_START + digest.hexdigest().encode() + RECORD_END


def header_v1(fields, arrays):
    """Header bytes of format version 1: the checksum covers the arrays only."""
    digest = hashlib.sha256(b"".join(array_record(name, arrays[name]) for name in sorted(arrays)))
    return json.dumps({**fields, "format_version": 1,
                       "checksum": {"algorithm": "sha256", "value": digest.hexdigest()}}).encode()


def header_bytes(fields, arrays, version):
    return (header_v2 if version == 2 else header_v1)(fields, arrays)


def write_zip(path, members, compression=zipfile.ZIP_STORED):
    """A zip of ``members`` (member name -> bytes, or an iterable of byte chunks, streamed)."""
    with zipfile.ZipFile(path, "w", compression, compresslevel=1) as zf:  # fast to build
        for name, data in members.items():
            with zf.open(name, "w") as out:
                for chunk in ([data] if isinstance(data, bytes) else data):
                    out.write(chunk)


def network_fields(layer_sizes=(6, 3, 6), n_params=45):
    return {"format": "ufldl", "format_version": 2, "kind": "ufldl.Network", "ufldl_version": "x",
            "meta": {"layer_sizes": list(layer_sizes), "activations": ["sigmoid"] * (len(layer_sizes) - 1),
                     "loss": "squared", "weight_decay": 0.0, "sparsity": None, "dtype": "float64"},
            "arrays": {"theta": {"dtype": "<f8", "shape": [n_params]}}}


def network_file(path, fields=None, theta=None, version=2):
    """A consistent file (checksum right) of a Network whose header says ``fields``."""
    fields = network_fields() if fields is None else fields
    theta = np.linspace(-1, 1, 45) if theta is None else theta
    header = header_bytes(fields, {"theta": theta}, version)
    write_zip(path, {HEADER + ".npy": npy(np.frombuffer(header, np.uint8)), "theta.npy": npy(theta)})


def zeros(total, chunk=MiB):
    for start in range(0, total, chunk):
        yield bytes(min(chunk, total - start))


def patch_directory(path, member, **fields):
    """Rewrite ``member``'s ``file_size`` / ``compress_size`` in the zip's central directory and in its local
    header: a directory that lies."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    # signature, offset of the name, offsets of the size fields
    records = [(b"PK\x01\x02", 46, {"compress_size": 20, "file_size": 24}),
               (b"PK\x03\x04", 30, {"compress_size": 18, "file_size": 22})]
    for signature, name_offset, field_offsets in records:
        start = data.find(signature)
        while start >= 0:
            if data[start + name_offset:start + name_offset + len(name)] == name:
                for field, value in fields.items():
                    struct.pack_into("<I", data, start + field_offsets[field], value)
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))


# ---------------------------------------------------------------------------- checking

@contextlib.contextmanager
def allocates_at_most(limit):
    """Fails if the body's peak traced allocation exceeds ``limit`` bytes."""
    tracemalloc.start()
    try:
        yield
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < limit, f"loading allocated {peak / MiB:.1f} MiB; expected under {limit / MiB:.1f} MiB"


def refused(path, pattern, memory=4 * MiB):
    """ufldl.load(path) must raise the documented ValueError (the path, then ``pattern``), cheaply."""
    with allocates_at_most(memory):
        with pytest.raises(ValueError, match=re.escape(str(path)) + ": .*" + pattern):
            ufldl.load(path)


# ---------------------------------------------------------------------------- layer_sizes beyond theta

@pytest.mark.parametrize("version", [1, 2])
def test_layer_sizes_far_beyond_theta_are_refused_before_building_the_network(tmp_path, version):
    # [15000, 15000] means 225,015,000 parameters (1.8 GB): nothing of that size may be allocated.
    path = tmp_path / "huge.npz"
    network_file(path, network_fields(layer_sizes=[15000, 15000]), version=version)
    refused(path, r"invalid 'ufldl.Network' state: theta must have shape \(225015000,\) and dtype float64 "
                  r"for layer_sizes \[15000, 15000\]; got shape \(45,\)")


@pytest.mark.parametrize("version", [1, 2])
def test_layer_sizes_whose_parameter_count_overflows_64_bits(tmp_path, version):
    path = tmp_path / "overflow.npz"
    sizes = [2**31 - 1] * 5  # each a valid int32; their products overflow int64 in C++
    network_file(path, network_fields(layer_sizes=sizes), version=version)
    refused(path, r"theta must have shape \(%d,\)" % (4 * (2**31 - 1) ** 2 + 4 * (2**31 - 1)))


def test_estimator_network_with_edited_layer_sizes(tmp_path, rng):
    # The estimators build their networks through the same path: the fitted autoencoder's header says
    # 450 million parameters for a theta of 8 * 3 * 2 + 3 + 8.
    X = rng.uniform(0.1, 0.9, size=(30, 8))
    ae = ufldl.SparseAutoencoder(n_hidden=3, max_iter=5, random_state=0).fit(X)
    path = tmp_path / "ae.npz"
    ae.save(path)
    with np.load(path, allow_pickle=False) as npz:
        fields = json.loads(npz[HEADER].tobytes())
        arrays = {name: npz[name] for name in npz.files if name != HEADER}
    del fields["checksum"]
    fields["meta"]["network"]["layer_sizes"] = [15000, 15000, 15000]
    header = header_v2(fields, arrays)  # a careful forger: the checksum is right
    write_zip(path, {HEADER + ".npy": npy(np.frombuffer(header, np.uint8)),
                     **{name + ".npy": npy(arr) for name, arr in arrays.items()}})
    refused(path, r"invalid 'ufldl.SparseAutoencoder' state: theta must have shape \(450030000,\)")


def test_edited_header_is_caught_by_the_checksum(tmp_path):
    path = tmp_path / "net.npz"
    ufldl.save(ufldl.Network([6, 3, 6], random_state=0), path)
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    raw = members[HEADER + ".npy"]
    assert raw.count(b"[6,3,6]") == 1
    edited = raw.replace(b"[6,3,6]", b"[6,9,6]")  # the same length: the .npy stays valid
    write_zip(path, {**members, HEADER + ".npy": edited})
    refused(path, r"checksum mismatch: the header or the arrays are not the ones this file was written with")


def test_rewritten_header_is_caught_by_the_checksum(tmp_path):
    path = tmp_path / "net.npz"
    ufldl.save(ufldl.Network([6, 3, 6], random_state=0), path)
    with np.load(path, allow_pickle=False) as npz:
        fields, theta = json.loads(npz[HEADER].tobytes()), npz["theta"]
    fields["meta"]["weight_decay"] = 0.5  # re-serialised: the checksum record is no longer as written
    write_zip(path, {HEADER + ".npy": npy(np.frombuffer(json.dumps(fields).encode(), np.uint8)),
                     "theta.npy": npy(theta)})
    refused(path, r"checksum mismatch: a version-2 header ends with its checksum record .*"
                  r"\(the header was rewritten\)")


def test_saved_header_and_checksum_follow_the_docstring(tmp_path):
    net = ufldl.Network([6, 3, 6], random_state=0)
    path = tmp_path / "net.npz"
    ufldl.save(net, path)
    with np.load(path, allow_pickle=False) as npz:
        raw, theta = npz[HEADER].tobytes(), npz["theta"]
    fields = json.loads(raw)
    assert fields["format_version"] == 2 == uio.FORMAT_VERSION
    del fields["checksum"]
    # header_v2 re-serialises differently; the checksum is defined on the bytes before the record
    covered = raw[:raw.rindex(RECORD_START)]
    digest = hashlib.sha256(HEADER.encode() + b"\0" + covered + b"\0" + array_record("theta", theta))
    assert raw == covered + RECORD_START + digest.hexdigest().encode() + RECORD_END
    assert bytes(ufldl.load(path).theta) == bytes(net.theta)


def test_version_1_files_still_load(tmp_path):
    theta = np.linspace(-1, 1, 45)
    path = tmp_path / "v1.npz"
    network_file(path, theta=theta, version=1)
    net = ufldl.load(path)
    assert net.layer_sizes == (6, 3, 6) and bytes(net.theta) == bytes(theta)
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    write_zip(path, {**members, "theta.npy": npy(theta[::-1].copy())})  # stale v1 checksum
    refused(path, r"checksum mismatch: the arrays are not the ones")


# ---------------------------------------------------------------------------- members that inflate

@pytest.mark.parametrize("version", [1, 2])
def test_npy_header_declaring_far_more_than_the_ufldl_header(tmp_path, version):
    # theta.npy says 8 Mi float64 (64 MiB of zeros, deflated to ~64 KiB); the ufldl header says 45.
    path = tmp_path / "bomb.npz"
    n = 8 * MiB
    header = header_bytes(network_fields(), {"theta": np.zeros(45)}, version)
    write_zip(path, {HEADER + ".npy": npy(np.frombuffer(header, np.uint8)),
                     "theta.npy": [npy_header("<f8", (n,)), *zeros(8 * n)]}, zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < MiB
    refused(path, r"array 'theta' should have dtype <f8 and shape \(45,\) \(header\); "
                  rf"got dtype <f8 and shape \({n},\)")


@pytest.mark.parametrize("version", [1, 2])
def test_member_holding_far_more_than_its_npy_header_declares(tmp_path, version):
    path = tmp_path / "bomb.npz"
    theta = np.zeros(45)
    header = header_bytes(network_fields(), {"theta": theta}, version)
    write_zip(path, {HEADER + ".npy": npy(np.frombuffer(header, np.uint8)),
                     "theta.npy": [npy(theta), *zeros(64 * MiB)]}, zipfile.ZIP_DEFLATED)
    refused(path, r"member 'theta.npy' should hold 488 bytes \(a 128-byte .npy header and 360 bytes of <f8 "
                  rf"data of shape \(45,\)\); the archive's directory gives {488 + 64 * MiB}")


def test_header_member_larger_than_the_limit(tmp_path):
    path = tmp_path / "bomb.npz"
    header = header_v2(network_fields(), {"theta": np.zeros(45)})
    spaces = (b" " * MiB for _ in range(32))  # valid JSON once the header follows, but 32 MiB in all
    size = 32 * MiB + len(header)
    write_zip(path, {HEADER + ".npy": [npy_header("|u1", (size,)), *spaces, header],
                     "theta.npy": npy(np.zeros(45))}, zipfile.ZIP_DEFLATED)
    refused(path, rf"the '__ufldl__' header must be at most 16777216 bytes; got {size}")


@pytest.mark.parametrize("version", [1, 2])
def test_directory_understating_the_inflated_size(tmp_path, version):
    # The directory says 488 bytes; the deflated data goes on for 64 MiB: reading stops at 488.
    path = tmp_path / "liar.npz"
    theta = np.zeros(45)
    header = header_bytes(network_fields(), {"theta": theta}, version)
    write_zip(path, {HEADER + ".npy": npy(np.frombuffer(header, np.uint8)),
                     "theta.npy": [npy(theta), *zeros(64 * MiB)]}, zipfile.ZIP_DEFLATED)
    patch_directory(path, "theta.npy", file_size=488)
    refused(path, r"truncated or corrupt \(BadZipFile: Bad CRC-32 for file 'theta.npy'\)")


@pytest.mark.parametrize("compression, claimed, pattern", [
    (zipfile.ZIP_DEFLATED, 2**31, r"claims 2147483648 bytes from \d+ deflated bytes, which can give at most"),
    (zipfile.ZIP_STORED, 2**31, r"claims 2147483648 bytes from 488 stored bytes, which can give at most 488"),
], ids=["deflated", "stored"])
def test_directory_claiming_more_than_the_compressed_bytes_can_give(tmp_path, compression, claimed, pattern):
    path = tmp_path / "liar.npz"
    theta = np.zeros(45)
    header = header_v2(network_fields(), {"theta": theta})
    write_zip(path, {HEADER + ".npy": npy(np.frombuffer(header, np.uint8)), "theta.npy": npy(theta)},
              compression)
    patch_directory(path, "theta.npy", file_size=claimed)
    refused(path, r"truncated or corrupt \(member 'theta.npy' " + pattern)


def test_overlapping_members(tmp_path):
    # The header member's compressed bytes claimed to run on through theta's: the same bytes read twice.
    path = tmp_path / "overlap.npz"
    network_file(path)
    patch_directory(path, HEADER + ".npy", compress_size=path.stat().st_size // 2)
    refused(path, r"truncated or corrupt \(member '__ufldl__.npy' at byte 0 with \d+ compressed bytes runs "
                  r"into member 'theta.npy' at byte \d+\)")


def test_other_compression_methods_are_refused(tmp_path):
    path = tmp_path / "lzma.npz"
    header = header_v2(network_fields(), {"theta": np.zeros(45)})
    write_zip(path, {HEADER + ".npy": npy(np.frombuffer(header, np.uint8)), "theta.npy": npy(np.zeros(45))},
              zipfile.ZIP_LZMA)
    refused(path, r"member '__ufldl__.npy' uses zip compression method 14; ufldl files are stored \(0\) or "
                  r"deflated \(8\)")


# ---------------------------------------------------------------------------- declared shapes

@pytest.mark.parametrize("version", [1, 2])
def test_declared_shape_of_2_to_the_40(tmp_path, version):
    # Header and .npy agree on 2**40 float64 (8 TiB); the member holds no data at all.
    path = tmp_path / "huge.npz"
    fields = network_fields(n_params=2**40)
    header = header_bytes(fields, {}, version)  # the checksum is not reached
    write_zip(path, {HEADER + ".npy": npy(np.frombuffer(header, np.uint8)),
                     "theta.npy": npy_header("<f8", (2**40,))})
    refused(path, rf"member 'theta.npy' should hold {128 + 8 * 2**40} bytes \(a 128-byte .npy header and "
                  rf"{8 * 2**40} bytes of <f8 data of shape \({2**40},\)\); the archive's directory gives 128")


@pytest.mark.parametrize("shape", [[2**63], [-1], [1] * 65, [True]], ids=["2**63", "negative", "65_dims", "bool"])
def test_impossible_declared_shapes(tmp_path, shape):
    path = tmp_path / "bad.npz"
    fields = network_fields()
    fields["arrays"]["theta"]["shape"] = shape
    header = header_v2(fields, {})
    write_zip(path, {HEADER + ".npy": npy(np.frombuffer(header, np.uint8)), "theta.npy": npy(np.zeros(45))})
    refused(path, r"header 'arrays' must map each array name to \{'dtype': str, 'shape': \[int, \.\.\.\]\} "
                  r"\(at most 64 dimensions, each in \[0, 2\*\*63\)\); got")


# ---------------------------------------------------------------------------- the JSON header

def header_file(path, text):
    write_zip(path, {HEADER + ".npy": npy(np.frombuffer(text.encode(), np.uint8))})


@pytest.mark.parametrize("depth, got", [(40, "41"), (100_000, "more than Python's JSON parser can nest")],
                         ids=["40", "100000"])
def test_deeply_nested_header(tmp_path, depth, got):
    path = tmp_path / "deep.npz"
    fields = json.dumps(network_fields())
    header_file(path, fields[:-1] + ',"deep":' + "[" * depth + "]" * depth + "}")
    refused(path, r"the '__ufldl__' header nests JSON arrays and objects at most 33 levels deep "
                  rf"\(meta at most 32\); got {got}$")


@pytest.mark.parametrize("text, pattern", [
    ('{"format":"ufldl","format":"ufldl"}', r"repeats the key 'format' in one object; keys must be unique"),
    ('{"format":"ufldl","x":NaN}', r"holds NaN; its numbers must be finite"),
    ('{"format":"ufldl","x":-Infinity}', r"holds -Infinity; its numbers must be finite"),
    ('{"format":"ufldl","x":1' + "0" * 5000 + "}", r"is not UTF-8 JSON: Exceeds the limit"),
], ids=["duplicate_key", "nan", "infinity", "huge_integer"])
def test_json_a_header_never_holds(tmp_path, text, pattern):
    path = tmp_path / "bad.npz"
    header_file(path, text)
    refused(path, r"the '__ufldl__' header " + pattern)


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(uio.registry, "KINDS", dict(uio.registry.KINDS))
    monkeypatch.setattr(uio.registry, "CLASSES", dict(uio.registry.CLASSES))


def nested(depth):
    """``depth`` levels of lists, meta counting as the first."""
    value = 0
    for _ in range(depth - 1):
        value = [value]
    return value


def test_save_refuses_meta_deeper_than_load_reads(tmp_path, registry):
    class Thing:
        def __init__(self, depth):
            self.depth = depth

    uio.register("tests.Thing", Thing, lambda t: ({"v": nested(t.depth)}, {}), lambda meta, arrays: meta)
    path = tmp_path / "thing.npz"
    uio.save(Thing(32), path)
    assert uio.load(path) == {"v": nested(32)}
    with pytest.raises(ValueError, match=r"meta\['v'\](\[0\])+ nests lists and dicts 33 levels deep "
                                         r"\(meta being level 1\); at most 32 levels are stored"):
        uio.save(Thing(33), tmp_path / "deeper.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thing.npz"]


# ---------------------------------------------------------------------------- saving: file names

def name_max(directory):
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):
        return 255


@pytest.mark.parametrize("name", ["n" * 242, "n" * 250, "n" * 255, "é" * 127 + "n"],
                         ids=["242", "250", "255", "255_utf8"])
def test_long_file_names(tmp_path, name):
    if len(os.fsencode(name)) > name_max(tmp_path):
        pytest.skip("this file system has shorter names")
    net = ufldl.Network([4, 3, 4], random_state=0)
    path = tmp_path / name
    ufldl.save(net, path)
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert bytes(ufldl.load(path).theta) == bytes(net.theta)
    ufldl.save(net, path)  # replacing it too
    assert [p.name for p in tmp_path.iterdir()] == [name]


@pytest.mark.parametrize("path, pattern", [
    ("", r"path must name a file; got '' \(an empty path\)"),
    ("missing" + os.sep, r"path must name a file; got 'missing.', which ends with a path separator"),
], ids=["empty", "trailing_separator"])
def test_path_naming_no_file(tmp_path, monkeypatch, path, pattern):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    with pytest.raises(ValueError, match=pattern):
        ufldl.save(ufldl.Network([4, 3, 4], random_state=0), path)
    assert [p.name for p in tmp_path.iterdir()] == ["cwd"]  # nothing next to the working directory
    assert list(cwd.iterdir()) == []


def test_temporary_file_name_is_short(tmp_path, monkeypatch):
    created = []
    real_open = os.open

    def spy(name, *args, **kwargs):
        created.append(pathlib.Path(name))
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    ufldl.save(ufldl.Network([4, 3, 4], random_state=0), tmp_path / ("n" * 200))
    monkeypatch.undo()
    temporaries = [p for p in created if p.parent == tmp_path]
    assert len(temporaries) == 1 and re.fullmatch(r"\.ufldl-[0-9a-f]{16}\.tmp", temporaries[0].name)


@pytest.mark.parametrize("kind", [["ufldl.Network"], {"a": 1}, 7, None])
def test_kind_that_is_not_a_string(tmp_path, kind):
    # A list or object as the kind once escaped as "TypeError: unhashable type" instead of the ValueError.
    path = tmp_path / "kind.npz"
    fields = network_fields()
    fields["kind"] = kind
    network_file(path, fields)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ": "):
        ufldl.load(path)
