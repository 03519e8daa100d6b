"""What a user runs: the command line (:mod:`.cli`, ``python -m serlib``), the chapter runner
(:mod:`.runner`), what every chapter does first (:mod:`.notebook`), and ``serlib predict``
(:mod:`.predict`, with the warning of :mod:`.predict_warning`).
"""
