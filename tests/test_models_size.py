"""The committed models stay small enough for the repository (issue: under 25 MB in all)."""

from serlib import paths

LIMIT_BYTES = 25_000_000


def test_committed_models_fit_the_size_budget():
    files = [f for f in (paths.project_root() / "models").rglob("*") if f.is_file()]
    total = sum(f.stat().st_size for f in files)
    assert files, "no committed models found"
    assert total < LIMIT_BYTES, f"models/ holds {total / 1e6:.1f} MB, over the 25 MB budget"
