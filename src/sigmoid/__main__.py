"""``python -m sigmoid``: the command line, see `sigmoid.cli`."""

import sys

from sigmoid.cli import main

if __name__ == "__main__":
    sys.exit(main())
