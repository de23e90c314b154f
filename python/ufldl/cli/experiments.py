"""``ufldl experiments``: the tutorial's supervised experiments on the 8x8 digits, as a Markdown table."""

import argparse
import sys
from collections.abc import Iterable, Sequence
from typing import Literal

from ufldl.cli._args import Subcommands, int_at_least

DESCRIPTION = """\
Reproduce the tutorial's softmax regression, self-taught learning and stacked
autoencoder (with fine-tuning) exercises on scikit-learn's 8x8 digits, with
fixed seeds, and print each result next to the tutorial's MNIST figure as a
Markdown table (the README's) on standard output, one row as soon as its
experiment finishes; the progress (a bar on a terminal, a line per experiment
otherwise) goes to standard error. Takes a few minutes on 2 cores.

--quick runs tiny versions in seconds (networks shrunk 8x, 20 iterations, one
seed), to check that everything runs: their numbers mean little, so the table
then has no tutorial column and says so.
"""

#: The stacked-autoencoder experiments: (hidden sizes, fine-tuning decay, autoencoders' lambda).
STACKED: tuple[tuple[tuple[int, ...], Literal["all", "softmax"], float], ...] = (
    ((200, 200), "all", 1e-4), ((200, 200), "softmax", 1e-4), ((200, 200), "all", 3e-3),
    ((32, 16), "all", 1e-4), ((32, 16), "softmax", 1e-4))


def add_parser(commands: Subcommands) -> argparse.ArgumentParser:
    cmd = commands.add_parser("experiments", help="the tutorial's supervised experiments on the digits, as a table",
                              description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    cmd.add_argument("--seeds", type=int_at_least(1), default=3,
                     help="seeds for the stacked autoencoders (default: %(default)s)")
    cmd.add_argument("--quick", action="store_true",
                     help="tiny settings, to check that everything runs (not comparable with the tutorial)")
    cmd.set_defaults(handler=run, command_parser=cmd)
    return cmd


def _percent(values: Iterable[float]) -> str:
    values = list(values)
    if len(values) == 1:
        return f"{100 * values[0]:.1f}%"
    return f"{100 * sum(values) / len(values):.1f}% ({', '.join(f'{100 * v:.1f}' for v in values)})"


class _Table:
    """The Markdown table, printed a row at a time (flushed), with the progress of the experiments beside it."""

    def __init__(self, quick: bool, n_experiments: int) -> None:
        from ufldl._lib.progress import Progress

        self.quick = quick
        self.progress = Progress("experiments", "experiment", total=n_experiments, stream=sys.stderr)
        self.done = 0
        if quick:
            print("--quick: tiny networks (hidden layers shrunk 8x), 20 iterations, one seed, to check that "
                  "everything runs; these accuracies are not comparable with the tutorial's MNIST figures, which "
                  "are left out\n", flush=True)
            self.rows(["| experiment | ufldl on the 8x8 digits (--quick) |", "|---|---:|"])
        else:
            self.rows(["| experiment | ufldl on the 8x8 digits | tutorial on MNIST |", "|---|---:|---:|"])

    def rows(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.progress.write(line, file=sys.stdout)
        sys.stdout.flush()

    def finished(self, name: str, cells: Sequence[tuple[str, str, str]]) -> None:
        """One experiment done: its rows, ``cells`` a list of (row name, ufldl's result, the tutorial's or "")."""
        self.done += 1
        if self.quick:
            self.rows([f"| {row} | {ours} |" for row, ours, _ in cells])
        else:
            self.rows([f"| {row} | {ours} | {tutorial} |" for row, ours, tutorial in cells])
        self.progress.update(self.done, f"{name}: {', '.join(ours for _, ours, _ in cells)}",
                             last=self.done == self.progress.total)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ufldl import experiments as ex

    quick = args.quick
    max_iter = 20 if quick else 400
    seeds = tuple(range(1 if quick else args.seeds))
    mnist = ex.TUTORIAL_MNIST
    settings = ex.SELF_TAUGHT_SETTINGS[:2] if quick else ex.SELF_TAUGHT_SETTINGS
    table = _Table(quick, 2 + len(settings) + len(STACKED))

    softmax = ex.softmax_on_pixels(max_iter=20 if quick else 100)
    table.finished("softmax regression", [("softmax regression, raw pixels", _percent([softmax["accuracy"]]),
                                           f"{100 * mnist['softmax']:.1f}%")])

    # Self-taught learning: the raw-pixel baseline first, then one autoencoder per setting.
    softmax_iter = 20 if quick else 100
    raw = ex.self_taught((), max_iter=max_iter, softmax_max_iter=softmax_iter)["raw"]
    table.finished("self-taught, raw pixels", [("self-taught: softmax on raw pixels of digits 0-4",
                                                _percent([raw]), "")])
    for index, setting in enumerate(settings):
        [r] = ex.self_taught([setting], max_iter=max_iter, softmax_max_iter=softmax_iter)["runs"]
        what = (f"{r['n_hidden']} hidden, rho {r['rho']}, lambda {r['weight_decay']:g}"
                + (f", ZCA eps {r['zca_epsilon']:g}, linear decoder" if r["zca_epsilon"] is not None else ""))
        note = " (collapsed)" if r["collapsed"] else ""
        tutorial = f"{100 * mnist['self_taught']:.1f}%" if index == 0 else ""
        table.finished(f"self-taught, {what}", [(f"self-taught: softmax on features ({what}){note}",
                                                 _percent([r["accuracy"]]), tutorial)])

    for sizes, decay, lam in STACKED:
        # The tutorial's numbers sit next to its own setting: 200-200 with decay on the softmax layer only.
        tutorial_setting = sizes == (200, 200) and decay == "softmax" and lam == 1e-4
        if quick:
            sizes = tuple(max(2, h // 8) for h in sizes)
        result = ex.stacked(sizes, decay, lam, seeds=seeds, max_iter=max_iter)
        name = f"stacked {'-'.join(map(str, sizes))}, AE lambda {lam:g}, fine-tuning decay on {decay}"
        note = " (an autoencoder collapsed)" if any(result["collapsed"]) else ""
        before = f"{100 * mnist['stacked_before']:.1f}%" if tutorial_setting else ""
        after = f"{100 * mnist['stacked_after']:.1f}%" if tutorial_setting else ""
        table.finished(name, [(f"{name}{note}: before fine-tuning", _percent(result["before"]), before),
                              (f"{name}{note}: after fine-tuning", _percent(result["after"]), after)])
    table.progress.close()
    return 0
