"""Seeding, determinism, plot defaults and the one-line version report."""

from __future__ import annotations

import os
import platform
import random

import numpy as np

from course_utils import _validate

DEFAULT_SEED = 42


def configure_tensorflow_threads() -> int | None:
    """Limit TensorFlow's thread pools to ``CPU_LIMIT`` when Binder sets it.

    Returns:
        The number of threads set, or None when ``CPU_LIMIT`` is not set.
    """
    limit = os.environ.get("CPU_LIMIT")
    if not limit:
        return None
    try:
        n = max(1, int(float(limit) + 0.5))
    except ValueError:
        return None
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)
    except RuntimeError:  # TF already initialised: keep its settings
        return None
    return n


def library_versions() -> dict[str, str]:
    """Versions of Python and the course's main libraries."""
    import matplotlib

    versions = {"python": platform.python_version(), "numpy": np.__version__}
    versions["matplotlib"] = matplotlib.__version__
    import tensorflow as tf

    versions["tensorflow"] = tf.__version__
    import keras

    versions["keras"] = keras.__version__
    return versions


def setup_notebook(seed: int = DEFAULT_SEED, *, tensorflow: bool = True, quiet: bool = False):
    """Make a notebook repeatable and tidy, in one call.

    Seeds Python's ``random``, NumPy's global generator and (when ``tensorflow`` is
    True) TensorFlow, makes TensorFlow ops deterministic, sets plot defaults and
    prints the library versions on one line.

    Args:
        seed: Seed for every random generator, in [0, 2**32).
        tensorflow: Also import, seed and configure TensorFlow/Keras.
        quiet: Do not print the versions line.

    Returns:
        A ``numpy.random.Generator`` seeded with ``seed``, for the notebook's own draws.
    """
    seed = _validate.seed(seed, high=2**32 - 1)  # np.random.seed takes no more
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - also seed legacy calls learners may make
    from course_utils import plotting

    plotting.set_style()
    if tensorflow:
        import tensorflow as tf

        configure_tensorflow_threads()
        import keras

        keras.utils.set_random_seed(seed)
        tf.config.experimental.enable_op_determinism()
    if not quiet:
        versions = library_versions() if tensorflow else _versions_without_tf()
        print(" | ".join(f"{k} {v}" for k, v in versions.items()) + f" | seed {seed}")
    return np.random.default_rng(seed)


def _versions_without_tf() -> dict[str, str]:
    import matplotlib

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "matplotlib": matplotlib.__version__,
    }
