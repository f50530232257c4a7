"""The package's shared argument rules (course_utils._validate): one behaviour each."""

import numpy as np
import pytest

from course_utils import _validate, datasets, dropout, layers, mc_dropout
from course_utils.environment import setup_notebook


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (-1, ValueError, r"seed must be an int in \[0, inf\], got -1"),
        (True, TypeError, "seed must be an int"),
        (1.0, TypeError, "seed must be an int"),
        (None, TypeError, "seed must be an int"),
        ("1", TypeError, "seed must be an int"),
    ],
)
def test_one_seed_rule(value, error, message):
    with pytest.raises(error, match=message):
        _validate.seed(value)
    with pytest.raises(error, match=message):
        _validate.generator(value)


@pytest.mark.parametrize(
    "call",
    [
        lambda seed: datasets.make_regression_1d(10, seed=seed),
        lambda seed: layers.Dense(2, 3, seed=seed),
        lambda seed: layers.mlp([2, 3, 1], seed=seed),
        lambda seed: dropout.draw_mask((2, 3), 0.5, seed),
    ],
    ids=["datasets", "Dense", "mlp", "draw_mask"],
)
def test_every_seeded_function_follows_the_rule(call):
    with pytest.raises(ValueError, match="got -1"):
        call(-1)
    for bad in (True, 1.5, "1"):
        with pytest.raises(TypeError):
            call(bad)


def test_a_generator_or_an_int_seed_gives_numpys_stream():
    gen = np.random.default_rng(5)
    assert _validate.generator(gen) is gen
    a = _validate.generator(np.int64(7)).standard_normal(3)
    np.testing.assert_array_equal(a, np.random.default_rng(7).standard_normal(3))


def test_seeding_everything_also_caps_the_seed_at_numpys_limit():
    with pytest.raises(ValueError, match=r"seed must be an int in \[0, 4294967295\]"):
        setup_notebook(seed=2**32, tensorflow=False, quiet=True)
    with pytest.raises(TypeError, match="seed must be an int"):
        setup_notebook(seed=None, tensorflow=False, quiet=True)


def test_none_means_fresh_entropy_only_where_a_signature_says_so():
    # rng=None / seed=None in these signatures: unseeded on purpose, never the seed rule.
    assert dropout.draw_mask((2, 3), 0.5, None).shape == (2, 3)
    assert isinstance(layers.Dropout(0.5).rng, np.random.Generator)
    with pytest.raises(TypeError, match="seed must be an int"):
        mc_dropout.mc_dropout_predict(
            layers.mlp([1, 4, 1], dropout=0.5), np.zeros((2, 1)), seed=None
        )


def test_xy_names_what_is_wrong():
    X, y = _validate.xy(np.ones((3, 2)), [1, 2, 3])
    assert X.shape == (3, 2) and y.dtype == np.float64
    with pytest.raises(ValueError, match="X and y must have the same number of rows, got 3 and 2"):
        _validate.xy(np.ones((3, 2)), [1, 2])
    with pytest.raises(ValueError, match="at least one row"):
        _validate.xy(np.ones((0, 2)), [])
