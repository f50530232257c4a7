"""Penalties match their definitions, their gradients and Keras's regularizers."""

import numpy as np
import pytest

from course_utils import gradient_check as gc
from course_utils import regularizers


@pytest.mark.parametrize(
    ("reg", "expected"),
    [
        (regularizers.L2(0.5), lambda w: 0.5 * np.sum(w**2)),
        (regularizers.L1(0.3), lambda w: 0.3 * np.sum(np.abs(w))),
        (regularizers.L1L2(0.3, 0.5), lambda w: 0.3 * np.sum(np.abs(w)) + 0.5 * np.sum(w**2)),
    ],
)
def test_penalty_value_gradient_and_keras_agree(reg, expected):
    w = np.random.default_rng(0).standard_normal((4, 3))
    assert reg(w) == pytest.approx(expected(w))
    assert gc.rel_error(reg.gradient(w), gc.numerical_gradient(lambda: reg(w), w)) < 1e-6
    keras_value = float(reg.to_keras()(w.astype(np.float32)))
    assert keras_value == pytest.approx(reg(w), rel=1e-5)


def test_textbook_l2_is_keras_l2_of_half_lambda():
    import keras

    w = np.random.default_rng(1).standard_normal((3, 3))
    lam = 0.2
    textbook = lam / 2 * np.sum(w**2)
    assert regularizers.L2(lam / 2)(w) == pytest.approx(textbook)
    theirs = float(keras.regularizers.L2(lam / 2)(w.astype("float32")))
    assert theirs == pytest.approx(textbook, rel=1e-5)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: regularizers.L2(-0.1), r"l2 must be in \[0, inf\]"),
        (lambda: regularizers.L1("a"), "l1 must be a number"),
        (lambda: regularizers.get("l3"), "unknown regularizer 'l3'; allowed"),
        (lambda: regularizers.get(3), "a regularizer must be None"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
