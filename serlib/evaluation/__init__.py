"""Scoring and reporting: metrics and speaker-clustered intervals (:mod:`.scoring`), the study's
results file, study plan and saved predictions (:mod:`.results_table`), recording-level scores
of segment models (:mod:`.recording_level`), the exploration analyses (:mod:`.analysis`), the
error analysis (:mod:`.error_analysis`) and the README's tables (:mod:`.reports`).
"""
