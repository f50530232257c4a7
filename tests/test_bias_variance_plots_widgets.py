"""Notebook 01's pure functions, the shared figures, the widget wiring and the setup call."""

import subprocess
import sys

import ipywidgets as widgets
import numpy as np
import pytest

from course_utils import bias_variance as B
from course_utils import datasets, layers, optim, plotting, training
from course_utils.widgets import interactive_figure


def test_polynomial_fit_recovers_an_exact_polynomial():
    x = np.linspace(-1, 1, 30)
    y = 1 - 2 * x + 0.5 * x**3
    np.testing.assert_allclose(B.fit_polynomial(x, y, 3), [1, -2, 0, 0.5], atol=1e-10)
    np.testing.assert_allclose(B.predict_polynomial([1, -2, 0, 0.5], x), y)


def test_training_error_never_rises_with_degree():
    x, y = datasets.make_regression_1d(25, 0.3, seed=0)
    xv, yv = datasets.make_regression_1d(50, 0.3, seed=1)
    train, val = B.errors_by_degree(x, y, xv, yv, range(12))
    assert np.all(np.diff(train) <= 1e-9) and val.shape == (12,)


def test_bias_variance_parts_add_up_and_move_the_right_way():
    low, mid, high = (B.bias_variance(d, n_sets=300, seed=3) for d in (1, 5, 9))
    for r in (low, mid, high):
        assert r["sum"] == pytest.approx(r["expected_error"], rel=0.03)
        # the noise adds sigma^2 = 0.09, up to a few standard errors (and they are small)
        assert abs(r["noise_added"] - 0.09) < 4 * r["noise_se"] and r["noise_se"] < 0.003
    assert low["bias2"] > 100 * mid["bias2"] and high["bias2"] < 0.001
    assert low["variance"] < mid["variance"] < high["variance"]
    for d, r in ((1, low), (5, mid), (9, high)):  # the rule of thumb sigma^2 (d + 1) / n
        assert r["variance"] == pytest.approx(0.09 * (d + 1) / 30, rel=0.3)


def test_noise_added_is_what_fresh_labels_add_and_would_catch_a_wrong_noise_level():
    r = B.bias_variance(3, n_sets=200, seed=4)
    assert r["noise_added"] == pytest.approx(r["expected_error"] - r["bias2"] - r["variance"])
    louder = B.bias_variance(3, n_sets=200, seed=4, noise=0.6)
    assert abs(louder["noise_added"] - 0.09) > 20 * louder["noise_se"]  # sigma^2 is 0.36 now
    assert abs(louder["noise_added"] - 0.36) < 4 * louder["noise_se"]


def test_bias_variance_is_repeatable_and_uses_the_seed():
    assert B.bias_variance(3, seed=1) == B.bias_variance(3, seed=1)
    assert B.bias_variance(3, seed=1) != B.bias_variance(3, seed=2)


def test_learning_curve_shapes():
    tr, va = B.learning_curve(1, [10, 100], repeats=3)
    assert tr.shape == va.shape == (2,)
    # a straight line: training error rises and validation error falls with more
    # points, and a model always does better on the points it was fitted to
    assert tr[1] > tr[0] and va[1] < va[0] and np.all(tr < va)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: B.fit_polynomial(np.zeros(3), np.zeros(4), 1), "same length"),
        (lambda: B.design_matrix(np.zeros(3), 21), r"degree must be an int in \[0, 20\]"),
        (lambda: B.design_matrix(np.zeros((3, 1)), 2), "x must have 1 dimensions"),
        (lambda: B.design_matrix([0.0, np.nan], 2), "finite"),
        (lambda: B.bias_variance(3, n_sets=1), r"n_sets must be an int in \[2, inf\]"),
        (lambda: B.bias_variance(12, n_train=10), r"n_train must be an int in \[13, inf\]"),
        (lambda: B.mse(np.zeros(2), np.zeros(3)), "same shape"),
        (lambda: B.polynomial_fit_figure(3, 1), r"n_train must be an int in \[2, inf\]"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_interactive_figure_rejects_bad_arguments():
    with pytest.raises(TypeError, match="callable"):
        interactive_figure(3, a=widgets.IntSlider())
    with pytest.raises(ValueError, match="at least one widget"):
        interactive_figure(lambda: None)


def test_learning_curves_and_decision_boundary_figures():
    X, y = datasets.make_classification_2d(60, seed=0)
    model = layers.mlp([2, 8, 2], seed=0)
    h = training.fit(
        model,
        X,
        y,
        loss="cross_entropy",
        optimizer=optim.SGD(0.1),
        epochs=3,
        validation_data=(X, y),
    )
    fig = plotting.plot_learning_curves({"mlp": h}, "accuracy")
    lines = fig.axes[0].get_lines()
    assert [ln.get_linestyle() for ln in lines] == ["-", "--"]
    fig = plotting.plot_decision_boundary(model.predict, X, y, resolution=20)
    assert fig.axes[0].collections
    with pytest.raises(ValueError, match="has no 'f1'"):
        plotting.plot_learning_curves({"mlp": h}, "f1")
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\)"):
        plotting.plot_decision_boundary(model.predict, np.zeros((3, 3)), y[:3])


def test_setup_notebook_seeds_everything_and_prints_versions():
    code = (
        "from course_utils import setup_notebook\n"
        "import numpy as np, random\n"
        "g = setup_notebook(seed=5)\n"
        "a = (random.random(), np.random.rand(), g.random())\n"
        "import tensorflow as tf\n"
        "t = float(tf.random.uniform(()))\n"
        "setup_notebook(seed=5, quiet=True)\n"
        "assert a[:2] == (random.random(), np.random.rand())\n"
        "assert t == float(tf.random.uniform(()))\n"
        "print('OK')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    first, last = out.stdout.strip().splitlines()[0], out.stdout.strip().splitlines()[-1]
    assert "numpy" in first and "keras 3." in first and "seed 5" in first and last == "OK"
    assert out.stderr == "", out.stderr  # TensorFlow's log lines are silenced


@pytest.mark.parametrize(
    ("seed", "error"), [(-1, ValueError), (2**32, ValueError), (1.5, TypeError)]
)
def test_setup_notebook_rejects_bad_seeds(seed, error):
    from course_utils import setup_notebook

    with pytest.raises(error, match="seed must be"):
        setup_notebook(seed=seed, tensorflow=False, quiet=True)


def test_interactive_figure_displays_as_its_widget_view():
    # The same view under ipywidgets 8 and Colab's 7.7 (which has no _repr_mimebundle_).
    fig = interactive_figure(lambda n: n, n=widgets.IntSlider(value=2))
    view = fig._repr_mimebundle_()["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == fig.widget.model_id and view["version_major"] == 2
