"""The command line never overwrites a file it did not write, and refuses sizes it cannot handle with a
one-line usage error (exit code 2) before allocating anything, instead of a traceback."""

import json

import numpy as np
import pytest

import ufldl
from ufldl import cli
from ufldl.cli import _sizes


@pytest.fixture
def square(tmp_path, rng):
    """16 features: a 4x4 features picture is drawn."""
    path = tmp_path / "square.npy"
    np.save(path, rng.uniform(0.1, 0.9, size=(60, 16)))
    return path


@pytest.fixture
def wide(tmp_path, rng):
    """10 features: no features picture."""
    path = tmp_path / "wide.npy"
    np.save(path, rng.uniform(0.1, 0.9, size=(60, 10)))
    return path


def train(data, out, *more):
    return cli.main(["train", str(data), "--hidden", "3", "--max-iter", "3", "--quiet", "--out", str(out), *more])


def usage_error(capsys, argv):
    """Run ``ufldl ARGV``, expect a usage error, and return its one line (``ufldl CMD: error: ...``)."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert len(errors) == 1 and err.rstrip().splitlines()[-1] == errors[0]
    return errors[0]


# ---------------------------------------------------------------------------- files beside --out


@pytest.mark.parametrize("name", ["loss.png", "features.png"])
def test_train_refuses_to_overwrite_a_users_picture(square, tmp_path, capsys, name):
    out = tmp_path / "out"
    out.mkdir()
    (out / name).write_bytes(b"my own picture")
    line = usage_error(capsys, ["train", str(square), "--hidden", "3", "--out", str(out / "m.npz")])
    assert f"refusing to overwrite {str(out / name)!r}" in line
    assert (out / name).read_bytes() == b"my own picture"
    assert sorted(p.name for p in out.iterdir()) == [name]  # nothing written, not even the model


def test_train_leaves_a_users_features_png_alone_when_it_draws_none(wide, tmp_path):
    (tmp_path / "features.png").write_bytes(b"my own picture")
    assert train(wide, tmp_path / "m.npz") == 0
    assert (tmp_path / "features.png").read_bytes() == b"my own picture"
    assert "features" not in json.loads((tmp_path / "run.json").read_text())["files"]


def test_train_overwrites_its_own_files_and_removes_its_stale_picture(square, wide, tmp_path, capsys):
    out = tmp_path / "m.npz"
    assert train(square, out) == 0
    assert train(square, out) == 0  # its own loss.png, features.png and run.json
    assert (tmp_path / "features.png").is_file()
    assert train(wide, out) == 0  # no picture this time: the earlier run's, of another model, goes
    assert not (tmp_path / "features.png").exists()
    assert train(square, out) == 0
    assert (tmp_path / "features.png").is_file() and ufldl.load(out).n_features_in_ == 16


def test_train_refuses_a_record_that_does_not_list_the_picture(square, wide, tmp_path, capsys):
    assert train(wide, tmp_path / "m.npz") == 0  # a record of ours, without features.png
    (tmp_path / "features.png").write_bytes(b"my own picture")
    line = usage_error(capsys, ["train", str(square), "--out", str(tmp_path / "m.npz")])
    assert "refusing to overwrite" in line and "features.png" in line
    assert (tmp_path / "features.png").read_bytes() == b"my own picture"


@pytest.mark.parametrize("name", ["loss.png", "features.png", "run.json", "Loss.PNG"])
def test_train_out_must_not_take_a_siblings_name(square, tmp_path, capsys, name):
    line = usage_error(capsys, ["train", str(square), "--out", str(tmp_path / name)])
    assert "--out must name an .npz file" in line  # (the siblings' names are none)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["square.npy"]


def test_demo_refuses_to_overwrite_a_users_loss_png(tmp_path, capsys):
    (tmp_path / "loss.png").write_bytes(b"my own curve")
    line = usage_error(capsys, ["demo", "--out", str(tmp_path / "f.png")])
    assert f"refusing to overwrite {str(tmp_path / 'loss.png')!r}" in line
    assert (tmp_path / "loss.png").read_bytes() == b"my own curve"


# ---------------------------------------------------------------------------- sizes


@pytest.fixture
def no_work(monkeypatch):
    """Building a network or loading the demo's images fails the test: a size check must come first."""

    def refuse(*args, **kwargs):
        raise AssertionError("work began before the size check")

    monkeypatch.setattr(ufldl.Network, "__init__", refuse)
    monkeypatch.setattr(ufldl.datasets, "load_natural_images", refuse)


@pytest.mark.parametrize("argv, words", [
    (["train", "{square}", "--hidden", "3000000000"],
     ["--hidden 3000000000", "16-3000000000-16 autoencoder", "99000000016 parameters", "2147483647"]),
    (["gradcheck", "--layers", "100000,100000"],
     ["--layers 100000,100000", "100000-100000 network", "10000100000 parameters", "2147483647"]),
    (["gradcheck", "--examples", "100000000000000"],
     ["--examples 100000000000000", "100000000000000 examples", "2147483647"]),
    (["demo", "--hidden", "3000000000"],
     ["--hidden 3000000000", "64-3000000000-64 network", "387000000064 parameters", "2147483647"]),
    (["demo", "--patch-size", "50000"],
     ["--patch-size 50000 --hidden 25", "2500000000-25-2500000000 network", "127500000025 parameters"]),
    (["demo", "--n-patches", "100000000000000"], ["--n-patches 100000000000000", "2147483647"]),
])
def test_sizes_beyond_the_core_are_usage_errors(square, tmp_path, capsys, no_work, argv, words):
    out = tmp_path / "new" / ("f.png" if argv[0] == "demo" else "m.npz")
    argv = [arg.format(square=square) for arg in argv] + (["--out", str(out)] if argv[0] != "gradcheck" else [])
    line = usage_error(capsys, argv)
    for word in words:
        assert word in line
    assert not out.parent.exists()  # checked before anything was made


@pytest.mark.parametrize("argv, words", [
    (["train", "{square}", "--hidden", "1000000"],
     ["--hidden 1000000", "16-1000000-16 autoencoder (33000016 parameters) with lbfgs on 60 examples",
      "more than this machine's 1.0 GiB"]),
    (["train", "{square}", "--hidden", "10000000", "--solver", "adam"], ["with adam", "1.0 GiB"]),
    (["gradcheck", "--layers", "8000,8000"], ["--layers 8000,8000", "64008000 parameters", "1.0 GiB"]),
    (["gradcheck", "--examples", "100000000"], ["--examples 100000000", "100000000 examples", "1.0 GiB"]),
    (["demo", "--hidden", "1000000"], ["--hidden 1000000", "64-1000000-64 network", "1.0 GiB"]),
    (["demo", "--n-patches", "10000000"], ["--n-patches 10000000", "10000000 patches of 8x8", "1.0 GiB"]),
])
def test_sizes_beyond_the_memory_are_usage_errors(square, tmp_path, capsys, monkeypatch, no_work, argv, words):
    monkeypatch.setattr(_sizes, "memory_limit", lambda: 1 << 30)  # a machine with 1 GiB
    out = tmp_path / "new" / ("f.png" if argv[0] == "demo" else "m.npz")
    argv = [arg.format(square=square) for arg in argv] + (["--out", str(out)] if argv[0] != "gradcheck" else [])
    line = usage_error(capsys, argv)
    assert "would need at least" in line
    for word in words:
        assert word in line
    assert not out.parent.exists()


def test_the_defaults_fit_in_a_small_machine():
    # The tutorial's 64-25-64 autoencoder on 10,000 patches with L-BFGS: tens of megabytes, not more.
    needed = _sizes.training_bytes((64, 25, 64), 10_000, "lbfgs")
    assert 3289 * 8 * 200 < needed < 100 << 20
    assert _sizes.n_params((4, 3, 5, 2)) == 4 * 3 + 3 + 3 * 5 + 5 + 5 * 2 + 2
    assert _sizes.byte_size(3 << 30) == "3.0 GiB" and _sizes.byte_size(512) == "512 bytes"


def test_an_unknown_memory_size_skips_only_the_memory_check(square, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(_sizes, "memory_limit", lambda: None)
    assert train(square, tmp_path / "m.npz") == 0
    line = usage_error(capsys, ["train", str(square), "--hidden", "3000000000", "--out", str(tmp_path / "m.npz")])
    assert "2147483647" in line


def test_memory_limit_is_a_positive_number_of_bytes_or_unknown():
    limit = _sizes.memory_limit()
    assert limit is None or (isinstance(limit, int) and limit > 0)
