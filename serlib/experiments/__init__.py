"""The study's experiments, one module per seed or question: seed 001's scikit-learn baselines
(:mod:`.baselines`) and PyTorch networks (:mod:`.seed001`), seed 002's 7-class model
(:mod:`.seed002`), seed 003's BiGRU (:mod:`.seed003`), seed 004's Keras CNNs (:mod:`.seed004`),
CABG runs over registered protocols and their ensembles (:mod:`.cabg_runs`), training on one
corpus and testing on another (:mod:`.cross_corpus`) and inductive speaker normalisation
(:mod:`.speaker_norm`). Each composes models, training loops, protocols and the run store.
"""
