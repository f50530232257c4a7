"""Notebook 01's pure functions, the shared figures, the widget wiring and the setup call."""

import base64
import struct
import subprocess
import sys

import ipywidgets as widgets
import numpy as np
import pytest
from notebook_functions import notebook_functions

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


def test_exact_bias_variance_is_what_many_sets_converge_to():
    for d in (1, 5, 9):
        e = B.exact_bias_variance(d, n_train=30, noise=0.3)
        r = B.bias_variance(d, n_train=30, n_sets=4000, noise=0.3, seed=5)
        assert r["variance"] == pytest.approx(e["variance"], rel=0.05)
        # the estimate of bias² carries the average's own noise, about variance / n_sets
        noise_floor = e["variance"] / 4000
        assert 0.2 < (r["bias2"] - e["bias2"]) / noise_floor < 5 or d < 9
        assert r["bias2"] == pytest.approx(e["bias2"], rel=0.05) or d == 9
        assert e["expected_error"] == pytest.approx(e["bias2"] + e["variance"] + 0.09)
        assert e["variance"] == pytest.approx(np.mean(e["variance_by_x"]))
    # the true curve is smooth, so a high enough degree follows it almost exactly
    assert B.exact_bias_variance(15)["bias2"] < 1e-12 < 1e-3 < B.exact_bias_variance(5)["bias2"]


def test_variance_at_the_training_inputs_is_exactly_the_rule():
    for d in (0, 3, 12, 17):
        e = B.exact_bias_variance(d, n_train=30, noise=0.3)
        assert e["variance_at_train"] == pytest.approx(0.09 * (d + 1) / 30, rel=1e-9)
    assert B.exact_bias_variance(3, noise=0.6)["variance"] == pytest.approx(
        4 * B.exact_bias_variance(3, noise=0.3)["variance"]
    )


def test_learning_curve_keeps_every_draw():
    tr, va = B.learning_curve(1, [10, 100], repeats=31, seed=0)
    assert tr.shape == va.shape == (31, 2)
    tr, va = np.median(tr, axis=0), np.median(va, axis=0)
    # a straight line: training error rises and validation error falls with more
    # points, and a model does better on the points it was fitted to
    assert tr[1] > tr[0] and va[1] < va[0] and np.all(tr < va)
    a, b = (
        B.learning_curve(2, [10], repeats=3, seed=4),
        B.learning_curve(2, [10], repeats=3, seed=4),
    )
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_try_it_errors_are_the_figures_own():
    fig = B.polynomial_fit_figure(12, 15)
    train, val = B.polynomial_fit_errors(12, 15)
    assert f"train MSE {train:.3f}, validation MSE {val:.3f}" in fig.axes[0].get_title()
    # the notebook's claim: a high degree chases 15 points and calms down with 200
    assert val > 100 * B.polynomial_fit_errors(12, 200)[1]


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
        (lambda: B.exact_bias_variance(9, n_train=9), r"n_train must be an int in \[10, inf\]"),
        (lambda: B.learning_curve(9, [20, 9]), r"size must be an int in \[10, inf\]"),
        (lambda: B.polynomial_fit_figure(3, 1), r"n_train must be an int in \[2, inf\]"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


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


# ------------------------------------------------ palette and resolution
# Machado, Oliveira and Fernandes (2009): linear-RGB matrices that simulate full
# protanopia, deuteranopia and tritanopia.
CVD = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}  # fmt: skip


def _lab(rgb):
    """sRGB (N, 3) in [0, 1] -> CIELAB (D65)."""
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = (
        lin
        @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    )
    f = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(f > 0.008856, np.cbrt(f), 7.787 * f + 16 / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], 1)


def _closest_pair_under_cvd(colours) -> dict[str, float]:
    """The smallest colour difference (CIELAB ΔE) between two of ``colours``, per deficiency."""
    from matplotlib.colors import to_rgb

    rgb = np.array([to_rgb(c) for c in colours])
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    result = {}
    for name, matrix in CVD.items():
        seen = np.clip(lin @ np.array(matrix).T, 0, 1)
        srgb = np.where(seen <= 0.0031308, 12.92 * seen, 1.055 * seen ** (1 / 2.4) - 0.055)
        lab = _lab(srgb)
        d = np.linalg.norm(lab[:, None] - lab[None], axis=-1)
        result[name] = float(d[~np.eye(len(colours), dtype=bool)].min())
    return result


def test_setup_notebook_sets_a_colour_blind_safe_palette_and_high_density_figures():
    import matplotlib
    from matplotlib.colors import to_hex

    from course_utils import setup_notebook

    matplotlib.rcdefaults()
    setup_notebook(tensorflow=False, quiet=True)
    cycle = [to_hex(c) for c in matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]]
    assert cycle == [to_hex(c) for c in matplotlib.color_sequences["petroff10"]]
    assert [to_hex(plotting.colour(i)) for i in range(3)] == cycle[:3]
    assert matplotlib.rcParams["figure.dpi"] == 100 and matplotlib.rcParams["savefig.dpi"] == 200
    # The first four colours (a figure rarely compares more models) stay far apart for
    # each of the three colour-vision deficiencies; matplotlib's old tab10 does not.
    assert min(_closest_pair_under_cvd(cycle[:4]).values()) > 20
    tab10 = [matplotlib.colormaps["tab10"](i) for i in range(4)]
    assert min(_closest_pair_under_cvd(tab10).values()) < 10


@pytest.mark.kernel
@pytest.mark.parametrize("pyplot_first", [False, True], ids=["pyplot-after", "pyplot-before"])
def test_inline_figures_are_drawn_at_twice_their_size_for_sharp_screens(pyplot_first):
    # In a kernel, setup_notebook switches the inline backend to "retina": the PNG has
    # twice the pixels and says to show it at the figure's own size (7 x 4 in at 100 dpi),
    # whether pyplot was imported before the setup call or after it.
    import nbformat

    from course_utils import runner

    setup = "from course_utils import setup_notebook\nsetup_notebook(tensorflow=False, quiet=True)"
    pyplot = "import matplotlib.pyplot as plt"
    nb = nbformat.v4.new_notebook()
    first, second = (pyplot, setup) if pyplot_first else (setup, pyplot)
    nb.cells = [
        nbformat.v4.new_code_cell(f"{first}\n{second}"),
        nbformat.v4.new_code_cell("fig, ax = plt.subplots()\nax.plot([0, 1], [1, 0]);"),
    ]
    run = runner.run(nb, mpl_backend=None)  # the course's runner, the learner's inline backend
    assert run.status == "ok", run.error
    (image,) = [o for o in nb.cells[1].outputs if "image/png" in o.get("data", {})]
    png = base64.b64decode(image.data["image/png"])
    width, height = struct.unpack(">II", png[16:24])
    shown = image.metadata["image/png"]
    assert (width, height) == (2 * shown["width"], 2 * shown["height"])
    # 7 x 4 in at 100 dpi, less the white margin that the inline backend crops
    assert 640 < shown["width"] <= 700 and 360 < shown["height"] <= 400, shown


def test_two_models_differ_by_marker_as_well_as_colour():
    histories = {
        name: {"loss": list(np.linspace(1, 0.1, 20)), "val_loss": list(np.linspace(1, 0.3, 20))}
        for name in ("plain", "L2")
    }
    fig = plotting.plot_learning_curves(histories)
    lines = [ln for ln in fig.axes[0].lines if not ln.get_label().startswith("_")]
    by_model = {ln.get_label().split(" (")[0]: ln for ln in lines}
    assert by_model["plain"].get_marker() != by_model["L2"].get_marker()
    assert by_model["plain"].get_color() != by_model["L2"].get_color()
    styles = {ln.get_label(): ln.get_linestyle() for ln in lines}
    assert styles["plain (train)"] == "-" and styles["plain (validation)"] == "--"
    x = np.linspace(0, 1, 5)
    fig = plotting.plot_fit_1d(x, x, {"degree 1": (x, x), "degree 9": (x, x**2)})
    fitted = [ln for ln in fig.axes[0].lines if ln.get_label().startswith("degree")]
    assert fitted[0].get_linestyle() != fitted[1].get_linestyle()


def test_interactive_figure_displays_as_its_widget_view():
    # The same view under ipywidgets 8 and Colab's 7.7 (which has no _repr_mimebundle_).
    fig = interactive_figure(lambda n: n, n=widgets.IntSlider(value=2))
    view = fig._repr_mimebundle_()["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == fig.widget.model_id and view["version_major"] == 2


def test_the_notebooks_functions_compute_what_the_package_copies_do():
    # Notebook 01 writes the polynomial fit and the MSE for the learner; the package's
    # copies serve the figures and later notebooks. Same numbers.
    from course_utils import losses

    nb = notebook_functions("01_bias_variance.ipynb")
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-1, 1, 25), rng.standard_normal(25)
    coef = nb["fit_poly"](x, y, 4)
    np.testing.assert_allclose(coef, B.fit_polynomial(x, y, 4), rtol=1e-10)
    np.testing.assert_allclose(nb["predict_poly"](coef, x), B.predict_polynomial(coef, x))
    assert nb["mse"](x, y) == losses.mse(x, y)
