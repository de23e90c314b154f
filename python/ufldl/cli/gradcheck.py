"""``ufldl gradcheck``: check a chosen network's analytic gradient against central differences."""

import argparse

from ufldl.cli._args import Subcommands, float_in, int_at_least, int_list
from ufldl.cli._sizes import check_examples, check_memory, check_network

DESCRIPTION = """\
Build a network of the given sizes and activations with random parameters,
random inputs and targets, and compare its analytic gradient (the compiled
core's backpropagation) with central differences of the cost:
||numeric - analytic|| / ||numeric + analytic||.

The verdict is the tutorial's criterion: the relative difference of the whole
gradient vector (the line "all"). Exits with 0 when it is below --tol, 1
otherwise. The same measure of each block (W1, b1, ...) is printed too, to
show where a wrong gradient is wrong; it is not judged: a block with small
entries (a bias, say) has a relative difference dominated by the rounding of
the central differences, and may exceed a tolerance the whole vector meets.
The default is the tutorial's small fine-tuning case (4 inputs, hidden layers
of 3 and 5, 2 classes, lambda 0.01, 5 examples).
"""


def add_parser(commands: Subcommands) -> argparse.ArgumentParser:
    check = commands.add_parser("gradcheck", help="check a network's gradient against central differences",
                                description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("--layers", type=int_list, default=[4, 3, 5, 2], metavar="N0,N1,...",
                       help="layer sizes, input first (default: 4,3,5,2)")
    check.add_argument("--activations", default="sigmoid", metavar="NAMES",
                       help="one activation for every layer, or a comma-separated list, one per weight layer "
                            "(sigmoid, tanh, relu, identity, softmax) (default: %(default)s)")
    check.add_argument("--loss", choices=("squared", "cross_entropy"), default="cross_entropy",
                       help="cost (cross_entropy puts a softmax on the output) (default: %(default)s)")
    check.add_argument("--weight-decay", type=float_in(0), default=0.01, metavar="LAMBDA",
                       help="weight decay lambda (default: %(default)s)")
    check.add_argument("--rho", type=float_in(0, 1, low_open=True), default=0.1,
                       help="sparsity target, with --beta > 0 (default: %(default)s)")
    check.add_argument("--beta", type=float_in(0), default=0.0,
                       help="KL sparsity weight on the sigmoid hidden layers; 0: none (default: %(default)s)")
    check.add_argument("--examples", type=int_at_least(1), default=5, metavar="M",
                       help="random examples (default: %(default)s)")
    check.add_argument("--eps", type=float_in(0, low_open=True), default=1e-4,
                       help="step of the central differences (default: %(default)s)")
    check.add_argument("--tol", type=float_in(0, low_open=True), default=1e-9,
                       help="largest relative difference of the whole gradient accepted (default: %(default)s)")
    check.add_argument("--seed", type=int_at_least(0), default=0, help="random seed (default: %(default)s)")
    check.set_defaults(handler=run, command_parser=check)
    return check


def check_sizes(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """A usage error, before anything is allocated, when the network or the examples asked for cannot be
    checked here."""
    layers = ",".join(map(str, args.layers))
    count = check_network(parser, f"--layers {layers}", args.layers)
    check_examples(parser, f"--examples {args.examples}", args.examples)
    # float64: the network's parameters, the copy that is perturbed, the analytic and the numerical gradients
    # and the gradient of an evaluation; the random inputs and targets; the core's activations.
    hidden = args.layers[1:-1]
    needed = 8 * (5 * count + args.examples * (args.layers[0] + args.layers[-1] + sum(hidden)
                                               + max(hidden, default=0)))
    check_memory(parser, f"--layers {layers} --examples {args.examples}", needed,
                 f"checking the gradient of a {'-'.join(map(str, args.layers))} network ({count} parameters) on "
                 f"{args.examples} examples")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    check_sizes(args, parser)

    import numpy as np

    import ufldl

    activations = args.activations.split(",") if "," in args.activations else args.activations
    sparsity = ufldl.KLSparsity(args.rho, args.beta) if args.beta > 0 else None
    try:
        net = ufldl.Network(args.layers, activations, args.loss, args.weight_decay, sparsity, random_state=args.seed)
    except (TypeError, ValueError) as exc:
        parser.error(str(exc))
    rng = np.random.default_rng(args.seed)
    X = rng.uniform(0.0, 1.0, size=(args.examples, args.layers[0]))
    if args.loss == "cross_entropy":
        Y = rng.integers(0, args.layers[-1], size=args.examples)
    else:
        low = 0.0 if net.activations[-1] in ("sigmoid", "relu") else -1.0
        Y = rng.uniform(low, 1.0, size=(args.examples, args.layers[-1]))
    diffs = net.check_gradient(X, Y, eps=args.eps)
    penalty = f"beta {args.beta} rho {args.rho}" if sparsity else "no sparsity"
    print(f"network {'-'.join(map(str, args.layers))}, activations {', '.join(net.activations)}, loss {args.loss}, "
          f"lambda {args.weight_decay}, {penalty}, {args.examples} examples, eps {args.eps}")
    whole = diffs["all"]  # the tutorial's criterion: the whole vector
    blocks = {name: value for name, value in diffs.items() if name != "all"}
    for name, value in diffs.items():
        print(f"  {name:>4}  {value:.3e}{'  (the verdict)' if name == 'all' else ''}")
    ok = whole < args.tol
    relation = "<" if ok else ">="
    print(f"{'ok' if ok else 'FAILED'}: relative difference of the whole gradient {whole:.3e} ({relation} tol "
          f"{args.tol:g})")
    if blocks:
        name = max(blocks, key=blocks.__getitem__)
        print(f"  (per block, not judged: largest {name} {blocks[name]:.3e})")
    return 0 if ok else 1
