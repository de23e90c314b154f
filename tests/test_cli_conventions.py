"""The command line's conventions: a fast start (nothing heavy imported before a command runs), Ctrl-C at any
moment, gradcheck's verdict on the whole gradient, --out names that cannot clobber a user's file, ``ufldl
patches``, experiments reported as they finish, and the loss curve's optional matplotlib."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import ufldl
from ufldl import cli

HEAVY = ("numpy", "scipy", "sklearn", "matplotlib", "PIL", "tqdm", "threadpoolctl", "ufldl._core", "ufldl.network")


def script():
    """The ``ufldl`` console script of this environment (beside its python)."""
    path = Path(sys.executable).with_name("ufldl")
    if not path.exists():
        pytest.skip(f"no ufldl console script beside {sys.executable}")
    return path


# ---------------------------------------------------------------------------- a fast start


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["train", "--help"], []])
def test_starting_the_command_imports_nothing_heavy(argv):
    code = ("import sys, _ufldl_cli\n"
            "try:\n"
            f"    _ufldl_cli.main({argv!r})\n"
            "except SystemExit:\n"
            "    pass\n"
            "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    loaded = set(proc.stderr.split("\n")[-2].split())
    assert "ufldl.cli" in loaded
    assert not [name for name in HEAVY if name in loaded], f"imported before any command ran: {loaded & set(HEAVY)}"


def test_version_comes_from_the_one_source():
    proc = subprocess.run([str(script()), "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == f"ufldl {ufldl.__version__}"


def test_the_command_binds_the_same_names_lazily():
    code = ("import _ufldl_cli, ufldl, ufldl.io\n"
            "assert 'ufldl.estimators' not in __import__('sys').modules\n"
            "net = ufldl.Network([4, 3, 4], random_state=0)\n"  # the first name loads the whole package
            "from ufldl.estimators import SparseAutoencoder\n"
            "assert ufldl.SparseAutoencoder is SparseAutoencoder and ufldl.load is ufldl.io.load\n"
            "print(sorted(ufldl.io.registry.known_kinds()))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "ufldl.Network" in proc.stdout and "ufldl.SparseAutoencoder" in proc.stdout


# ---------------------------------------------------------------------------- Ctrl-C


@pytest.mark.parametrize("delay", [0.15, 0.4, 1.0, 2.0])
def test_ctrl_c_at_any_moment_prints_one_line_and_exits_130(tmp_path, delay):
    # From the first imports to the pictures: whatever the moment, one line saying so, status 130, no traceback.
    out = tmp_path / "f.png"
    proc = subprocess.Popen([str(script()), "demo", "--n-patches", "4000", "--max-iter", "3000", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            env={**os.environ, "UFLDL_PROGRESS": "lines"})
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert proc.returncode == 130, (proc.returncode, stdout[-2000:], stderr[-2000:])
    said = [line for line in (stdout + stderr).splitlines() if "interrupted" in line]
    assert len(said) == 1, said
    if "writing what was learned" in said[0]:  # interrupted in training: the run's files are written
        assert out.is_file() and json.loads(out.with_name("run.json").read_text())["optimizer"]["interrupted"]


def test_ctrl_c_before_a_command_runs_is_one_line(capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert cli.main(["info"]) == 130
    assert capsys.readouterr().err == "ufldl: interrupted\n"


# ---------------------------------------------------------------------------- gradcheck


@pytest.mark.parametrize("seed", range(5))
def test_gradcheck_passes_the_tutorials_autoencoder_on_the_whole_vector(capsys, seed):
    # The tutorial's sparse autoencoder: a bias block's relative difference can exceed 1e-9 (rounding of the
    # central differences on small entries) while the whole vector's, the tutorial's criterion, is ~1e-10.
    argv = ["gradcheck", "--layers", "64,25,64", "--loss", "squared", "--beta", "3", "--rho", "0.01",
            "--weight-decay", "1e-4", "--examples", "10", "--seed", str(seed)]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert "ok: relative difference of the whole gradient" in text and "(the verdict)" in text
    assert "per block, not judged" in text


def test_gradcheck_judges_the_whole_vector_not_the_worst_block(capsys, monkeypatch):
    monkeypatch.setattr(ufldl.Network, "check_gradient", lambda self, X, Y, eps: {"all": 5e-10, "W1": 4e-10,
                                                                                  "b1": 3e-9})
    assert cli.main(["gradcheck"]) == 0
    assert "largest b1 3.000e-09" in capsys.readouterr().out
    monkeypatch.setattr(ufldl.Network, "check_gradient", lambda self, X, Y, eps: {"all": 2e-9, "W1": 4e-10})
    assert cli.main(["gradcheck"]) == 1
    assert "FAILED: relative difference of the whole gradient 2.000e-09" in capsys.readouterr().out


# ---------------------------------------------------------------------------- train --out


@pytest.fixture
def rows(tmp_path):
    path = tmp_path / "rows.npy"
    np.save(path, np.random.default_rng(0).uniform(0.1, 0.9, size=(60, 16)))
    return path


def train(rows, out, *more):
    return cli.main(["train", str(rows), "--hidden", "3", "--max-iter", "3", "--out", str(out), *more])


def test_train_refuses_a_model_name_of_another_extension(rows, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        train(rows, tmp_path / "x.txt")
    assert exc.value.code == 2 and "--out must name an .npz file" in capsys.readouterr().err
    assert not (tmp_path / "x.txt").exists()


def test_train_gives_a_bare_model_name_its_suffix_and_says_so(rows, tmp_path, capsys):
    assert train(rows, tmp_path / "model") == 0
    assert "writing " + str(tmp_path / "model.npz") in capsys.readouterr().out
    assert not (tmp_path / "model").exists() and ufldl.load(tmp_path / "model.npz").n_hidden == 3


def test_train_never_overwrites_a_users_npz(rows, tmp_path, capsys):
    mine = tmp_path / "mine.npz"
    np.savez(mine, a=np.arange(3))
    before = mine.read_bytes()
    with pytest.raises(SystemExit):
        train(rows, mine, "--quiet")
    assert "refusing to overwrite" in capsys.readouterr().err and mine.read_bytes() == before
    assert train(rows, tmp_path / "model.npz", "--quiet") == 0
    assert train(rows, tmp_path / "model.npz", "--quiet") == 0  # its own file, listed in its run.json: replaced


# ---------------------------------------------------------------------------- ufldl patches


def test_patches_makes_the_file_train_reads(tmp_path, capsys):
    assert cli.main(["patches", str(tmp_path / "patches.npy"), "--n-patches", "300", "--quiet"]) == 0
    X = np.load(tmp_path / "patches.npy", allow_pickle=False)
    assert X.shape == (300, 64) and X.dtype == np.float64 and X.flags.c_contiguous
    with pytest.raises(SystemExit):  # never replaced without --overwrite
        cli.main(["patches", str(tmp_path / "patches.npy"), "--quiet"])
    assert "refusing to overwrite" in capsys.readouterr().err
    assert cli.main(["train", str(tmp_path / "patches.npy"), "--normalize", "--hidden", "4", "--max-iter", "5",
                     "--quiet", "--out", str(tmp_path / "model.npz")]) == 0
    with pytest.raises(SystemExit):
        cli.main(["patches", str(tmp_path / "p.txt")])
    assert "must name a .npy file" in capsys.readouterr().err


# ---------------------------------------------------------------------------- experiments


def test_experiments_print_each_row_as_it_finishes(capsys, monkeypatch):
    from ufldl import experiments

    seen = []
    real = experiments.stacked

    def stacked(*args, **kwargs):
        seen.append(capsys.readouterr())  # what was printed before this experiment ran
        return real(*args, **kwargs)

    monkeypatch.setattr(experiments, "stacked", stacked)
    assert cli.main(["experiments", "--quick"]) == 0
    assert "softmax regression, raw pixels" in seen[0].out  # printed before the stacked ones ran
    assert "stacked" in seen[1].out and "stacked" not in seen[0].out
    assert "experiment    5" in seen[1].err  # the progress line of the first stacked experiment


# ---------------------------------------------------------------------------- the loss curve without matplotlib


def test_train_without_matplotlib_says_how_to_install_it(rows, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    assert train(rows, tmp_path / "model.npz", "--quiet") == 0
    err = capsys.readouterr().err
    assert "not drawn" in err and "pip install 'ufldl[plot]'" in err
    assert (tmp_path / "model.npz").is_file() and not (tmp_path / "loss.png").exists()
    assert "loss_curve" not in json.loads((tmp_path / "run.json").read_text())["files"]
