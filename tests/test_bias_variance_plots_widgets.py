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
    assert low["bias2"] > 100 * mid["bias2"] and high["bias2"] < 0.001
    assert low["variance"] < mid["variance"] < high["variance"]
    for d, r in ((1, low), (5, mid), (9, high)):  # the rule of thumb sigma^2 (d + 1) / n
        assert r["variance"] == pytest.approx(0.09 * (d + 1) / 30, rel=0.3)


def test_bias_variance_is_repeatable_and_uses_the_seed():
    assert B.bias_variance(3, seed=1) == B.bias_variance(3, seed=1)
    assert B.bias_variance(3, seed=1) != B.bias_variance(3, seed=2)


def test_learning_curve_shapes():
    tr, va = B.learning_curve(1, [10, 100], repeats=3)
    assert tr.shape == va.shape == (2,)


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


def test_polynomial_fit_figure_is_pure_and_depends_on_its_arguments():
    a = plotting.figure_to_array(B.polynomial_fit_figure(3, 20))
    b = plotting.figure_to_array(B.polynomial_fit_figure(3, 20))
    c = plotting.figure_to_array(B.polynomial_fit_figure(12, 20))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_widget_redraws_when_a_slider_moves():
    w = interactive_figure(
        B.polynomial_fit_figure,
        degree=widgets.IntSlider(value=3, min=0, max=15),
        n_train=widgets.IntSlider(value=15, min=5, max=200),
    )
    before = plotting.figure_to_array(w.figure)
    w.controls["degree"].value = 12
    assert w.redraws == 2
    assert not np.array_equal(before, plotting.figure_to_array(w.figure))
    w.controls["n_train"].value = 100
    assert w.redraws == 3 and w.values() == {"degree": 12, "n_train": 100}


def test_widget_shows_a_figure_error_under_its_controls_and_keeps_working():
    def picky_figure(degree, n_train):
        if degree == 13:
            raise ValueError("degree 13 is not allowed here")
        return B.polynomial_fit_figure(degree, n_train)

    w = interactive_figure(
        picky_figure,
        degree=widgets.IntSlider(value=3, min=0, max=15),
        n_train=widgets.IntSlider(value=15, min=5, max=200),
    )
    controls, message, output = w.widget.children
    assert list(controls.children) == list(w.controls.values())
    assert message is w.message and output is w.output
    assert message.layout.display == "none" and w.error is None
    w.controls["degree"].value = 13  # ipywidgets calls the observer: it must not raise
    assert isinstance(w.error, ValueError) and w.figure is None and w.redraws == 1
    assert message.layout.display != "none"
    assert "picky_figure(degree=13, n_train=15) raised ValueError" in message.value
    assert "degree 13 is not allowed here" in message.value and "Traceback" in message.value
    w.controls["degree"].value = 12  # the controls still work, and the message goes
    assert w.error is None and w.figure is not None and w.redraws == 2
    assert message.layout.display == "none" and message.value == ""
    w.controls["n_train"].value = 100
    assert w.redraws == 3


def test_a_figure_function_that_fails_at_once_raises():
    def broken(a):
        raise RuntimeError("nothing to draw")

    with pytest.raises(RuntimeError, match="nothing to draw"):
        interactive_figure(broken, a=widgets.IntSlider())


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
