"""Evaluation protocols as committed data: the registry of every protocol with its corpus, kind and
folds (:mod:`.registry`, fold lists in ``protocol_data/``; ``python -m serlib.protocols``) and
the split helpers it is built from (:mod:`.splits`).
"""
