"""Repository-wide pytest setup.

Notebook cells run by nbval fail when they write anything to stderr: a warning, a
TensorFlow log line or a stray traceback would confuse a learner, so the course keeps
its output clean and this hook makes that a test.
"""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")
# Notebook kernels inherit this: one BLAS thread is faster for the course's tiny matrices
# and 10-30x faster on a busy machine (measured by three notebooks' authors).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    outputs = getattr(item, "test_outputs", None) or []
    stderr = [
        o.get("text", "")
        for o in outputs
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    ]
    if stderr:
        text = "".join(stderr)
        pytest.fail(
            f"this notebook cell wrote to stderr (a warning or log line):\n{text[:2000]}",
            pytrace=False,
        )
    return result
