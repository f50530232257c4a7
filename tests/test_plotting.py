"""Every course figure is readable on a normal screen: no text under
``plotting.MIN_TEXT_PX`` pixels once the figure sits in a notebook's column."""

import importlib
import inspect
import pkgutil

import matplotlib
import numpy as np
import pytest
from matplotlib.font_manager import FontProperties

import course_utils
from course_utils import plotting


@pytest.fixture(autouse=True)
def course_style():
    plotting.set_style()
    yield
    matplotlib.rcdefaults()


def _px(points: float) -> float:
    return points * matplotlib.rcParams["figure.dpi"] / 72


def test_style_sets_no_text_under_the_minimum():
    rc = matplotlib.rcParams
    assert rc["figure.dpi"] == plotting.FIGURE_DPI
    keys = ["font.size", "axes.titlesize", "axes.labelsize", "figure.titlesize"]
    keys += ["xtick.labelsize", "ytick.labelsize", "legend.fontsize", "legend.title_fontsize"]
    for key in keys:
        size = rc[key]
        points = FontProperties(size=size).get_size_in_points()  # "small" -> points
        assert _px(points) >= plotting.MIN_TEXT_PX, (key, size)
    # at the default figure size no scaling applies, so this is what the learner sees
    assert rc["figure.figsize"][0] * rc["figure.dpi"] <= plotting.COLUMN_PX
    assert _px(plotting.SMALL_FONT) >= plotting.MIN_TEXT_PX


def test_text_sizes_counts_scaling_and_every_visible_text():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    plt.close(fig)
    ax.plot([0, 1], [0, 1], label="line")
    ax.legend(fontsize=6)
    ax.set_title("title", fontsize=12)
    ax.text(0.5, 0.5, "hidden", visible=False)
    sizes = dict(plotting.text_sizes_px(fig))
    assert sizes["line"] == pytest.approx(6 * 100 / 72)  # a 6 pt legend: 8.3 px, too small
    assert sizes["title"] == pytest.approx(12 * 100 / 72)
    assert "hidden" not in sizes and "1.0" in sizes  # tick labels are counted
    fig.set_size_inches(19.2, 3)  # twice the column's width: shown at half size
    assert dict(plotting.text_sizes_px(fig))["title"] == pytest.approx(6 * 100 / 72)
    with pytest.raises(ValueError, match="column_px must be"):
        plotting.text_sizes_px(fig, column_px=0)
    with pytest.raises(TypeError, match="must be a matplotlib Figure"):
        plotting.text_sizes_px("fig")


# ------------------------------------------------ every public figure function, built
def _history():
    from course_utils import layers, optim, training

    X = np.random.default_rng(0).standard_normal((30, 2))
    y = (X[:, 0] > 0).astype(int)
    model = layers.mlp([2, 4, 2], seed=0)
    return (
        model,
        X,
        y,
        training.fit(
            model,
            X,
            y,
            loss="cross_entropy",
            optimizer=optim.SGD(0.1),
            epochs=3,
            validation_data=(X, y),
        ),
    )


def _plotting():
    model, X, y, h = _history()
    grid = np.linspace(-1, 1, 50)
    return {
        "plotting.plot_learning_curves": lambda: plotting.plot_learning_curves(
            {"a long model name": h, "another model": h}, "accuracy", title="a title"
        ),
        "plotting.plot_fit_1d": lambda: plotting.plot_fit_1d(
            grid, grid, {"fit": (grid, grid)}, x_val=grid, y_val=grid, truth=(grid, grid)
        ),
        "plotting.plot_decision_boundary": lambda: plotting.plot_decision_boundary(
            model.predict, X, y, resolution=20, title="a title"
        ),
    }


def _bias_variance():
    from course_utils import bias_variance

    return {"bias_variance.polynomial_fit_figure": lambda: bias_variance.polynomial_fit_figure()}


def _l1_l2():
    from course_utils import l1_l2, l1_l2_network
    from course_utils import l1_l2_figures as F

    rng = np.random.default_rng(0)
    lams = np.logspace(-2, 0, 5)
    data = l1_l2.curve_data()
    return {
        "l1_l2_figures.penalty_figure": lambda: F.penalty_figure(0.01, "l1"),
        "l1_l2_figures.plot_regularization_path": lambda: F.plot_regularization_path(
            lams, rng.standard_normal((5, 30)), np.arange(30) < 5, title="a title"
        ),
        "l1_l2_figures.plot_weight_bars": lambda: F.plot_weight_bars(
            {"L1": rng.standard_normal(12), "L2": rng.standard_normal(12), "none": np.zeros(12)},
            np.arange(12) < 3,
            title="a title",
        ),
        "l1_l2_figures.plot_mse_curves": lambda: F.plot_mse_curves(
            {
                name: l1_l2_network.train_curve_model(data, lam, epochs=5)[1]
                for name, lam in (("no penalty", 0.0), ("L2 0.003", 0.003))
            },
            title="a title",
        ),
    }


def _dropout():
    from course_utils import dropout as D
    from course_utils import dropout_figures as DF
    from course_utils import dropout_vs_l2
    from course_utils import mc_dropout as MC

    X, y, _, _ = D.make_data(n_train=20, n_val=10)
    grid = np.linspace(-2, 2, 11)
    samples = np.random.default_rng(0).standard_normal((30, 11))
    predictors = {name: (lambda p: p[:, 0] > 0) for name in ("no dropout", "dropout", "L2")}
    sweep = {0.0: {"loss": 0.1, "val_loss": 0.9}, 0.5: {"loss": 0.2, "val_loss": 0.5}}
    runs = dropout_vs_l2.CONTROL_RUNS
    control = [
        {"cancellation": dict(zip(runs, [5.0 + k, 3.0, 2.0], strict=True))} for k in range(3)
    ]
    return {
        "dropout_figures.thinned_network_figure": lambda: DF.thinned_network_figure(),
        "dropout_figures.dropout_figure": lambda: DF.dropout_figure(0.5),
        "dropout_figures.boundaries_figure": lambda: DF.boundaries_figure(predictors, X, y),
        "dropout_figures.ablation_figure": lambda: DF.ablation_figure(
            {"no dropout": np.array([0.3, 0.1, 0.0]), "dropout": np.array([0.01, 0.0, 0.0])}
        ),
        "dropout_figures.sweep_figure": lambda: DF.sweep_figure(sweep),
        "dropout_vs_l2.control_figure": lambda: dropout_vs_l2.control_figure(control),
        "mc_dropout.mc_dropout_figure": lambda: MC.mc_dropout_figure(
            grid, grid, grid, samples, title="a title"
        ),
    }


def _ridge_gd():
    from course_utils import l1_l2, ridge_gd

    d = l1_l2.curve_data()
    return {
        "ridge_gd.early_stopping_as_l2_figure": lambda: ridge_gd.early_stopping_as_l2_figure(
            d.X, d.y, d.X_val, d.y_val, steps=[10, 100], lams=np.logspace(-5, 0, 8)
        )
    }


def _later_notebooks():
    from course_utils import augment_figures as A
    from course_utils import combined, contest, weight_decay
    from course_utils import combined_figures as CF
    from course_utils import early_stopping_study as study

    def comparison():
        p = combined.make_problem()
        techniques = [combined.TECHNIQUES[n] for n in ("none", "L2", "early stopping")]
        return contest.compare(p, techniques, seeds=(0, 1), epochs=3)

    val = 0.4 + 1.5 * np.exp(-np.arange(30) / 5) + 0.005 * np.arange(30)
    return {
        "augment_figures.plot_digits": lambda: A.plot_digits(np.zeros((5, 8, 8)), list("abcde")),
        "augment_figures.augmentation_preview_figure": lambda: A.augmentation_preview_figure(),
        "combined_figures.problem_figure": lambda: CF.problem_figure(combined.make_problem(), n=12),
        "combined_figures.comparison_figure": lambda: CF.comparison_figure(comparison()),
        "combined_figures.technique_figure": lambda: CF.technique_figure(comparison(), "L2"),
        "weight_decay.weight_decay_figure": lambda: weight_decay.weight_decay_figure(
            weight_decay.decay_vs_l2_runs(combined.make_problem(), steps=5)
        ),
        "combined_figures.gains_figure": lambda: CF.gains_figure(comparison()),
        "early_stopping_study.early_stopping_figure": lambda: study.early_stopping_figure(
            val, patience=4, loss=val / 2
        ),
    }


def _going_further():
    from course_utils import double_descent as dd
    from course_utils import going_further

    res = dd.double_descent((10, 30), range(2), lams=())
    return {
        "double_descent.curve_figure": lambda: dd.curve_figure(
            res["counts"], {"test": res["test"]}
        ),
        "double_descent.fits_figure": lambda: dd.fits_figure((10, 30)),
        "double_descent.try_it_figure": lambda: dd.try_it_figure(30, 1.0, seeds=range(2)),
        "going_further.reliability_figure": lambda: going_further.reliability_figure(
            going_further.compare(draws=(0,), epochs=3)
        ),
    }


GROUPS = [
    _plotting,
    _bias_variance,
    _l1_l2,
    _dropout,
    _ridge_gd,
    _later_notebooks,
    _going_further,
]


def _names(group):
    # the names without building anything: read each group's dict keys from its source
    source = inspect.getsource(group)
    return [n for n in _all_figure_functions() if f'"{n}"' in source]


def _all_figure_functions() -> list[str]:
    """Every public function of course_utils named ``plot_*`` or ``*_figure`` that
    returns a figure (not widgets.interactive_figure, which wraps one)."""
    found = []
    for info in pkgutil.iter_modules(course_utils.__path__):
        if info.name.startswith("_") or info.ispkg:
            continue
        module = importlib.import_module(f"course_utils.{info.name}")
        for name, fn in vars(module).items():
            if not inspect.isfunction(fn) or fn.__module__ != module.__name__:
                continue
            if (name.startswith("plot_") or name.endswith("_figure")) and name != (
                "interactive_figure"
            ):
                found.append(f"{info.name}.{name}")
    return sorted(found)


def test_every_figure_function_is_measured():
    listed = {n for g in GROUPS for n in _names(g)}
    assert set(_all_figure_functions()) == listed, "add the new figure function to a group"


CASES = [(g, n) for g in GROUPS for n in _names(g)]


@pytest.mark.parametrize(("group", "name"), CASES, ids=[n for _, n in CASES])
def test_figure_text_is_readable(group, name):
    fig = group()[name]()
    sizes = plotting.text_sizes_px(fig)
    assert sizes, "a figure with no text at all"
    too_small = [(t, round(px, 1)) for t, px in sizes if px < plotting.MIN_TEXT_PX]
    assert not too_small, (
        f"text under {plotting.MIN_TEXT_PX} px on a {plotting.COLUMN_PX} px column"
    )
