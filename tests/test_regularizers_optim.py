"""Penalties match their definitions and Keras; optimizers match Keras step for step."""

import numpy as np
import pytest

from course_utils import gradient_check as gc
from course_utils import optim, regularizers


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
        (lambda: optim.SGD(learning_rate=0), "learning_rate must be in"),
        (lambda: optim.SGD(momentum=1.0), "momentum must be in"),
        (lambda: optim.Adam(beta_1=1.5), "beta_1 must be in"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda: optim.SGD(0.1), lambda k: k.optimizers.SGD(0.1)),
        (lambda: optim.SGD(0.1, momentum=0.9), lambda k: k.optimizers.SGD(0.1, momentum=0.9)),
        (lambda: optim.Adam(0.01), lambda k: k.optimizers.Adam(0.01)),
    ],
)
def test_optimizers_match_keras_over_several_steps(ours, theirs):
    import keras

    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 2))
    grads = [rng.standard_normal((3, 2)) for _ in range(5)]
    w = w0.copy()
    opt = ours()
    for g in grads:
        opt.step([w], [g])
    var = keras.Variable(w0.astype(np.float32))
    kopt = theirs(keras)
    for g in grads:
        kopt.apply_gradients([(keras.ops.convert_to_tensor(g.astype(np.float32)), var)])
    np.testing.assert_allclose(w, np.asarray(var), atol=1e-5)
