"""`python -m compiler.demo`: the digits demo under its earlier name, kept so that job scripts
(`torchrun ... -m compiler.demo`) keep working; the demo lives in `compiler.tools.demo`."""

import sys

from compiler.tools.demo import main

if __name__ == "__main__":
    sys.exit(main())
