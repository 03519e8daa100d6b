"""The committed models stay small enough for the repository (issue: under 25 MB in all)."""

from serlib import paths

LIMIT_BYTES = 25_000_000


def test_committed_models_fit_the_size_budget():
    files = [f for f in (paths.project_root() / "models").rglob("*") if f.is_file()]
    total = sum(f.stat().st_size for f in files)
    assert files, "no committed models found"
    assert total < LIMIT_BYTES, f"models/ holds {total / 1e6:.1f} MB, over the 25 MB budget"


def test_fold_weights_of_the_normalisation_runs_are_not_committed():
    """Chapter 07's EmoBox runs of section 11 and the cross-corpus runs keep logs, records and
    probabilities only; the one gain-normalised model kept is predict's default."""
    root = paths.project_root() / "models" / "cabg"
    kept = sorted(p.name for pattern in ("emobox-6fold_full-gain_*.pt",
                                         "emobox-6fold_full-spknorm-inductive_*.pt", "cross/*.pt")
                  for p in root.glob(pattern))
    assert not kept, f"fold weights that should not be committed: {kept}"
