"""``python -m serlib``: see :mod:`serlib.cli`."""

import sys

from serlib.cli import main

sys.exit(main())
