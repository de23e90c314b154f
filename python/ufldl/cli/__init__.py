"""The command line: ``ufldl COMMAND`` (also ``python -m ufldl COMMAND``).

``demo`` runs the UFLDL tutorial's sparse-autoencoder exercise end to end; ``patches`` saves the demo's
natural-image patches as a ``.npy`` file; ``train`` fits a sparse autoencoder to the rows of a ``.npy`` file and
saves it; ``gradcheck`` checks a chosen network's gradient;
``experiments`` reproduces the tutorial's supervised experiments on the digits; ``info`` prints versions and
the BLAS in use. Each lives in its own module here.
"""

import argparse
import sys

from ufldl.cli import demo, experiments, gradcheck, info, patches, train

__all__ = ["main", "build_parser"]

_COMMANDS = (demo, patches, train, gradcheck, experiments, info)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``ufldl`` command (exposed for documentation and tests)."""
    from ufldl import __version__

    parser = argparse.ArgumentParser(
        prog="ufldl",
        description="ufldl: the UFLDL tutorial's neural networks and sparse autoencoder, exact and fast.",
        epilog="Run 'ufldl demo' to train the tutorial's sparse autoencoder on natural-image patches and "
               "picture its features; 'ufldl COMMAND --help' lists a command's settings.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in _COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ufldl`` console script and of ``python -m ufldl``.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    status : int
        0 on success, 1 on a failure at run time (or a failed gradient check), 2 on a usage error (argparse
        exits with 2 itself), 130 after Ctrl-C (during training, after writing what was learned).
    """
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            print("\nufldl: error: choose a command (e.g. 'ufldl demo')", file=sys.stderr)
            return 2
        status: int = args.handler(args, args.command_parser)  # a command's run(args, parser) -> int
        return status
    except KeyboardInterrupt:
        return interrupted()


def interrupted() -> int:
    """Ctrl-C outside training (which stops cleanly by itself): one line, exit status 130, no traceback."""
    print("ufldl: interrupted", file=sys.stderr)
    return 130
