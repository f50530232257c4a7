"""Shared helpers for the course on regularizing neural networks.

Importing this package quiets TensorFlow's C++ log lines *before* TensorFlow is
imported, so import it (or call :func:`setup_notebook`) first in every notebook.
"""

import os as _os

# TensorFlow reads these once, when it is first imported. Respect values a user set.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
_os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# NumPy's OpenBLAS starts one busy thread per core. The course's matrices are tiny, and
# on a shared or busy machine (Binder, a workshop server) those threads made each NumPy
# training run 10-30 times slower (measured in notebook 06). Set before NumPy loads.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from course_utils.environment import library_versions, setup_notebook

__all__ = ["library_versions", "setup_notebook"]
__version__ = "0.1.0"
