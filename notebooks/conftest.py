"""nbval runs over the committed notebooks only where their data is: the real corpora.

Their checked outputs come from RAVDESS and AESDD; without the corpora (a fresh machine) the
notebook checks are skipped with the reason, and the smoke test in tests/ runs them on the
demo corpus instead.
"""

from pathlib import Path

import pytest

from serlib import paths
from serlib.app import notebook

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    root = paths.data_root()
    if notebook.real_corpora_present(root):
        return
    skip = pytest.mark.skip(
        reason=f"real corpora not found at {root} (set SERLIB_DATA to a folder with ravdess/ "
        "and aesdd/): the committed notebook outputs come from them")
    for item in items:
        if Path(str(item.fspath)).parent == HERE and str(item.fspath).endswith(".ipynb"):
            item.add_marker(skip)
