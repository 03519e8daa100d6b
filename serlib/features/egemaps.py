"""eGeMAPS functionals (openSMILE): the field's standard compact acoustic parameter set.

The extended Geneva Minimalistic Acoustic Parameter Set (eGeMAPS v02; Eyben et al., 2016) has 88
functionals per clip: pitch, jitter, shimmer, loudness, HNR, formants, spectral slope, alpha
ratio, Hammarberg index, MFCC 1-4 and rates of voiced and unvoiced segments, each summarised by
means, coefficients of variation and percentiles. The ``opensmile`` wheel ships the SMILExtract
binary, so nothing else needs installing.

Extraction goes through :func:`serlib.features.extraction.extract`, so it runs in parallel and is
cached by
file content and parameters like every other feature of the study.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from serlib.data import audio
from serlib.features import extraction

#: Number of eGeMAPS v02 functionals.
N_FUNCTIONALS = 88
#: Column prefix of the eGeMAPS group in feature tables (see :func:`extraction.feature_groups`).
GROUP = "egemaps"


@functools.lru_cache(maxsize=1)
def smile():
    """The openSMILE extractor for eGeMAPS v02 functionals (one per process, built lazily)."""
    import opensmile

    return opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                           feature_level=opensmile.FeatureLevel.Functionals)


def feature_names() -> list[str]:
    """The 88 functional names in openSMILE's order (e.g. ``F0semitoneFrom27.5Hz_sma3nz_amean``)."""
    return list(smile().feature_names)


def egemaps_signal(y: np.ndarray, sr: int) -> np.ndarray:
    """eGeMAPS functionals of one mono signal (float, ``sr`` in Hz): a float32 vector of 88."""
    values = smile().process_signal(np.asarray(y, dtype=np.float32), sr).to_numpy()
    return values.reshape(-1).astype(np.float32)


def egemaps_file(path: str, params: dict) -> dict[str, np.ndarray]:
    """Per-file worker for :func:`extraction.extract`: ``{"egemaps": vector of 88}``.

    ``params``: ``sr`` (Hz) to resample to first; ``None`` or absent keeps the file's rate
    (openSMILE works at any rate). The file is read and downmixed by :func:`audio.load_audio`,
    so every format of the corpora works and broken files raise (and are reported).

    Used in: notebooks/03_backward_selection.ipynb, notebooks/04_baselines.ipynb.
    """
    y, sr = audio.load_audio(path, sr=params.get("sr"))
    if y.size == 0:
        raise ValueError("empty signal")
    return {"egemaps": egemaps_signal(y, sr)}


def egemaps_table(table: pd.DataFrame, *, params: dict | None = None, n_jobs: int = 1,
                  use_cache: bool = True, progress: bool = True
                  ) -> tuple[pd.DataFrame, extraction.Extraction]:
    """eGeMAPS functionals for every recording of a table with a ``path`` column.

    Returns ``(frame, extraction)``: ``frame`` has ``table``'s index and 88 columns
    ``egemaps_<functional name>``; rows of files that failed are dropped and listed in
    ``extraction.failed``.

    Used in: notebooks/03_backward_selection.ipynb, notebooks/04_baselines.ipynb.
    """
    run = extraction.extract(table["path"].tolist(), egemaps_file, dict(params or {}),
                           n_jobs=n_jobs, use_cache=use_cache, progress=progress,
                           desc="eGeMAPS")
    columns = [f"{GROUP}_{name}" for name in feature_names()]
    rows, index = [], []
    for idx, value in zip(table.index, run.values, strict=True):
        if value is not None:
            rows.append(value["egemaps"])
            index.append(idx)
    data = np.vstack(rows) if rows else np.empty((0, len(columns)), dtype=np.float32)
    return pd.DataFrame(data, index=index, columns=columns), run


def with_egemaps(meta: pd.DataFrame, X: pd.DataFrame, **kwargs
                 ) -> tuple[pd.DataFrame, pd.DataFrame, extraction.Extraction]:
    """Append the eGeMAPS group to a loaded feature table (:func:`extraction.load_table`):
    returns ``(meta, X)`` restricted to the rows where eGeMAPS succeeded, with the 88
    ``egemaps_*`` columns after the existing ones, and the extraction record. ``kwargs`` go to
    :func:`egemaps_table`.

    Used in: notebooks/03_backward_selection.ipynb, notebooks/04_baselines.ipynb.
    """
    frame, run = egemaps_table(meta, **kwargs)
    keep = frame.index
    return (meta.loc[keep], X.loc[keep].join(frame.astype(np.float64)), run)
