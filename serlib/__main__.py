"""``python -m serlib``: see :mod:`serlib.app.cli`."""

import sys

from serlib.app.cli import main

sys.exit(main())
