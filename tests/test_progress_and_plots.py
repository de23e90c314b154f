"""ufldl._lib.progress (one format: a tqdm bar on a terminal, a line every N steps otherwise) and the loss curve
drawn with matplotlib (ufldl.viz.plot_loss_curve)."""

import io
import re
import sys

import numpy as np
import pytest
from PIL import Image

import ufldl
from ufldl import viz
from ufldl._lib.progress import Progress, use_bar

LINE = re.compile(r"^(iteration|epoch) +(\d+)(  \S.*)?  elapsed \d+\.\d\d s$")


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_lines_every_n_steps_and_the_last(monkeypatch):
    monkeypatch.delenv("UFLDL_PROGRESS", raising=False)
    out = io.StringIO()
    progress = Progress("lbfgs", "iteration", total=25, every=10, stream=out)
    for k in range(26):
        progress.update(k, f"cost {1 / (k + 1):.6g}", last=k == 25)
    progress.close("done")
    lines = out.getvalue().splitlines()
    assert [int(LINE.match(line).group(2)) for line in lines[:-1]] == [0, 10, 20, 25] and lines[-1] == "done"


def test_a_terminal_gets_a_bar(monkeypatch):
    monkeypatch.delenv("UFLDL_PROGRESS", raising=False)
    out = Terminal()
    assert use_bar(out) and not use_bar(io.StringIO())
    progress = Progress("lbfgs", "iteration", total=20, every=10, stream=out)
    for k in range(21):
        progress.update(k, f"cost {k}")
    progress.write("a message")
    progress.close()
    text = out.getvalue()
    assert "lbfgs" in text and "20/20" in text and "cost 20" in text and "a message" in text
    assert not any(LINE.match(line) for line in text.splitlines())  # no progress lines beside the bar


@pytest.mark.parametrize("choice, bar", [("bar", True), ("lines", False)])
def test_the_environment_chooses(monkeypatch, choice, bar):
    monkeypatch.setenv("UFLDL_PROGRESS", choice)
    assert use_bar(io.StringIO()) is bar and use_bar(Terminal()) is bar


def test_every_verbose_fit_speaks_the_one_format(rng, capsys, monkeypatch):
    monkeypatch.delenv("UFLDL_PROGRESS", raising=False)
    X = rng.uniform(0.1, 0.9, size=(120, 9))
    ufldl.SparseAutoencoder(3, max_iter=12, verbose=1, random_state=0).fit(X)
    ufldl.SparseAutoencoder(3, solver="adam", max_iter=2, verbose=1, random_state=0).fit(X)
    lines = capsys.readouterr().out.splitlines()
    steps = [line for line in lines if line.startswith(("iteration", "epoch"))]
    assert len(steps) == 3 + 2 and all(LINE.match(line) for line in steps), steps  # iterations 0, 10, 12; epochs 1, 2


def test_a_verbose_fit_on_a_terminal_draws_a_bar(rng, monkeypatch):
    monkeypatch.setenv("UFLDL_PROGRESS", "bar")
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    X = rng.uniform(0.1, 0.9, size=(120, 9))
    ufldl.SparseAutoencoder(3, max_iter=12, verbose=1, random_state=0).fit(X)
    text = out.getvalue()
    assert "12/12" in text and "cost" in text and "stopped after 12 iterations" in text


def test_the_loss_curve_has_labelled_axes_and_the_whole_run(tmp_path):
    losses = np.concatenate([[56.8], 0.35 + 0.13 * np.exp(-np.arange(400) / 60)])  # the demo's shape
    path = viz.plot_loss_curve(losses, tmp_path / "loss.png", title="sparse autoencoder cost")
    with Image.open(path) as png:
        assert png.format == "PNG" and png.size == (900, 400)
    # Two panels: the whole run on a log scale, and the rest after the first tenth on a linear one.
    assert viz._detail_start(losses, True) == 40
    assert viz._detail_start(np.linspace(1.0, 0.5, 50), False) is None  # a straight fall needs no detail


def test_plot_loss_curve_without_matplotlib_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=re.escape("pip install 'ufldl[plot]'")):
        viz.plot_loss_curve([2.0, 1.0], tmp_path / "loss.png")
