"""``ufldl info``: versions, the BLAS in use and its threads, the kernels' instruction set."""

import argparse
import json

from ufldl.cli._args import Subcommands


def add_parser(commands: Subcommands) -> argparse.ArgumentParser:
    info = commands.add_parser("info", help="print versions, the BLAS library, threads and instruction set",
                               description="Print what ufldl runs on, as JSON (for bug reports).")
    info.set_defaults(handler=run, command_parser=info)
    return info


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import ufldl
    from ufldl.cli._output import machine, versions

    print(json.dumps({"versions": versions(), "blas": ufldl.blas_info(), "platform": machine()}, indent=2))
    return 0
