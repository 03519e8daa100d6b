"""``python -m serlib.protocols [list | build ...]``: the registry's command line."""

import sys

from serlib.protocols.registry import main

sys.exit(main())
