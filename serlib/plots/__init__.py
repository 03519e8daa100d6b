"""Figures: the shared ones of every chapter (:mod:`.figures`), those of the deep-model chapters
(:mod:`.deep_plots`) and seed 004's Keras chapter (:mod:`.keras_plots`).
"""
