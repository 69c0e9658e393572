"""`python -m compiler ...`: see `compiler.cli`."""

import sys

from .cli import main

sys.exit(main())
