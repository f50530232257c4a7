"""The NumPy optimizers match Keras's step for step (AdamW: test_06_putting_it_together.py)."""

import numpy as np
import pytest

from course_utils import optim


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


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: optim.SGD(learning_rate=0), "learning_rate must be in"),
        (lambda: optim.SGD(momentum=1.0), "momentum must be in"),
        (lambda: optim.Adam(beta_1=1.5), "beta_1 must be in"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
