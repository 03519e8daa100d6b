"""Features: the acoustic functions computed per file (:mod:`.acoustic`), the parallel, cached
extractor that runs any of them over a corpus and the per-recording feature tables
(:mod:`.extraction`), and openSMILE's eGeMAPS (:mod:`.egemaps`).
"""
