"""``python -m ufldl``: the command line (see ``ufldl.cli``)."""

import sys

from ufldl.cli import main

if __name__ == "__main__":
    sys.exit(main())
