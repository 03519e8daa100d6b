"""serlib: the tested helper package behind the speech-emotion-recognition notebooks.

Modules by concern: ``paths`` (where data and outputs live), ``corpora`` (corpus tables),
``audio`` (loading and signal processing), ``features`` (cached, parallel feature extraction),
``splits`` (evaluation protocols with leakage checks), ``demo`` (synthetic demo corpus),
``download`` (fetching RAVDESS), ``audit`` (corpus inventory), ``runner`` (papermill runs) and
``cli`` (``python -m serlib``).
"""

__version__ = "0.1.0"
