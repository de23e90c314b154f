"""The ``train``, ``gradcheck`` and ``info`` subcommands (``ufldl demo`` is tested in test_demo.py)."""

import json

import numpy as np
import pytest

import ufldl
from ufldl import cli


@pytest.fixture
def patches_file(tmp_path, rng):
    X = rng.uniform(0.1, 0.9, size=(300, 16))
    path = tmp_path / "data.npy"
    np.save(path, X)
    return path, X


def test_train_saves_a_model_that_loads(patches_file, tmp_path, capsys):
    path, X = patches_file
    out = tmp_path / "out" / "model.npz"
    assert cli.main(["train", str(path), "--hidden", "4", "--max-iter", "30", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "iteration" in text and "ufldl.load" in text
    model = ufldl.load(out)
    assert isinstance(model, ufldl.SparseAutoencoder) and model.n_hidden == 4 and model.verbose == 0
    assert model.transform(X).shape == (300, 4)
    for name in ("features.png", "loss.png", "run.json"):
        assert (out.parent / name).is_file()
    record = json.loads((out.parent / "run.json").read_text())
    assert record["program"] == "ufldl train" and record["data"]["shape"] == [300, 16]
    assert record["iterations"] == model.n_iter_ and record["reconstruction_cost"] == pytest.approx(-model.score(X))


def test_train_with_a_mini_batch_solver_and_no_picture(tmp_path, rng, capsys):
    path = tmp_path / "wide.npy"
    np.save(path, rng.uniform(size=(100, 10)).astype(np.float32))
    out = tmp_path / "m.npz"
    assert cli.main(["train", str(path), "--solver", "adam", "--max-iter", "3", "--batch-size", "20",
                     "--decoder", "linear", "--quiet", "--out", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert not (tmp_path / "features.png").exists()  # 10 features: not a square image
    assert ufldl.load(out).n_iter_ == 3


def test_train_normalize_and_image_shape(tmp_path, rng):
    path = tmp_path / "rect.npy"
    np.save(path, 100 * rng.normal(size=(200, 12)))
    out = tmp_path / "m.npz"
    assert cli.main(["train", str(path), "--normalize", "--image-shape", "3x4", "--max-iter", "5", "--quiet",
                     "--out", str(out)]) == 0
    assert (tmp_path / "features.png").is_file()


@pytest.mark.parametrize("make, message", [
    (lambda p: np.save(p, np.zeros(5)), "DATA.npy must hold a 2-D array, one example per row; got shape (5,)"),
    (lambda p: np.save(p, np.array([["a"]])), "DATA.npy must hold real numbers"),
    (lambda p: np.save(p, np.array([[object()]], dtype=object), allow_pickle=True), "without pickle"),
    (lambda p: p.write_text("not numpy"), "cannot read"),
])
def test_train_refuses_bad_files(tmp_path, capsys, make, message):
    path = tmp_path / "bad.npy"
    make(path)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", str(path), "--out", str(tmp_path / "m.npz")])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "m.npz").exists()


def test_train_refuses_nan_and_a_wrong_image_shape(tmp_path, capsys):
    path = tmp_path / "nan.npy"
    X = np.ones((10, 4))
    X[2, 1] = np.nan
    np.save(path, X)
    assert cli.main(["train", str(path), "--out", str(tmp_path / "m.npz")]) == 1
    assert "NaN or inf" in capsys.readouterr().err
    np.save(path, np.ones((10, 4)))
    with pytest.raises(SystemExit):
        cli.main(["train", str(path), "--image-shape", "3x3", "--out", str(tmp_path / "m.npz")])
    assert "--image-shape 3x3 does not match the 4 features" in capsys.readouterr().err


def test_train_refuses_to_overwrite_a_foreign_record(patches_file, tmp_path, capsys):
    path, _ = patches_file
    (tmp_path / "run.json").write_text("{}")
    with pytest.raises(SystemExit):
        cli.main(["train", str(path), "--out", str(tmp_path / "m.npz")])
    assert "refusing to overwrite" in capsys.readouterr().err


def test_gradcheck_default_is_the_tutorials_case(capsys):
    assert cli.main(["gradcheck"]) == 0
    text = capsys.readouterr().out
    assert "network 4-3-5-2" in text and "lambda 0.01" in text and "5 examples" in text and text.startswith("network")
    assert text.strip().splitlines()[-2].startswith("ok: relative difference of the whole gradient")


def test_gradcheck_reports_failure_with_exit_1(capsys):
    assert cli.main(["gradcheck", "--layers", "6,4,6", "--loss", "squared", "--beta", "3", "--tol", "1e-30"]) == 1
    assert "FAILED" in capsys.readouterr().out


def test_gradcheck_bad_network_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["gradcheck", "--activations", "softmax,sigmoid,sigmoid", "--loss", "squared"])
    assert exit_info.value.code == 2 and "softmax" in capsys.readouterr().err


def test_info_prints_json(capsys):
    assert cli.main(["info"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["versions"]["ufldl"] == ufldl.__version__ and info["blas"]["num_threads"] >= 1


def test_experiments_quick_prints_the_table(capsys):
    assert cli.main(["experiments", "--quick"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("--quick: tiny networks") and "not comparable" in lines[0]
    assert lines[2] == "| experiment | ufldl on the 8x8 digits (--quick) |"
    text = "\n".join(lines)
    for words in ("softmax regression, raw pixels", "self-taught", "before fine-tuning", "after fine-tuning"):
        assert words in text
    assert "92.6%" not in text and "97.6%" not in text and "MNIST figures" in text  # the tutorial's: left out


def test_train_colour_patches_with_a_linear_decoder(tmp_path, rng):
    path = tmp_path / "colour.npy"
    np.save(path, rng.normal(size=(150, 4 * 4 * 3)))
    out = tmp_path / "m.npz"
    assert cli.main(["train", str(path), "--decoder", "linear", "--beta", "0.5", "--image-shape", "4x4x3",
                     "--max-iter", "5", "--quiet", "--out", str(out)]) == 0
    from PIL import Image

    with Image.open(tmp_path / "features.png") as png:
        assert png.mode == "RGB"


@pytest.mark.parametrize("shape", ["4x4x2", "4by4", "0x4"])
def test_train_refuses_bad_image_shapes(tmp_path, capsys, shape):
    path = tmp_path / "x.npy"
    np.save(path, np.ones((5, 16)))
    with pytest.raises(SystemExit):
        cli.main(["train", str(path), "--image-shape", shape])
    assert "must be HEIGHTxWIDTH or HEIGHTxWIDTHx3" in capsys.readouterr().err
