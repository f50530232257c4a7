"""The figures of notebook 06: the problem, the contest's results, learning curves."""

from __future__ import annotations

import numpy as np

from course_utils import _validate, combined, contest, plotting
from course_utils.augment_figures import plot_digits

__all__ = ["comparison_figure", "gains_figure", "problem_figure", "technique_figure"]


def problem_figure(problem: combined.Problem, n: int = 30):
    """The first ``n`` training digits with the label the network is given; the wrong
    labels in red, with the true digit in brackets."""
    if not isinstance(problem, combined.Problem):
        raise TypeError(f"problem must be a Problem (see make_problem), got {type(problem)}")
    n = _validate.integer("n", n, low=1, high=len(problem.y_train))
    given, true, wrong = problem.y_train[:n], problem.y_train_clean[:n], problem.flipped[:n]
    titles = [f"{g} ({t})" if w else str(g) for g, t, w in zip(given, true, wrong, strict=True)]
    suptitle = (
        f"{n} of the {len(problem.y_train)} training digits with their given labels: "
        f"{int(wrong.sum())} wrong (red, true digit in brackets)"
    )
    # one picture for all the digits (fast to draw), as notebook 04's plot_digits
    fig = plot_digits(problem.images_train[:n], titles, ncols=15, size=0.62, suptitle=suptitle)
    for text, w in zip(fig.axes[0].texts, wrong, strict=True):
        if w:
            text.set_color("tab:red")
    return fig


def comparison_figure(comparison: contest.Comparison, *, ax=None):
    """Validation and test accuracy of every technique (bars, with the seeds as dots),
    and the share of wrong labels each network learned by heart."""
    import matplotlib.pyplot as plt

    if not isinstance(comparison, contest.Comparison):
        raise TypeError(f"comparison must be a Comparison, got {type(comparison).__name__}")
    names = list(comparison.mean)
    if ax is None:
        fig, (ax, ax2) = plt.subplots(
            1, 2, figsize=(10.0, 3.8), gridspec_kw={"width_ratios": [3, 1.4]}
        )
        plt.close(fig)
    else:
        fig, ax2 = ax.figure, None
    x = np.arange(len(names))
    for j, (key, label) in enumerate([("val_accuracy", "validation"), ("test_accuracy", "test")]):
        means = [100 * comparison.mean[n][key] for n in names]
        offset = (j - 0.5) * 0.38
        ax.bar(
            x + offset,
            means,
            width=0.36,
            color=plotting.colour(j),
            hatch=(None, "//")[j],  # told apart without colour too
            label=label,
            alpha=0.85,
        )
        for i, n in enumerate(names):
            dots = [100 * getattr(r, key) for r in comparison.runs[n]]
            ax.plot([x[i] + offset] * len(dots), dots, ".", color="black", markersize=4)
    base = 100 * comparison.mean[names[0]]["test_accuracy"]
    ax.axhline(base, color="0.4", linewidth=0.8, linestyle=":", label=f"{names[0]} (test)")
    lows = [
        100 * min(getattr(r, k) for r in rs)
        for rs in comparison.runs.values()
        for k in ("val_accuracy", "test_accuracy")
    ]
    ax.set_ylim(max(0, min(lows) - 5), 100)
    ax.set_xticks(x, names, rotation=20, ha="right")
    ax.set_ylabel("accuracy (%)")
    ax.set_title("Clean digits: higher is better", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", ncols=3)
    if ax2 is not None:
        mem = [100 * comparison.mean[n]["memorised"] for n in names]
        ax2.barh(x, mem, color=plotting.colour(3), alpha=0.85)
        ax2.set_yticks(x, names)
        ax2.invert_yaxis()
        ax2.set_xlim(0, 100)
        ax2.set_xlabel("wrong labels learned (%)")
        ax2.set_title("Noise memorised: lower is better", fontsize=10)
    return fig


def technique_figure(
    comparison: contest.Comparison, technique: str = "L2", metric: str = "accuracy"
):
    """Learning curves of one technique beside 'none' (first run): train solid,
    validation dashed; the test accuracy of the kept weights as a star (accuracy), or
    a dotted line at the epoch early stopping kept (loss).

    The pure figure function of the notebook's "Try it" widget.

    Args:
        comparison: From :func:`compare`.
        technique: A technique name in the comparison.
        metric: 'accuracy' or 'loss'.
    """
    if not isinstance(comparison, contest.Comparison):
        raise TypeError(f"comparison must be a Comparison, got {type(comparison).__name__}")
    _validate.choice("technique", technique, list(comparison.runs))
    _validate.choice("metric", metric, ("accuracy", "loss"))
    base = next(iter(comparison.runs))
    shown = [base] if technique == base else [base, technique]
    histories = {name: comparison.runs[name][0].history for name in shown}
    fig, ax = plotting._new_axes(figsize=(7.5, 4.0))
    plotting.plot_learning_curves(histories, metric, ax=ax)
    if metric == "accuracy":
        for i, name in enumerate(shown):
            run = comparison.runs[name][0]
            ax.plot(
                run.kept_epoch,
                run.test_accuracy,
                "*",
                color=plotting.colour(i),
                markersize=13,
                label=f"{name}: test {100 * run.test_accuracy:.1f}%",
            )
        ax.legend(fontsize=8, loc="lower right")
    else:
        ax.set_yscale("log")
        for i, name in enumerate(shown):
            run = comparison.runs[name][0]
            if run.kept_epoch < run.epochs_run:  # early stopping kept an earlier epoch
                ax.axvline(run.kept_epoch, color=plotting.colour(i), linestyle=":", linewidth=1)
    desc = comparison.runs[technique][0].technique.describe()
    # "early stopping (patience 10)" already names its technique: say it once
    ax.set_title(desc if desc.startswith(technique) else f"{technique}: {desc}", fontsize=10)
    return fig


def gains_figure(comparison: contest.Comparison, baseline: str = "none", *, ax=None):
    """Each technique's test accuracy minus the baseline's, draw by draw (one line per
    draw, grey) and on average (black bar)."""
    if not isinstance(comparison, contest.Comparison):
        raise TypeError(f"comparison must be a Comparison, got {type(comparison).__name__}")
    _validate.choice("baseline", baseline, list(comparison.runs))
    names = [n for n in comparison.runs if n != baseline]
    gains = np.array([100 * contest.paired(comparison, n, baseline).diffs for n in names])  # (T, D)
    fig, ax = plotting._new_axes(ax, figsize=(8.0, 3.6))
    x = np.arange(len(names))
    ax.bar(x, gains.mean(axis=1), width=0.6, color=plotting.colour(0), alpha=0.6, label="mean")
    for d in range(gains.shape[1]):
        ax.plot(
            x,
            gains[:, d],
            ".-",
            color="0.35",
            lw=0.6,
            ms=6,
            alpha=0.8,
            label="one draw" if d == 0 else None,
        )
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x, names, rotation=20, ha="right")
    ax.set_ylabel(f"test accuracy minus {baseline} (points)")
    ax.set_title(f"Gain over {baseline}, draw by draw (same data, same seed)", fontsize=10)
    ax.legend(fontsize=8)
    return fig
