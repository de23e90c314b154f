"""The entry point of the ``ufldl`` console script, outside the ``ufldl`` package so that starting the command
imports nothing heavy.

``import ufldl`` loads the whole package at once (NumPy, SciPy, scikit-learn, the compiled core: seconds).
Setting ``LAZY`` here before that import tells ``ufldl/__init__.py`` to bind its names on first use instead, so
that ``ufldl --help`` and ``ufldl --version`` return at once and each command imports what it uses when it
runs. A Ctrl-C at any moment, the imports included, ends with one line and exit status 130.
"""

import signal
import sys

LAZY = True


def main(argv: list[str] | None = None) -> int:
    """``ufldl [COMMAND] ...``: see ``ufldl.cli.main``."""
    try:
        from ufldl.cli import main as run

        status: int | None = run(argv)
    except KeyboardInterrupt:  # during the imports (ufldl.cli.main catches it once it runs)
        status = None
    # The run is over: a Ctrl-C while the process exits must not print a traceback either.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if status is None:
        print("ufldl: interrupted", file=sys.stderr)
        status = 130
    return status
