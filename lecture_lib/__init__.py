"""Reference implementations for "Generative Models & Policy Gradients".

One module per idea of the course; the lecture notebooks build each method step by step
and the autograder compares students' functions with the ones here.

- :mod:`lecture_lib.runtime`: device choice (``COURSE_DEVICE``), seeds, fast mode (``COURSE_FAST``)
- :mod:`lecture_lib.data`: the real MNIST, offline and verified
- :mod:`lecture_lib.batches`: minibatches of tensors held on the device
- :mod:`lecture_lib.train`: the shared training loop with a progress bar
- :mod:`lecture_lib.plotting`: image grids and curves
"""

from lecture_lib.batches import Batches
from lecture_lib.data import MNISTError, data_dir, images_to_vectors, load_mnist
from lecture_lib.plotting import image_grid, plot_curves, show_images
from lecture_lib.runtime import (NotWrittenYet, by_mode, describe_device, fast_mode, get_device, seed_everything,
                                 show_setting, uses_your)
from lecture_lib.train import History, progress_bar, train, train_steps

__all__ = [
    "Batches", "MNISTError", "data_dir", "images_to_vectors", "load_mnist", "image_grid",
    "plot_curves", "show_images", "by_mode", "describe_device", "fast_mode", "get_device",
    "seed_everything", "show_setting", "History", "progress_bar", "train", "train_steps", "NotWrittenYet", "uses_your",
]
__version__ = "0.1.0"
