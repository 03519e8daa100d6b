"""Training loops and the run store: PyTorch training on cached inputs (:mod:`.torch_training`),
Keras training on segment arrays (:mod:`.keras_training`), and what every trained model leaves
behind, checked on loading (:mod:`.runstore`).
"""
