"""``ufldl.io``: the portable ``.npz`` file of a network (or of any registered class).

The round trip is exact (theta bit for bit, dtype, hyperparameters, and therefore the cost and gradient);
writes are atomic (a failure at any step leaves an earlier file intact and no temporary file behind); a
damaged, tampered, foreign or newer file is refused with a ValueError that names the path; and nothing in a
file is ever executed. The file layout is checked against its documentation by reading it with NumPy alone
and recomputing the checksum independently here.
"""

import hashlib
import io as _stdlib_io
import json
import os
import pathlib
import re
import zipfile

import numpy as np
import pytest

import ufldl
from ufldl import io as uio

HEADER = "__ufldl__"
RECORD_START = b'"checksum":{"algorithm":"sha256","value":"'  # how a version-2 header ends
RECORD_END = b'"}}'


# ---------------------------------------------------------------------------- networks and data

NETWORKS = {
    "autoencoder": dict(layer_sizes=[6, 3, 6], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.05, 3.0)),
    "autoencoder_f32": dict(layer_sizes=[6, 3, 6], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.05, 3.0),
                            dtype="float32"),
    "deep_sparse_layers_f32": dict(layer_sizes=[5, 4, 3, 4, 5],
                                   activations=["sigmoid", "tanh", "sigmoid", "identity"],
                                   sparsity=ufldl.KLSparsity(0.1, 0.5, layers=[1, 3]), weight_decay=3e-3,
                                   dtype="float32"),
    "deep_sparse_layer2": dict(layer_sizes=[4, 5, 5, 4], sparsity=ufldl.KLSparsity(0.2, 1.0, layers=2)),
    "cross_entropy_relu": dict(layer_sizes=[6, 5, 3], activations="relu", loss="cross_entropy",
                               weight_decay=1e-3),
    "cross_entropy_f32": dict(layer_sizes=[6, 3], activations="softmax", loss="cross_entropy",
                              dtype="float32"),
    "no_hidden_layer": dict(layer_sizes=[3, 2], activations="identity"),
}


def make_net(name, seed=0):
    net = ufldl.Network(**NETWORKS[name], random_state=seed)
    rng = np.random.default_rng(seed + 1)
    for b in net.biases:  # nonzero biases: every slot of theta must survive the trip
        b[...] = rng.uniform(-0.5, 0.5, size=b.shape)
    return net


def make_data(net, m=7, seed=2):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.05, 0.95, size=(m, net.layer_sizes[0]))
    if net.loss == "cross_entropy":
        Y = rng.integers(0, net.layer_sizes[-1], size=m)
    else:
        Y = rng.uniform(0.05, 0.95, size=(m, net.layer_sizes[-1]))
    return X, Y


def bits(arr):
    """The array's raw bytes: equality of these is bitwise equality (NaN payloads and -0.0 included)."""
    return np.ascontiguousarray(arr).tobytes()


def assert_same_network(loaded, net):
    assert type(loaded) is ufldl.Network
    assert loaded.layer_sizes == net.layer_sizes
    assert loaded.activations == net.activations
    assert loaded.loss == net.loss
    assert loaded.weight_decay == net.weight_decay
    assert loaded.sparsity == net.sparsity
    assert loaded.dtype == net.dtype
    assert loaded.theta.dtype == net.theta.dtype and loaded.theta.shape == net.theta.shape
    assert bits(loaded.theta) == bits(net.theta)


def listing(directory):
    return sorted(p.name for p in pathlib.Path(directory).iterdir())


# ---------------------------------------------------------------------------- reading and forging files

def reference_checksum(arrays, covered_header=None):
    """The checksum exactly as the module docstring specifies it, written independently of ufldl.io: of
    ``covered_header`` (a version-2 header's bytes before its checksum record; None for version 1, whose
    checksum covers the arrays only), then of the arrays."""
    digest = hashlib.sha256()
    if covered_header is not None:
        digest.update(HEADER.encode() + b"\0" + covered_header + b"\0")
    for name in sorted(arrays):
        arr = arrays[name]
        digest.update(name.encode() + b"\0" + arr.dtype.str.encode() + b"\0"
                      + ",".join(map(str, arr.shape)).encode() + b"\0")
        digest.update(np.ascontiguousarray(arr).tobytes(order="C"))
    return digest.hexdigest()


def read_file(path):
    """(header dict, arrays dict) read with NumPy alone, as any other program would."""
    with np.load(path, allow_pickle=False) as npz:
        header = json.loads(npz[HEADER].tobytes().decode("utf-8"))
        arrays = {name: npz[name] for name in npz.files if name != HEADER}
    return header, arrays


def write_file(path, header, arrays, *, fix_manifest=False, fix_checksum=False, raw_members=None):
    """Write a consistent zip (valid CRCs) with the given header and arrays: a forged or edited file.

    ``fix_manifest`` / ``fix_checksum`` make the header describe the arrays given (as a careful forger
    would); otherwise the header is written as passed (stale). With ``fix_checksum`` a version-2 header
    gets the version-2 checksum (over its own bytes and the arrays), closed by the checksum record; a
    version-1 header the version-1 checksum (over the arrays only). ``raw_members`` adds members as raw
    bytes.
    """
    header = json.loads(json.dumps(header))
    if fix_manifest:
        header["arrays"] = {k: {"dtype": a.dtype.str, "shape": list(a.shape)} for k, a in arrays.items()}
    if fix_checksum and header["format_version"] == 1:
        header["checksum"]["value"] = reference_checksum(arrays)
        header_bytes = json.dumps(header).encode()
    elif fix_checksum:  # forges a version-2 checksum: over the header's bytes up to the record, then the arrays
        del header["checksum"]
        covered = json.dumps(header).encode()[:-1] + b","
        header_bytes = covered + RECORD_START + reference_checksum(arrays, covered).encode() + RECORD_END
    else:
        header_bytes = json.dumps(header).encode()
    with zipfile.ZipFile(path, "w") as zf:
        members = {HEADER: np.frombuffer(header_bytes, dtype=np.uint8), **arrays}
        for name, arr in members.items():
            buf = _stdlib_io.BytesIO()
            np.lib.format.write_array(buf, arr, allow_pickle=arr.dtype.hasobject)
            zf.writestr(name + ".npy", buf.getvalue())
        for name, data in (raw_members or {}).items():
            zf.writestr(name, data)


@pytest.fixture
def saved(tmp_path):
    """A saved network: (net, path)."""
    net = make_net("autoencoder")
    path = tmp_path / "net.npz"
    uio.save(net, path)
    return net, path


def raises_for(path, pattern):
    """pytest.raises(ValueError) whose message must start with the path and then match ``pattern``."""
    return pytest.raises(ValueError, match=re.escape(str(path)) + ": .*" + pattern)


# ---------------------------------------------------------------------------- round trip

@pytest.mark.parametrize("name", sorted(NETWORKS))
@pytest.mark.parametrize("compress", [False, True], ids=["stored", "deflated"])
def test_round_trip_is_exact(tmp_path, name, compress):
    net = make_net(name)
    path = tmp_path / f"{name}.npz"
    uio.save(net, path, compress=compress)
    loaded = uio.load(path)
    assert_same_network(loaded, net)
    X, Y = make_data(net)
    cost, grad = net.cost_and_grad(X, Y)
    cost2, grad2 = loaded.cost_and_grad(X, Y)
    assert cost2 == cost
    assert bits(grad2) == bits(grad)
    assert loaded.cost_terms(X, Y) == net.cost_terms(X, Y)


def test_loaded_network_is_independent_and_views_still_alias_theta(saved):
    net, path = saved
    loaded = uio.load(path)
    loaded.weights[0][0, 0] = 123.0
    assert loaded.theta[0] == 123.0  # W_1 is still a view of theta
    assert net.theta[0] != 123.0
    assert bits(uio.load(path).theta) == bits(net.theta)


def test_str_path_and_path_object(tmp_path):
    net = make_net("cross_entropy_relu")
    uio.save(net, str(tmp_path / "a.npz"))
    uio.save(net, tmp_path / "b.npz")
    assert_same_network(uio.load(tmp_path / "a.npz"), net)
    assert_same_network(uio.load(str(tmp_path / "b.npz")), net)


@pytest.mark.parametrize("filename", ["model", "model.bin", "model.npz.part"])
def test_exact_filename_no_npz_suffix_appended(tmp_path, filename):
    net = make_net("autoencoder")
    uio.save(net, tmp_path / filename)
    assert listing(tmp_path) == [filename]
    assert_same_network(uio.load(tmp_path / filename), net)


def test_non_finite_parameters_are_saved_as_they_are(tmp_path):
    net = make_net("autoencoder_f32")
    net.theta[0], net.theta[1], net.theta[2], net.theta[3] = np.nan, np.inf, -np.inf, -0.0
    uio.save(net, tmp_path / "nan.npz")
    assert bits(uio.load(tmp_path / "nan.npz").theta) == bits(net.theta)


def test_overwrite_replaces_the_earlier_file(tmp_path):
    path = tmp_path / "net.npz"
    uio.save(make_net("autoencoder", seed=1), path)
    net = make_net("deep_sparse_layers_f32", seed=2)
    uio.save(net, path)
    assert_same_network(uio.load(path), net)
    assert listing(tmp_path) == ["net.npz"]


def test_subclass_saves_as_its_registered_base(tmp_path):
    class MyNetwork(ufldl.Network):
        pass

    net = MyNetwork([4, 3, 4], random_state=0)
    uio.save(net, tmp_path / "sub.npz")
    assert_same_network(uio.load(tmp_path / "sub.npz"), net)


# ---------------------------------------------------------------------------- the documented layout

def test_numpy_alone_reads_the_file_as_documented(saved):
    net, path = saved
    with np.load(path, allow_pickle=False) as npz:
        assert sorted(npz.files) == [HEADER, "theta"]
        raw = npz[HEADER]
        assert raw.dtype == np.uint8 and raw.ndim == 1
        raw = raw.tobytes()
        header = json.loads(raw.decode("utf-8"))
        theta = npz["theta"]
    assert bits(theta) == bits(net.theta) and theta.dtype == net.dtype
    assert header["format"] == "ufldl"
    assert header["format_version"] == 2 == uio.FORMAT_VERSION
    assert header["kind"] == "ufldl.Network"
    assert header["ufldl_version"] == ufldl.__version__
    assert header["meta"] == {
        "layer_sizes": [6, 3, 6], "activations": ["sigmoid", "sigmoid"], "loss": "squared",
        "weight_decay": 1e-4, "sparsity": {"rho": 0.05, "beta": 3.0, "layers": None}, "dtype": "float64",
    }
    assert header["arrays"] == {"theta": {"dtype": "<f8", "shape": [net.n_params]}}
    # Version 2: the header's text ends with the checksum record, and the checksum covers the bytes before it.
    record_len = len(RECORD_START) + 64 + len(RECORD_END)
    covered, record = raw[:-record_len], raw[-record_len:]
    assert covered.startswith(b"{") and covered.endswith(b",")
    checksum = reference_checksum({"theta": theta}, covered)
    assert record == RECORD_START + checksum.encode() + RECORD_END
    assert header["checksum"] == {"algorithm": "sha256", "value": checksum}


def test_the_file_is_a_plain_zip_of_npy_members_and_never_pickles(saved):
    _, path = saved
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        assert sorted(zf.namelist()) == [HEADER + ".npy", "theta.npy"]
        for name in zf.namelist():
            with zf.open(name) as member:
                assert member.read(6) == b"\x93NUMPY"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_permissions_new_file_follows_umask_and_overwrite_keeps_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        path = tmp_path / "net.npz"
        uio.save(make_net("autoencoder"), path)
        assert path.stat().st_mode & 0o777 == 0o644  # not mkstemp's 0o600
        path.chmod(0o640)
        uio.save(make_net("autoencoder"), path)
        assert path.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(umask)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_symlink_is_followed(tmp_path):
    real = tmp_path / "real.npz"
    uio.save(make_net("autoencoder", seed=1), real)
    link = tmp_path / "link.npz"
    link.symlink_to(real)
    net = make_net("autoencoder", seed=2)
    uio.save(net, link)
    assert link.is_symlink()
    assert_same_network(uio.load(real), net)


# ---------------------------------------------------------------------------- atomic writes

class Crash(Exception):
    pass


def crash_mid_savez(file, *args, **kwds):
    """Stands in for numpy.savez: writes part of an archive, then fails (a full disk, a bug, a kill)."""
    file.write(b"PK\x03\x04" + b"\0" * 100)
    raise Crash("simulated failure while writing")


def crash_mid_savez_interrupt(file, *args, **kwds):
    file.write(b"PK\x03\x04" + b"\0" * 100)
    raise KeyboardInterrupt


def crash(*args, **kwargs):
    raise Crash("simulated failure")


@pytest.mark.parametrize("target, replacement, expected", [
    (np, ("savez", crash_mid_savez), Crash),
    (np, ("savez", crash_mid_savez_interrupt), KeyboardInterrupt),
    (os, ("fsync", crash), Crash),
    (os, ("replace", crash), Crash),
], ids=["savez_raises", "ctrl_c_in_savez", "fsync_raises", "replace_raises"])
@pytest.mark.parametrize("earlier_file", [True, False], ids=["overwrite", "new"])
def test_failed_write_leaves_earlier_file_and_no_temporary(tmp_path, monkeypatch, target, replacement, expected,
                                                           earlier_file):
    path = tmp_path / "net.npz"
    old = make_net("autoencoder", seed=1)
    if earlier_file:
        uio.save(old, path)
        before = path.read_bytes()
    monkeypatch.setattr(target, *replacement)
    with pytest.raises(expected):
        uio.save(make_net("autoencoder", seed=2), path)
    monkeypatch.undo()
    if earlier_file:
        assert listing(tmp_path) == ["net.npz"]
        assert path.read_bytes() == before
        assert_same_network(uio.load(path), old)
    else:
        assert listing(tmp_path) == []


def test_refused_save_leaves_the_earlier_file(saved):
    _, path = saved
    before = path.read_bytes()
    with pytest.raises(TypeError):
        uio.save(object(), path)
    assert path.read_bytes() == before
    assert listing(path.parent) == ["net.npz"]


def test_path_is_a_directory(tmp_path):
    (tmp_path / "net.npz").mkdir()
    with pytest.raises(IsADirectoryError, match="cannot save over a directory"):
        uio.save(make_net("autoencoder"), tmp_path / "net.npz")
    assert listing(tmp_path) == ["net.npz"] and (tmp_path / "net.npz").is_dir()


def test_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        uio.save(make_net("autoencoder"), tmp_path / "no" / "such" / "net.npz")
    assert listing(tmp_path) == []


# ---------------------------------------------------------------------------- damaged and foreign files

def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        uio.load(tmp_path / "nothing.npz")


@pytest.mark.parametrize("keep", [0, 3, 40, "half", -1, -22, -30])
def test_truncated_file(saved, keep):
    _, path = saved
    data = path.read_bytes()
    n = {"half": len(data) // 2}.get(keep, keep)
    path.write_bytes(data[:n])
    with raises_for(path, "(empty|truncated|not a ufldl file)"):
        uio.load(path)


def test_bytes_cut_from_the_middle(saved):
    _, path = saved
    data = path.read_bytes()
    path.write_bytes(data[:200] + data[260:])
    with raises_for(path, "truncated or corrupt"):
        uio.load(path)


@pytest.mark.parametrize("compress", [False, True], ids=["stored", "deflated"])
def test_flipped_byte_in_the_array_payload(tmp_path, compress):
    net = make_net("autoencoder")
    path = tmp_path / "net.npz"
    uio.save(net, path, compress=compress)
    data = bytearray(path.read_bytes())
    if compress:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("theta.npy")
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)  # the deflated payload
        where = start + info.compress_size // 2
    else:
        where = bytes(data).find(net.theta.tobytes()) + 8 * 5 + 3
        assert where > 8 * 5 + 3
    data[where] ^= 0x10
    path.write_bytes(bytes(data))
    with raises_for(path, "truncated or corrupt"):  # the zip CRC-32 catches it
        uio.load(path)


def test_consistently_rewritten_array_with_stale_checksum(saved):
    net, path = saved
    header, arrays = read_file(path)
    arrays["theta"] = arrays["theta"].copy()
    arrays["theta"][7] += 1e-12
    write_file(path, header, arrays)
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None  # a valid archive: only the checksum tells
    with raises_for(path, "checksum mismatch"):
        uio.load(path)


def test_array_swapped_from_another_file(tmp_path):
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    uio.save(make_net("autoencoder", seed=1), a)
    uio.save(make_net("autoencoder", seed=2), b)
    header, _ = read_file(a)
    _, arrays = read_file(b)
    write_file(a, header, arrays)
    with raises_for(a, "checksum mismatch"):
        uio.load(a)


def test_array_shape_differs_from_header(saved):
    _, path = saved
    header, arrays = read_file(path)
    arrays["theta"] = arrays["theta"].reshape(-1, 1)
    # a v2 checksum forged over the edited header and arrays
    write_file(path, header, arrays, fix_checksum=True)
    pattern = r"array 'theta' should have dtype <f8 and shape \(45,\) \(header\); got dtype <f8 and shape \(45, 1\)"
    with raises_for(path, pattern):
        uio.load(path)


def test_array_dtype_differs_from_header(saved):
    _, path = saved
    header, arrays = read_file(path)
    arrays["theta"] = arrays["theta"].astype(np.float32)
    # a v2 checksum forged over the edited header and arrays
    write_file(path, header, arrays, fix_checksum=True)
    with raises_for(path, "should have dtype <f8.*got dtype <f4"):
        uio.load(path)


@pytest.mark.parametrize("version", [1, 2], ids=["v1", "v2"])
def test_consistent_file_with_theta_too_short_for_layer_sizes(saved, version):
    _, path = saved
    header, arrays = read_file(path)
    header["format_version"] = version
    arrays["theta"] = arrays["theta"][:-1]
    # version 2 forges a v2 checksum over the header too; version 1 the arrays-only one
    write_file(path, header, arrays, fix_manifest=True, fix_checksum=True)
    with raises_for(path, r"invalid 'ufldl.Network' state: theta must have shape \(45,\).*got shape \(44,\)"):
        uio.load(path)


@pytest.mark.parametrize("version", [1, 2], ids=["v1", "v2"])
def test_consistent_file_with_theta_of_another_dtype(saved, version):
    _, path = saved
    header, arrays = read_file(path)
    header["format_version"] = version
    arrays["theta"] = arrays["theta"].astype(np.float32)
    # version 2 forges a v2 checksum over the header too; version 1 the arrays-only one
    write_file(path, header, arrays, fix_manifest=True, fix_checksum=True)
    with raises_for(path, "dtype float64.*got shape .* and dtype float32"):
        uio.load(path)


@pytest.mark.parametrize("version", [1, 2], ids=["v1", "v2"])
def test_big_endian_theta_loads_to_the_same_values(saved, version):
    net, path = saved
    header, arrays = read_file(path)
    header["format_version"] = version
    arrays["theta"] = arrays["theta"].astype(">f8")
    # version 2 forges a v2 checksum over the header too; version 1 the arrays-only one
    write_file(path, header, arrays, fix_manifest=True, fix_checksum=True)
    loaded = uio.load(path)
    assert loaded.theta.dtype == np.float64
    assert bits(loaded.theta) == bits(net.theta)


def test_missing_array(saved):
    _, path = saved
    header, _ = read_file(path)
    write_file(path, header, {})
    with raises_for(path, r"arrays \['theta'\] listed in the header are missing"):
        uio.load(path)


def test_extra_array(saved):
    _, path = saved
    header, arrays = read_file(path)
    write_file(path, header, {**arrays, "extra": np.zeros(3)})
    with raises_for(path, r"holds arrays \['extra'\] that the header does not list"):
        uio.load(path)


def test_extra_non_npy_member(saved):
    _, path = saved
    header, arrays = read_file(path)
    write_file(path, header, arrays, raw_members={"notes.txt": b"hello"})
    with raises_for(path, r"holds arrays \['notes.txt'\] that the header does not list"):
        uio.load(path)


@pytest.mark.parametrize("version", [1, 2], ids=["v1", "v2"])
def test_network_state_with_an_extra_listed_array(saved, version):
    _, path = saved
    header, arrays = read_file(path)
    header["format_version"] = version
    # version 2 forges a v2 checksum over the header too; version 1 the arrays-only one
    write_file(path, header, {**arrays, "extra": np.zeros(3)}, fix_manifest=True, fix_checksum=True)
    with raises_for(path, r"invalid 'ufldl.Network' state: .*exactly one array, 'theta'; got \['extra', 'theta'\]"):
        uio.load(path)


@pytest.mark.parametrize("version", [1, 2], ids=["v1", "v2"])
def test_network_state_with_bad_hyperparameters(saved, version):
    _, path = saved
    header, arrays = read_file(path)
    header["format_version"] = version
    header["meta"]["activations"] = ["sigmoid", "swish"]
    # version 2 forges a v2 checksum over the header too; version 1 the arrays-only one
    write_file(path, header, arrays, fix_checksum=True)
    with raises_for(path, "invalid 'ufldl.Network' state: activations must be names .* got 'swish'"):
        uio.load(path)
    del header["meta"]["loss"]
    write_file(path, header, arrays, fix_checksum=True)
    with raises_for(path, r"meta lacks \['loss'\]"):
        uio.load(path)


def test_missing_header(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, theta=np.zeros(3))
    with raises_for(path, r"no '__ufldl__' header among the archive's arrays \['theta'\]"):
        uio.load(path)


def test_empty_archive(tmp_path):
    path = tmp_path / "empty.npz"
    with zipfile.ZipFile(path, "w"):
        pass
    with raises_for(path, "no '__ufldl__' header"):
        uio.load(path)


@pytest.mark.parametrize("header_bytes, pattern", [
    (b"{not json", "not UTF-8 JSON"),
    (b"\xff\xfe", "not UTF-8 JSON"),
    (b"[1, 2]", "must be a JSON object; got list"),
], ids=["bad_json", "bad_utf8", "json_list"])
def test_unreadable_header(tmp_path, header_bytes, pattern):
    path = tmp_path / "bad.npz"
    np.savez(path, __ufldl__=np.frombuffer(header_bytes, dtype=np.uint8))
    with raises_for(path, pattern):
        uio.load(path)


def test_header_of_the_wrong_type(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, __ufldl__=np.array("{}"))
    with raises_for(path, "header must be a 1-D uint8 array; got dtype <U2"):
        uio.load(path)


@pytest.mark.parametrize("edit, pattern", [
    ({"format": "other"}, "not a ufldl file: header format is 'other'"),
    ({"format_version": 3}, "format version 3 is newer than this ufldl .* reads \\(up to 2\\).*upgrade"),
    ({"format_version": 0}, "format_version must be an integer >= 1; got 0"),
    ({"format_version": "1"}, "format_version must be an integer >= 1; got '1'"),
    ({"format_version": True}, "format_version must be an integer >= 1; got True"),
    ({"kind": "somewhere.Else"}, "unknown kind 'somewhere.Else' \\(known kinds: .*ufldl.Network"),
    ({"meta": [1]}, "'meta' must be a JSON object"),
    ({"arrays": {"theta": {"dtype": "<f8"}}}, "'arrays' must map each array name"),
    ({"checksum": {"algorithm": "md5", "value": "00"}}, "'checksum' must be"),
], ids=["format", "newer_version", "version_0", "version_str", "version_bool", "unknown_kind", "meta",
        "arrays", "checksum"])
def test_bad_header_fields(saved, edit, pattern):
    _, path = saved
    header, arrays = read_file(path)
    write_file(path, {**header, **edit}, arrays)
    with raises_for(path, pattern):
        uio.load(path)


@pytest.mark.parametrize("content, pattern", [
    (b"", "the file is empty"),
    (b"hello, world\n", "it starts with b'hell'"),
    (b"\x93NUMPY" + b"\0" * 20, "it is a single-array .npy file"),
], ids=["empty", "text", "npy_magic"])
def test_not_an_npz(tmp_path, content, pattern):
    path = tmp_path / "x.npz"
    path.write_bytes(content)
    with raises_for(path, "not a ufldl file: expected an .npz \\(zip\\) archive, but " + pattern):
        uio.load(path)


def test_npy_file(tmp_path):
    path = tmp_path / "theta.npy"
    np.save(path, np.zeros(3))
    with raises_for(path, "single-array .npy file"):
        uio.load(path)


class Payload:
    """Unpickling this creates a directory: evidence that code from a file ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def test_pickle_file_is_never_unpickled(tmp_path):
    import pickle

    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps(Payload(marker)))
    with raises_for(path, "not a ufldl file"):
        uio.load(path)
    assert not marker.exists()


def test_pickled_object_array_inside_the_archive_is_never_unpickled(saved):
    _, path = saved
    marker = path.parent / "pwned"
    header, arrays = read_file(path)
    arrays["theta"] = np.array([Payload(marker)], dtype=object)
    write_file(path, header, arrays, fix_manifest=True)
    with raises_for(path, r"array 'theta' is an object array \(pickled Python objects\); refused"):
        uio.load(path)
    assert not marker.exists()


# ---------------------------------------------------------------------------- the registry

class Estimator:
    """A stand-in for a scikit-learn style estimator: hyperparameters and fitted attributes."""

    def __init__(self, n_hidden=3, rho=0.01, solver="lbfgs", random_state=None, verbose=False):
        self.n_hidden, self.rho, self.solver = n_hidden, rho, solver
        self.random_state, self.verbose = random_state, verbose

    def get_params(self, deep=True):
        return {"n_hidden": self.n_hidden, "rho": self.rho, "solver": self.solver,
                "random_state": self.random_state, "verbose": self.verbose}


def estimator_to_state(est):
    meta = {"params": est.get_params(), "n_iter_": est.n_iter_, "loss_curve_": est.loss_curve_,
            "n_features_in_": est.n_features_in_, "best_loss_": est.best_loss_, "notes": est.notes}
    return meta, dict(est.arrays_)


def estimator_from_state(meta, arrays):
    est = Estimator(**meta["params"])
    est.n_iter_, est.loss_curve_ = meta["n_iter_"], meta["loss_curve_"]
    est.n_features_in_, est.best_loss_, est.notes = meta["n_features_in_"], meta["best_loss_"], meta["notes"]
    est.arrays_ = arrays
    return est


@pytest.fixture
def registry(monkeypatch):
    """A private copy of the registry, so that test registrations do not leak."""
    monkeypatch.setattr(uio.registry, "KINDS", dict(uio.registry.KINDS))
    monkeypatch.setattr(uio.registry, "CLASSES", dict(uio.registry.CLASSES))


def fitted_estimator():
    rng = np.random.default_rng(0)
    est = Estimator(n_hidden=np.int64(5), rho=np.float32(0.05), solver="sgd", random_state=None, verbose=True)
    est.n_iter_ = np.int64(12)
    est.loss_curve_ = [float(v) for v in rng.uniform(size=12)] + [1e-300, 5e-324, 1.7976931348623157e308]
    est.n_features_in_ = 4
    est.best_loss_ = np.float64(0.1) + np.float64(0.2)  # not representable as a short decimal
    est.notes = {"unicode": "ρ̂ ≈ 0.05 — ok", "nested": [[1, 2], (3.5, None)], "flag": np.bool_(False)}
    est.arrays_ = {
        "components_": rng.normal(size=(5, 4)).astype(np.float32),
        "intercept_hidden_": rng.normal(size=5),
        "fortran": np.asfortranarray(rng.normal(size=(3, 4))),
        "labels": rng.integers(-5, 5, size=7),
        "mask": rng.uniform(size=6) > 0.5,
        "scalar": np.array(2.5),
        "empty": np.zeros((0, 3), dtype=np.int32),
        "complex": rng.normal(size=3) + 1j * rng.normal(size=3),
        "big_endian": rng.normal(size=4).astype(">f8"),
        "with.dots-and_dashes": np.arange(3, dtype=np.uint16),
    }
    return est


def test_registered_estimator_round_trip(tmp_path, registry):
    uio.register("tests.Estimator", Estimator, estimator_to_state, estimator_from_state)
    est = fitted_estimator()
    path = tmp_path / "est.npz"
    uio.save(est, path)
    got = uio.load(path)
    assert type(got) is Estimator
    assert got.get_params() == {"n_hidden": 5, "rho": float(np.float32(0.05)), "solver": "sgd",
                                "random_state": None, "verbose": True}
    assert type(got.n_hidden) is int and type(got.rho) is float and type(got.n_iter_) is int
    assert got.n_iter_ == 12 and got.n_features_in_ == 4
    assert got.loss_curve_ == est.loss_curve_  # floats survive JSON exactly
    assert got.best_loss_ == est.best_loss_
    assert got.notes == {"unicode": "ρ̂ ≈ 0.05 — ok", "nested": [[1, 2], [3.5, None]], "flag": False}
    assert sorted(got.arrays_) == sorted(est.arrays_)
    for name, arr in est.arrays_.items():
        assert got.arrays_[name].dtype == arr.dtype, name
        assert got.arrays_[name].shape == arr.shape, name
        assert bits(got.arrays_[name]) == bits(arr), name


def test_register_conflicts(registry):
    uio.register("tests.Estimator", Estimator, estimator_to_state, estimator_from_state)
    uio.register("tests.Estimator", Estimator, estimator_to_state, estimator_from_state)  # same: fine

    class Other:
        pass

    with pytest.raises(ValueError, match="kind 'tests.Estimator' is already registered for .*Estimator"):
        uio.register("tests.Estimator", Other, estimator_to_state, estimator_from_state)
    with pytest.raises(ValueError, match="is already registered as kind 'tests.Estimator'; got 'tests.Two'"):
        uio.register("tests.Two", Estimator, estimator_to_state, estimator_from_state)
    uio.register("tests.Estimator", Other, estimator_to_state, estimator_from_state, replace=True)
    assert uio.registry.kind_of(Other()).name == "tests.Estimator"
    with pytest.raises(TypeError, match="cannot save a .*Estimator: no kind is registered"):
        uio.registry.kind_of(Estimator())


@pytest.mark.parametrize("args, error, pattern", [
    (("", Estimator, estimator_to_state, estimator_from_state), TypeError, "kind must be a non-empty str"),
    (("k", Estimator(), estimator_to_state, estimator_from_state), TypeError, "cls must be a class"),
    (("k", Estimator, None, estimator_from_state), TypeError, "to_state must be callable"),
    (("k", Estimator, estimator_to_state, 3), TypeError, "from_state must be callable"),
])
def test_register_bad_arguments(registry, args, error, pattern):
    with pytest.raises(error, match=pattern):
        uio.register(*args)


def test_save_unregistered_object(tmp_path):
    with pytest.raises(TypeError, match=r"cannot save a builtins.dict: no kind is registered .*ufldl.Network"):
        uio.save({"theta": np.zeros(3)}, tmp_path / "x.npz")
    assert listing(tmp_path) == []


@pytest.mark.parametrize("state, error, pattern", [
    ([{}, {}], TypeError, "must return a tuple \\(meta, arrays\\)"),
    (({"w": np.zeros(2)}, {}), TypeError, "meta\\['w'\\] is an ndarray of shape \\(2,\\); put arrays in"),
    (({"tol": float("nan")}, {}), ValueError, "meta\\['tol'\\] is nan: JSON has no NaN"),
    (({"curve": [1.0, float("inf")]}, {}), ValueError, "meta\\['curve'\\]\\[1\\] is inf"),
    (({1: "a"}, {}), TypeError, "meta has a key 1 of type int; keys must be str"),
    (({"s": {1, 2}}, {}), TypeError, "meta\\['s'\\] has type set"),
    (({}, {"a": [1, 2]}), TypeError, "arrays\\['a'\\] must be a numpy.ndarray; got list"),
    (({}, {"a": np.array([None])}), TypeError, "arrays\\['a'\\] has dtype object.*never object arrays"),
    (({}, {"a": np.array(["x"])}), TypeError, "arrays\\['a'\\] has dtype <U1"),
    (({}, {"a": np.zeros(2, dtype="i4,f8")}), TypeError, "only bool, integer, float and complex"),
    (({}, {"__x": np.zeros(2)}), ValueError, "array name '__x' is not allowed"),
    (({}, {"file": np.zeros(2)}), ValueError, "array name 'file' is not allowed"),
    (({}, {"allow_pickle": np.zeros(2)}), ValueError, "array name 'allow_pickle' is not allowed"),
    (({}, {"a b": np.zeros(2)}), ValueError, "array name 'a b' is not allowed"),
    (({}, {"sub/dir": np.zeros(2)}), ValueError, "array name 'sub/dir' is not allowed"),
    (({}, {3: np.zeros(2)}), TypeError, "array names must be str; got int 3"),
], ids=["not_tuple", "ndarray_in_meta", "nan_in_meta", "inf_in_list", "int_key", "set", "list_array",
        "object_array", "str_array", "structured", "reserved", "savez_file", "savez_allow_pickle", "space",
        "slash", "int_name"])
def test_invalid_state_is_refused_before_writing(tmp_path, registry, state, error, pattern):
    class Thing:
        pass

    uio.register("tests.Thing", Thing, lambda obj: state, lambda meta, arrays: Thing())
    path = tmp_path / "thing.npz"
    with pytest.raises(error, match=pattern):
        uio.save(Thing(), path)
    assert listing(tmp_path) == []


def test_from_state_errors_are_reported_with_the_path(tmp_path, registry):
    class Thing:
        pass

    def refuse(meta, arrays):
        raise KeyError("coef_")

    uio.register("tests.Thing", Thing, lambda obj: ({}, {}), refuse)
    path = tmp_path / "thing.npz"
    uio.save(Thing(), path)
    with raises_for(path, "invalid 'tests.Thing' state: 'coef_'"):
        uio.load(path)


def test_kind_not_registered_in_the_loading_process(tmp_path, registry):
    uio.register("tests.Estimator", Estimator, estimator_to_state, estimator_from_state)
    path = tmp_path / "est.npz"
    uio.save(fitted_estimator(), path)
    uio.registry.unregister("tests.Estimator")
    with raises_for(path, "unknown kind 'tests.Estimator'.*import the module that registers it"):
        uio.load(path)
