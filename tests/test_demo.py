"""The demo's pieces: natural-image patches and their normalisation (``ufldl.datasets``), pictures
(``ufldl.viz``) and the ``ufldl demo`` command line (``ufldl.cli``), end to end with small settings.
"""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from ufldl import cli, datasets, viz


# ---------------------------------------------------------------------------- normalize_patches


def tutorial_normalize(patches):
    """``sampleIMAGES.m``'s normalizeData, transcribed (MATLAB's std has ddof=1)."""
    p = patches - patches.mean(axis=1, keepdims=True)
    pstd = 3 * p.std(ddof=1)
    p = np.maximum(np.minimum(p, pstd), -pstd) / pstd
    return (p + 1) * 0.4 + 0.1


def test_normalize_patches_matches_the_tutorial_and_lands_in_range(rng):
    patches = rng.standard_t(3, size=(500, 64)) * 5 + 2  # heavy tails: some values are clipped
    before = patches.copy()
    out = datasets.normalize_patches(patches)
    np.testing.assert_array_equal(patches, before)  # the input is left alone
    assert out.shape == (500, 64) and out.dtype == np.float64
    np.testing.assert_allclose(out, tutorial_normalize(patches), rtol=0, atol=1e-15)
    assert out.min() >= 0.1 - 1e-15 and out.max() <= 0.9 + 1e-15
    clipped = np.isclose(out, 0.1, rtol=0, atol=1e-12) | np.isclose(out, 0.9, rtol=0, atol=1e-12)
    assert clipped.any() and not clipped.all()
    # A patch with no clipped pixel keeps its mean at exactly 0.5 (per-patch mean removal).
    unclipped = ~clipped.any(axis=1)
    assert unclipped.sum() > 10
    np.testing.assert_allclose(out[unclipped].mean(axis=1), 0.5, rtol=0, atol=1e-13)


def test_normalize_patches_scale_is_three_std_over_all_pixels(rng):
    patches = rng.normal(size=(2000, 16))
    patches -= patches.mean(axis=1, keepdims=True)
    out = datasets.normalize_patches(patches)
    # Without clipping, (out - 0.5) / 0.4 * 3 std is the centred input; 3 std clips ~0.3% of a Gaussian.
    s = patches.std(ddof=1)
    inside = np.abs(patches) < 3 * s
    np.testing.assert_allclose((out[inside] - 0.5) / 0.4 * 3 * s, patches[inside], atol=1e-12)
    assert 0.001 < (~inside).mean() < 0.006


def test_normalize_patches_constant_input_and_bad_input():
    np.testing.assert_array_equal(datasets.normalize_patches(np.full((3, 4), 7.0)), np.full((3, 4), 0.5))
    with pytest.raises(ValueError, match=r"patches must be 2-D.*\(64,\)"):
        datasets.normalize_patches(np.zeros(64))
    with pytest.raises(ValueError, match="finite"):
        datasets.normalize_patches(np.array([[0.0, np.nan]]))
    with pytest.raises(TypeError, match="dtype"):
        datasets.normalize_patches(np.array([["a", "b"]]))


# ---------------------------------------------------------------------------- images and patches


def coded_images():
    """Two images whose pixel values encode (image, row, column), so a patch tells where it came from."""
    shapes = [(20, 30), (12, 15)]
    return [i * 1e6 + np.arange(h)[:, None] * 1e3 + np.arange(w)[None, :] for i, (h, w) in enumerate(shapes)]


def test_sample_patches_are_windows_of_the_images_and_uniform_over_images():
    images = coded_images()
    p = 5
    patches = datasets.sample_patches(images, n_patches=4000, patch_size=p, random_state=3)
    assert patches.shape == (4000, p * p) and patches.dtype == np.float64
    which = (patches[:, 0] // 1e6).astype(int)
    rows = ((patches[:, 0] % 1e6) // 1e3).astype(int)
    cols = (patches[:, 0] % 1e3).astype(int)
    for k in range(0, 4000, 97):
        expected = images[which[k]][rows[k]:rows[k] + p, cols[k]:cols[k] + p].reshape(-1)  # row-major
        np.testing.assert_array_equal(patches[k], expected)
    # Uniform over images (not over pixels: the second image is much smaller) and over positions.
    assert abs((which == 0).mean() - 0.5) < 0.04
    for i, image in enumerate(images):
        n_rows, n_cols = image.shape[0] - p + 1, image.shape[1] - p + 1
        assert rows[which == i].min() == 0 and rows[which == i].max() == n_rows - 1
        assert cols[which == i].min() == 0 and cols[which == i].max() == n_cols - 1
        assert abs(rows[which == i].mean() - (n_rows - 1) / 2) < 0.1 * n_rows


def test_sample_patches_seeding():
    images = coded_images()
    a = datasets.sample_patches(images, 100, 4, random_state=7)
    np.testing.assert_array_equal(a, datasets.sample_patches(images, 100, 4, random_state=7))
    np.testing.assert_array_equal(a, datasets.sample_patches(images, 100, 4, random_state=np.random.default_rng(7)))
    assert not np.array_equal(a, datasets.sample_patches(images, 100, 4, random_state=8))


def test_sample_patches_bad_input():
    images = coded_images()
    with pytest.raises(ValueError, match=r"images\[1\] has shape \(12, 15\), smaller than patch_size 13"):
        datasets.sample_patches(images, 10, 13)
    with pytest.raises(ValueError, match="n_patches must be an integer >= 1; got 0"):
        datasets.sample_patches(images, 0, 4)
    with pytest.raises(TypeError, match="patch_size must be an integer"):
        datasets.sample_patches(images, 10, 4.0)
    with pytest.raises(TypeError, match="single 2-D array"):
        datasets.sample_patches(images[0], 10, 4)
    with pytest.raises(ValueError, match=r"images\[0\] must be 2-D"):
        datasets.sample_patches([np.zeros((10, 10, 3))], 10, 4)
    with pytest.raises(TypeError, match="random_state"):
        datasets.sample_patches(images, 10, 4, random_state=1.5)


def test_load_natural_images():
    images = datasets.load_natural_images()
    assert len(images) == 2
    for image in images:
        assert image.shape == (427, 640) and image.dtype == np.float64
        assert 0.0 <= image.min() < 0.1 and 0.8 < image.max() <= 1.0


def test_downsample_images_averages_blocks():
    image = np.arange(7 * 10, dtype=float).reshape(7, 10)
    (small,) = datasets.downsample_images([image], 3)
    assert small.shape == (2, 3)
    assert small[1, 2] == image[3:6, 6:9].mean()
    np.testing.assert_array_equal(datasets.downsample_images([image], 1)[0], image)


def test_whiten_images_flattens_the_spectrum(rng):
    # 1/f noise (amplitude ~ 1/f, like natural images) comes out with a roughly flat spectrum below f0.
    n = 128
    f = np.hypot(np.fft.fftfreq(n)[:, None], np.fft.fftfreq(n)[None, :])
    f[0, 0] = 1.0
    pink = np.fft.ifft2(np.fft.fft2(rng.normal(size=(n, n))) / f).real
    (white,) = datasets.whiten_images([pink])
    assert white.shape == (n, n)
    assert abs(white.mean()) < 1e-3 and white.var() == pytest.approx(0.1)

    def band_power(image, low, high):
        power = np.abs(np.fft.fft2(image)) ** 2
        return power[(f > low) & (f < high)].mean()

    ratio_before = band_power(pink, 0.02, 0.04) / band_power(pink, 0.16, 0.2)
    ratio_after = band_power(white, 0.02, 0.04) / band_power(white, 0.16, 0.2)
    assert ratio_before > 20 and 0.5 < ratio_after < 2
    np.testing.assert_allclose(datasets.whiten_images([np.full((8, 8), 3.0), pink])[0], 0.0, atol=1e-12)


# ---------------------------------------------------------------------------- pictures


def test_tile_features_layout_and_scaling(rng):
    W = rng.normal(size=(25, 64))
    image = viz.tile_features(W)
    assert image.shape == (5 * 9 + 1, 5 * 9 + 1)
    assert image.min() >= 0.0 and image.max() <= 1.0
    for i in range(25):
        r, c = divmod(i, 5)
        tile = image[1 + 9 * r:9 + 9 * r, 1 + 9 * c:9 + 9 * c]
        expected = 0.5 + 0.5 * W[i].reshape(8, 8) / np.abs(W[i]).max()
        np.testing.assert_allclose(tile, expected, atol=1e-15)
        assert tile.min() == 0.0 or tile.max() == 1.0  # each tile uses its own full range
    index = np.arange(image.shape[0])
    borders = np.logical_or.outer(index % 9 == 0, index % 9 == 0)
    assert np.all(image[borders] == 0.0)  # black borders


def test_tile_features_partial_grid_zero_rows_and_shapes():
    W = np.zeros((10, 6))
    W[4] = [1, -2, 0, 0, 0, 2]
    image = viz.tile_features(W, patch_shape=(2, 3), border=2)
    assert image.shape == (3 * 4 + 2, 4 * 5 + 2)  # 10 tiles: 4 columns, 3 rows
    np.testing.assert_array_equal(image[2:4, 2:5], 0.5)  # a zero row is mid-grey
    np.testing.assert_array_equal(image[6:8, 2:5], [[0.75, 0.0, 0.5], [0.5, 0.5, 1.0]])  # tile 4: row 1, column 0
    np.testing.assert_array_equal(image[10:12, 17:20], 0.0)  # cells 10 and 11 are unused: black
    assert viz.tile_features(np.ones((1, 4)), (2, 2), border=0).shape == (2, 2)
    with pytest.raises(ValueError, match=r"W must be 2-D with shape \(k, 64\).*got shape \(5, 60\)"):
        viz.tile_features(np.ones((5, 60)))
    with pytest.raises(ValueError, match="border must be an integer >= 0; got -1"):
        viz.tile_features(np.ones((5, 64)), border=-1)


def test_save_png_round_trip(tmp_path, rng):
    image = rng.uniform(size=(7, 5))
    image[0, 0], image[0, 1] = 0.0, 1.0
    path = viz.save_png(tmp_path / "x.png", image, scale=3)
    with Image.open(path) as png:
        assert png.format == "PNG" and png.mode == "L" and png.size == (5 * 3, 7 * 3)
        back = np.asarray(png)
    expected = np.rint(image * 255).astype(np.uint8)
    np.testing.assert_array_equal(back[::3, ::3], expected)
    np.testing.assert_array_equal(back, np.kron(expected, np.ones((3, 3), dtype=np.uint8)))
    assert back[0, 0] == 0 and back[0, 3] == 255
    with pytest.raises(ValueError, match=r"image must be \(height, width\) or \(height, width, 3\)"):
        viz.save_png(tmp_path / "y.png", np.zeros((2, 2, 2)))


def test_plot_loss_curve_writes_a_png(tmp_path):
    path = viz.plot_loss_curve(50 * np.exp(-np.arange(30.0)) + 0.4, tmp_path / "loss.png")
    with Image.open(path) as png:
        assert png.format == "PNG" and png.size == (900, 400)
        pixels = np.asarray(png.convert("RGB"))
    assert (pixels != 255).any(axis=2).mean() > 0.01  # something was drawn
    viz.plot_loss_curve([1.0], tmp_path / "one.png")  # a single point works too
    with pytest.raises(ValueError, match="finite"):
        viz.plot_loss_curve([1.0, np.inf], tmp_path / "bad.png")


# ---------------------------------------------------------------------------- the command line


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "ufldl", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_demo_end_to_end(tmp_path):
    out = tmp_path / "run" / "f.png"  # the directory does not exist yet
    proc = run_cli("demo", "--n-patches", "500", "--max-iter", "20", "--hidden", "9", "--seed", "1",
                   "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "iteration    0" in proc.stdout and "iteration   20" in proc.stdout

    loss, record = out.with_name("loss.png"), out.with_name("run.json")
    for path in (out, loss, record):
        assert path.is_file()
    with Image.open(out) as png:
        assert png.size == ((3 * 9 + 1) * 8,) * 2  # 9 tiles of 8x8 in a 3x3 grid, scaled 8x
    with Image.open(loss) as png:
        assert png.format == "PNG"

    run = json.loads(record.read_text())
    assert run["program"] == "ufldl demo"
    assert run["settings"] | {"n_patches": 500, "max_iter": 20, "hidden": 9, "seed": 1} == run["settings"]
    assert run["settings"]["layer_sizes"] == [64, 9, 64]
    assert run["settings"]["rho"] == 0.01 and run["settings"]["beta"] == 3.0
    assert run["settings"]["weight_decay"] == 1e-4
    assert run["data"]["patches_shape"] == [500, 64]
    assert 1 <= run["iterations"] <= 20 and len(run["losses"]) == run["iterations"] + 1
    assert run["losses"][0] == run["initial_cost"] and run["losses"][-1] == run["final_cost"]
    assert run["final_cost"] < run["initial_cost"]
    assert sum(run["final_cost_terms"].values()) == pytest.approx(run["final_cost"])
    assert {"ufldl", "numpy", "scipy", "scikit-learn", "pillow"} <= set(run["versions"])
    assert {"version", "num_threads", "architecture"} <= set(run["blas"])
    assert run["seconds"]["total"] > 0

    # Running again into the same place overwrites the earlier run's files.
    proc = run_cli("demo", "--n-patches", "200", "--max-iter", "3", "--quiet", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert json.loads(record.read_text())["settings"]["n_patches"] == 200


def test_help_is_useful(capsys):
    for argv, words in ((["--help"], ["demo", "--version"]),
                        (["demo", "--help"], ["--n-patches", "--rho", "--max-iter", "--out", "features.png",
                                              "--whiten", "--downsample"])):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(argv)
        assert exit_info.value.code == 0
        text = capsys.readouterr().out
        for word in words:
            assert word in text
    assert cli.main([]) == 2
    assert "choose a command" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [
    (["--n-patches", "-5"], "argument --n-patches: must be an integer >= 1; got -5"),
    (["--n-patches", "ten"], "argument --n-patches: must be an integer >= 1; got 'ten'"),
    (["--rho", "1.5"], r"argument --rho: must be a number in (0, 1); got 1.5"),
    (["--rho", "0"], r"argument --rho: must be a number in (0, 1); got 0"),
    (["--beta", "-1"], "argument --beta: must be a number >= 0; got -1"),
    (["--weight-decay", "nan"], "argument --weight-decay: must be a number >= 0; got nan"),
    (["--max-iter", "0"], "argument --max-iter: must be an integer >= 1; got 0"),
    (["--patch-size", "1"], "argument --patch-size: must be an integer >= 2; got 1"),
    (["--out", "features.txt"], "--out must name a .png file"),
    (["--out", "d/loss.png"], "--out must not be named loss.png"),
])
def test_demo_refuses_bad_arguments(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["demo", *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing written, not even the output directory


def test_demo_refuses_to_overwrite_what_it_did_not_write(tmp_path, capsys):
    directory = tmp_path / "features.png"
    directory.mkdir()
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["demo", "--out", str(directory)])
    assert exit_info.value.code == 2
    assert "is a directory" in capsys.readouterr().err

    foreign = tmp_path / "run.json"
    foreign.write_text('{"mine": true}')
    with pytest.raises(SystemExit):
        cli.main(["demo", "--out", str(tmp_path / "f.png")])
    assert "refusing to overwrite" in capsys.readouterr().err
    assert foreign.read_text() == '{"mine": true}'

    (tmp_path / "sub").write_text("a file where the output directory should be")
    with pytest.raises(SystemExit):
        cli.main(["demo", "--out", str(tmp_path / "sub" / "f.png")])
    assert "cannot create the output directory" in capsys.readouterr().err


def test_demo_refuses_a_patch_larger_than_the_images(tmp_path):
    proc = run_cli("demo", "--patch-size", "200", "--n-patches", "10", "--out", str(tmp_path / "f.png"),
                   cwd=tmp_path)
    assert proc.returncode == 2
    assert "smaller than patch_size 200" in proc.stderr and "Traceback" not in proc.stderr


def test_load_digits():
    X, y = datasets.load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,) and X.dtype == np.float64 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0 and set(np.unique(y)) == set(range(10))
    X5, y5 = datasets.load_digits(n_class=5)
    assert set(np.unique(y5)) == set(range(5)) and len(X5) < len(X)
    with pytest.raises(ValueError, match=r"n_class must be an integer in \[2, 10\]; got 11"):
        datasets.load_digits(11)


def test_tile_features_colour(tmp_path):
    k, h, w = 5, 2, 3
    W = np.zeros((k, h * w * 3))
    W[0, 0::3] = 1.0  # tile 0: pure red at full scale (green and blue at 0, mid-grey)
    W[1] = np.arange(h * w * 3) - 8.5
    image = viz.tile_features(W, (h, w, 3), border=1)
    assert image.shape == (2 * (h + 1) + 1, 3 * (w + 1) + 1, 3)  # 5 tiles: 3 columns, 2 rows
    np.testing.assert_allclose(image[1:1 + h, 1:1 + w], [[[1.0, 0.5, 0.5]] * w] * h)
    tile = image[1:1 + h, 1 + w + 1:1 + 2 * w + 1]
    np.testing.assert_allclose(tile.reshape(-1), 0.5 + 0.5 * (np.arange(18) - 8.5) / 8.5)  # one scale, 3 channels
    path = viz.save_png(tmp_path / "rgb.png", image, scale=2)
    with Image.open(path) as png:
        assert png.mode == "RGB" and png.size == (image.shape[1] * 2, image.shape[0] * 2)
    with pytest.raises(ValueError, match=r"patch_shape\[2\] must be 3"):
        viz.tile_features(np.zeros((2, 8)), (2, 2, 2))
    with pytest.raises(ValueError, match=r"W must be 2-D with shape \(k, 12\) for patch_shape \(2, 2, 3\)"):
        viz.tile_features(np.zeros((2, 8)), (2, 2, 3))
