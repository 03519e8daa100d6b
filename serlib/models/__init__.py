"""Model definitions only (no training loops, no experiments): EmoCatcher/CABG (:mod:`.cabg`),
seed 002's MFCC CNN (:mod:`.mfcc_cnn`), seed 001's MLP and CNNs (:mod:`.seed001_nets`), seed
003's BiGRU (:mod:`.bigru`) over CREPE frame embeddings (:mod:`.crepe`), and seed 004's Keras
CNNs (:mod:`.keras_cnn`).
"""
