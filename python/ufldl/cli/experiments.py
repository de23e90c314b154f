"""``ufldl experiments``: the tutorial's supervised experiments on the 8x8 digits, as a Markdown table."""

import argparse

from ufldl.cli._args import int_at_least

DESCRIPTION = """\
Reproduce the tutorial's softmax regression, self-taught learning and stacked
autoencoder (with fine-tuning) exercises on scikit-learn's 8x8 digits, with
fixed seeds, and print each result next to the tutorial's MNIST figure as a
Markdown table (the README's). Takes a few minutes on 2 cores; --quick runs
tiny versions in seconds (the numbers then mean little).
"""


def add_parser(commands):
    cmd = commands.add_parser("experiments", help="the tutorial's supervised experiments on the digits, as a table",
                              description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    cmd.add_argument("--seeds", type=int_at_least(1), default=3,
                     help="seeds for the stacked autoencoders (default: %(default)s)")
    cmd.add_argument("--quick", action="store_true", help="tiny settings, to check that everything runs")
    cmd.set_defaults(handler=run, command_parser=cmd)
    return cmd


def _percent(values):
    values = list(values)
    if len(values) == 1:
        return f"{100 * values[0]:.1f}%"
    return f"{100 * sum(values) / len(values):.1f}% ({', '.join(f'{100 * v:.1f}' for v in values)})"


def run(args, parser):
    from ufldl import experiments as ex

    max_iter = 20 if args.quick else 400
    seeds = tuple(range(1 if args.quick else args.seeds))
    mnist = ex.TUTORIAL_MNIST
    lines = ["| experiment | ufldl on the 8x8 digits | tutorial on MNIST |", "|---|---:|---:|"]

    softmax = ex.softmax_on_pixels(max_iter=20 if args.quick else 100)
    lines.append(f"| softmax regression, raw pixels | {_percent([softmax['accuracy']])} | "
                 f"{100 * mnist['softmax']:.1f}% |")

    settings = ex.SELF_TAUGHT_SETTINGS[:2] if args.quick else ex.SELF_TAUGHT_SETTINGS
    taught = ex.self_taught(settings, max_iter=max_iter, softmax_max_iter=20 if args.quick else 100)
    lines.append(f"| self-taught: softmax on raw pixels of digits 0-4 | {_percent([taught['raw']])} | |")
    for r in taught["runs"]:
        what = (f"{r['n_hidden']} hidden, rho {r['rho']}, lambda {r['weight_decay']:g}"
                + (f", ZCA eps {r['zca_epsilon']:g}, linear decoder" if r["zca_epsilon"] is not None else ""))
        note = " (collapsed)" if r["collapsed"] else ""
        tutorial = f"{100 * mnist['self_taught']:.1f}%" if r is taught["runs"][0] else ""
        lines.append(f"| self-taught: softmax on features ({what}){note} | {_percent([r['accuracy']])} | {tutorial} |")

    for sizes, decay, lam in (((200, 200), "all", 1e-4), ((200, 200), "softmax", 1e-4), ((200, 200), "all", 3e-3),
                              ((32, 16), "all", 1e-4), ((32, 16), "softmax", 1e-4)):
        # The tutorial's numbers sit next to its own setting: 200-200 with decay on the softmax layer only.
        tutorial = sizes == (200, 200) and decay == "softmax" and lam == 1e-4
        if args.quick:
            sizes = tuple(max(2, h // 8) for h in sizes)
        result = ex.stacked(sizes, decay, lam, seeds=seeds, max_iter=max_iter)
        name = f"stacked {'-'.join(map(str, sizes))}, AE lambda {lam:g}, fine-tuning decay on {decay}"
        note = " (an autoencoder collapsed)" if any(result["collapsed"]) else ""
        before = f"{100 * mnist['stacked_before']:.1f}%" if tutorial else ""
        after = f"{100 * mnist['stacked_after']:.1f}%" if tutorial else ""
        lines.append(f"| {name}{note}: before fine-tuning | {_percent(result['before'])} | {before} |")
        lines.append(f"| {name}{note}: after fine-tuning | {_percent(result['after'])} | {after} |")
    print("\n".join(lines))
    return 0
