"""Every notebook's "Try it" widget, one test: its figure function is pure (the same
arguments draw the same pixels), and moving each control redraws a different figure.

Each case wires the controls the notebook uses to the same package figure function;
the browser tests move the sliders in the notebooks themselves.
"""

import functools

import ipywidgets
import numpy as np
import pytest

from course_utils import (
    augment_figures,
    bias_variance,
    combined,
    combined_figures,
    contest,
    going_further,
    l1_l2_figures,
    plotting,
)
from course_utils import double_descent as dd
from course_utils import dropout as D
from course_utils import dropout_figures as DF
from course_utils import early_stopping_study as study
from course_utils.widgets import interactive_figure


def _curve(n=40):
    t = np.arange(n)
    return 0.4 + 1.5 * np.exp(-t / 5) + 0.005 * t + 0.02 * np.sin(2.0 * t), 2 * np.exp(-t / 8)


@functools.cache
def _calibration():
    return going_further.compare(draws=(0,), epochs=5)


@functools.cache
def _comparison():
    p = combined.make_problem()
    techniques = [combined.TECHNIQUES[n] for n in ("none", "L2", "early stopping")]
    return contest.compare(p, techniques, seeds=(0, 1), epochs=15)


# notebook: (figure function, {control: widget}, [(control, new value), ...])
CASES = {
    "01 bias and variance": lambda: (
        bias_variance.polynomial_fit_figure,
        {
            "degree": ipywidgets.IntSlider(value=3, min=0, max=15),
            "n_train": ipywidgets.IntSlider(value=15, min=5, max=200, step=5),
        },
        [("degree", 12), ("n_train", 100)],
    ),
    "02 L1 and L2": lambda: (
        l1_l2_figures.penalty_figure,
        {
            "lam": ipywidgets.FloatLogSlider(value=0.01, base=10, min=-4, max=1, step=0.25),
            "penalty": ipywidgets.ToggleButtons(options=[("L2", "l2"), ("L1", "l1")]),
        },
        [("penalty", "l1"), ("lam", 1.0)],
    ),
    "03 dropout": lambda: (
        DF.dropout_figure,
        {
            "rate": ipywidgets.SelectionSlider(options=list(D.SWEEP_RATES), value=0.5),
            "draw": ipywidgets.IntSlider(value=1, min=1, max=20),
        },
        [("draw", 3), ("rate", 0.8)],
    ),
    "04 data augmentation": lambda: (
        augment_figures.augmentation_preview_figure,
        {
            "rotation": ipywidgets.FloatSlider(value=15, min=0, max=180),
            "zoom": ipywidgets.FloatSlider(value=0.1, min=0, max=0.5),
            "shift": ipywidgets.FloatSlider(value=1, min=0, max=3),
            "blur": ipywidgets.FloatSlider(value=0.5, min=0, max=2),
        },
        [("rotation", 120), ("zoom", 0.4), ("shift", 3), ("blur", 2)],
    ),
    "05 early stopping": lambda: (
        functools.partial(study.early_stopping_figure, _curve()[0], loss=_curve()[1]),
        {
            "patience": ipywidgets.IntSlider(value=3, min=0, max=30),
            "min_delta": ipywidgets.FloatSlider(value=0.0, min=0.0, max=0.05, step=0.005),
        },
        [("patience", 15), ("min_delta", 0.03)],
    ),
    "06 putting it together": lambda: (
        functools.partial(combined_figures.technique_figure, _comparison()),
        {
            "technique": ipywidgets.Dropdown(options=list(_comparison().runs), value="L2"),
            "metric": ipywidgets.ToggleButtons(options=["accuracy", "loss"]),
        },
        [("technique", "early stopping"), ("metric", "loss")],
    ),
    "07 double descent": lambda: (
        dd.try_it_figure,
        {
            "n_features": ipywidgets.SelectionSlider(options=list(dd.FEATURE_COUNTS), value=30),
            "noise": ipywidgets.SelectionSlider(options=[0.0, 0.5, 1.0, 2.0, 4.0], value=1.0),
        },
        [("n_features", 300), ("noise", 4.0)],
    ),
    "08 more regularizers": lambda: (
        functools.partial(going_further.reliability_figure, _calibration()),
        {
            "technique": ipywidgets.Dropdown(
                options=list(going_further.TECHNIQUES), value=going_further.TECHNIQUES[-1]
            ),
            "n_bins": ipywidgets.IntSlider(value=10, min=3, max=30),
        },
        [("technique", going_further.TECHNIQUES[1]), ("n_bins", 20)],
    ),
}


def _differ(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape != b.shape or bool(np.any(a != b))


@pytest.mark.parametrize("notebook", CASES)
def test_figure_is_pure_and_every_control_redraws_it(notebook):
    figure_fn, controls, moves = CASES[notebook]()
    values = {name: control.value for name, control in controls.items()}
    first = plotting.figure_to_array(figure_fn(**values))
    again = plotting.figure_to_array(figure_fn(**values))
    np.testing.assert_array_equal(first, again)  # same arguments, same picture
    widget = interactive_figure(figure_fn, **controls)
    assert widget.redraws == 1 and widget.values() == values
    np.testing.assert_array_equal(plotting.figure_to_array(widget.figure), first)
    assert {name for name, _ in moves} == set(controls), "every control must be moved"
    for step, (name, value) in enumerate(moves, start=1):
        before = plotting.figure_to_array(widget.figure)
        widget.controls[name].value = value
        assert widget.redraws == 1 + step, f"moving {name} did not redraw"
        assert widget.values()[name] == value
        assert _differ(before, plotting.figure_to_array(widget.figure)), (
            f"moving {name} to {value!r} drew the same figure"
        )
