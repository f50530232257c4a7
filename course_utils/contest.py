"""A fair contest between the techniques: one budget, several draws of the data (notebook 06).

Every technique of :mod:`course_utils.combined` gets the same number of candidate
settings (:data:`course_utils.combined.CANDIDATES`). Each candidate is trained on
several *draws* of the problem: draw ``d`` is :func:`combined.make_problem` with
``seed=d`` (a new split into training, validation and test digits, new wrong labels)
and a run seeded with ``d`` (new starting weights, batches, masks and augmentations).

* :func:`tune` trains every candidate on every draw and scores it on validation only;
* :func:`choose` keeps, for each technique, the candidate with the best mean
  validation accuracy over the draws;
* :func:`final` scores the kept candidates on the test set, once, in its own call;
* :func:`paired` compares two techniques draw by draw: the differences, their mean
  and sample standard deviation, and in how many draws each one won.

Early stopping needs no training of its own: it is the plain run, read at another
epoch. :func:`tune` replays each patience on the plain run's validation losses
(:func:`course_utils.early_stopping.replay`) and takes the weights of the epoch it
keeps from snapshots of that run; the result is the run ``combined.train`` would give
(the tests prove it).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from course_utils import _validate, combined, layers, plotting
from course_utils.early_stopping import EarlyStopping, WeightSnapshots, replay

#: The draws of the contest: each one a new split, new wrong labels and a new seed.
DRAWS = (0, 1, 2, 3, 4)

__all__ = [
    "DRAWS",
    "Grid",
    "Paired",
    "choice_table",
    "choose",
    "final",
    "gains_figure",
    "paired",
    "tune",
]


class Grid(NamedTuple):
    """Every candidate of every technique on every draw, scored on validation only.

    Attributes:
        problems: One :class:`combined.Problem` per draw.
        draws: The draws (seeds of the problems and of the runs).
        runs: ``{technique: [[Run per draw] per candidate]}``; ``test_accuracy`` is NaN
            (the test set is scored only by :func:`final`). ``"none"`` has one candidate.
        seconds: Wall-clock time of the whole grid.
    """

    problems: list
    draws: tuple
    runs: dict
    seconds: float

    def validation(self, name: str) -> np.ndarray:
        """Validation accuracies of technique ``name``: ``(candidates, draws)``."""
        _validate.choice("name", name, list(self.runs))
        return np.array([[r.val_accuracy for r in cand] for cand in self.runs[name]])


def _problems(draws):
    return [combined.make_problem(seed=d) for d in draws]


def _check_draws(draws) -> tuple:
    draws = tuple(_validate.integer("draw", d, low=0) for d in draws)
    if len(draws) < 2:
        raise ValueError(f"draws must hold at least 2 draws to show a spread, got {draws}")
    if len(set(draws)) != len(draws):
        raise ValueError(f"draws must be different, got {draws}")
    return draws


def _from_snapshot(plain: combined.Run, snapshots, technique, problem, width) -> combined.Run:
    """Early stopping with ``technique.patience``, replayed on a plain run."""
    stopper = EarlyStopping(
        monitor="val_loss", patience=technique.patience, restore_best_weights=True
    )
    rep = replay(stopper, plain.history["val_loss"])
    model = layers.mlp([problem.x_train.shape[1], width, combined.N_CLASSES], seed=plain.seed)
    model.set_weights(snapshots[rep.kept_epoch])
    predicted = np.argmax(model.predict(problem.x_train), axis=1)
    flipped = problem.flipped
    return combined.Run(
        technique=technique,
        seed=plain.seed,
        model=model,
        history={k: list(v[: rep.epochs_run]) for k, v in plain.history.items()},
        train_accuracy=float(np.mean(predicted == problem.y_train)),
        memorised=float(np.mean(predicted[flipped] == problem.y_train[flipped])),
        val_accuracy=combined._accuracy(model, problem.x_val, problem.y_val),
        test_accuracy=np.nan,
        epochs_run=rep.epochs_run,
        kept_epoch=rep.kept_epoch + 1,
        seconds=0.0,
    )


def _pure_early_stopping(t: combined.Technique) -> bool:
    plain = combined.Technique(t.name, early_stopping=True, patience=t.patience)
    return t == plain


def tune(
    names: Sequence[str] | None = None,
    *,
    draws: Sequence[int] = DRAWS,
    epochs: int = combined.EPOCHS,
    width: int = combined.WIDTH,
) -> Grid:
    """Train every candidate of every technique on every draw; score validation only.

    Args:
        names: Techniques (keys of :data:`combined.CANDIDATES`); all by default.
            ``"none"`` (no regularization) is always run: it is the baseline, and
            early stopping is replayed on it.
        draws: At least two different draws (seeds of the data and of the runs).
        epochs: Most epochs of every run, >= 1. width: Hidden units, >= 1.

    Returns:
        A :class:`Grid`.
    """
    if names is None:
        names = list(combined.CANDIDATES)
    names = [_validate.choice("technique", n, combined.CANDIDATES) for n in names]
    draws = _check_draws(draws)
    epochs = _validate.integer("epochs", epochs, low=1)
    width = _validate.integer("width", width, low=1)
    start = time.perf_counter()
    problems = _problems(draws)
    kw = {"epochs": epochs, "width": width, "score_test": False}
    runs: dict = {"none": [[]]}
    snaps = []
    for d, problem in zip(draws, problems, strict=True):
        snap = WeightSnapshots()
        runs["none"][0].append(
            combined.train(combined.Technique("none"), problem, seed=d, callbacks=[snap], **kw)
        )
        snaps.append(snap.weights)
    for name in names:
        runs[name] = []
        for technique in combined.candidates(name):
            if _pure_early_stopping(technique):
                row = [
                    _from_snapshot(plain, s, technique, p, width)
                    for plain, s, p in zip(runs["none"][0], snaps, problems, strict=True)
                ]
            else:
                row = [
                    combined.train(technique, p, seed=d, **kw)
                    for d, p in zip(draws, problems, strict=True)
                ]
            runs[name].append(row)
    return Grid(problems, draws, runs, time.perf_counter() - start)


def choose(grid: Grid) -> dict[str, int]:
    """For each technique, the index of the candidate with the best mean validation
    accuracy over the draws (the first one on a tie). The test set takes no part."""
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a Grid (see tune), got {type(grid).__name__}")
    return {name: int(np.argmax(grid.validation(name).mean(axis=1))) for name in grid.runs}


def choice_table(grid: Grid, choice: dict[str, int]) -> str:
    """Each technique's candidates with their mean ± sample std validation accuracy
    over the draws; the kept one marked with an arrow."""
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a Grid (see tune), got {type(grid).__name__}")
    lines = [f"validation accuracy in %, mean ± sample std over {len(grid.draws)} draws"]
    for name, cands in grid.runs.items():
        val = 100 * grid.validation(name)
        for k, row in enumerate(cands):
            mark = "<- kept" if choice.get(name) == k else ""
            lines.append(
                f"{name if k == 0 else '':<16}{row[0].technique.describe():<48}"
                f"{val[k].mean():5.1f} ± {val[k].std(ddof=1):3.1f}  {mark}".rstrip()
            )
    return "\n".join(lines)


def _scored(run: combined.Run, problem) -> combined.Run:
    test = combined._accuracy(run.model, problem.x_test, problem.y_test)
    return run._replace(test_accuracy=test)


def final(grid: Grid, choice: dict[str, int]) -> combined.Comparison:
    """The kept candidate of every technique, scored on the test set (once, here).

    Returns:
        A :class:`combined.Comparison` whose ``runs[name]`` holds one run per draw, and
        whose mean and std are over the draws.
    """
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a Grid (see tune), got {type(grid).__name__}")
    if set(choice) != set(grid.runs):
        raise ValueError(f"choice must name every technique of the grid: {list(grid.runs)}")
    start = time.perf_counter()
    runs = {
        name: [_scored(r, p) for r, p in zip(grid.runs[name][k], grid.problems, strict=True)]
        for name, k in choice.items()
    }
    metrics = combined.METRICS
    mean = {
        n: {m: float(np.mean([getattr(r, m) for r in rs])) for m in metrics}
        for n, rs in runs.items()
    }
    std = {
        n: {m: float(np.std([getattr(r, m) for r in rs], ddof=1)) for m in metrics}
        for n, rs in runs.items()
    }
    return combined.Comparison(runs, mean, std, time.perf_counter() - start)


class Paired(NamedTuple):
    """A minus B, draw by draw (same data, same seed for both).

    Attributes:
        a, b: The two technique names. metric: What is compared.
        diffs: ``(draws,)`` A's value minus B's, per draw.
        mean, std: Their mean and sample standard deviation.
        wins, losses: Draws where A is above B, and below it.
    """

    a: str
    b: str
    metric: str
    diffs: np.ndarray
    mean: float
    std: float
    wins: int
    losses: int

    def __str__(self) -> str:
        per = " ".join(f"{100 * x:+.1f}" for x in self.diffs)
        return (
            f"{self.a} - {self.b}: {100 * self.mean:+.1f} ± {100 * self.std:.1f} points "
            f"(draws: {per}; {self.a} ahead in {self.wins} of {len(self.diffs)})"
        )


def paired(
    comparison: combined.Comparison, a: str, b: str, metric: str = "test_accuracy"
) -> Paired:
    """Compare technique ``a`` with ``b`` draw by draw on ``metric``."""
    if not isinstance(comparison, combined.Comparison):
        raise TypeError(f"comparison must be a Comparison, got {type(comparison).__name__}")
    _validate.choice("a", a, list(comparison.runs))
    _validate.choice("b", b, list(comparison.runs))
    _validate.choice("metric", metric, combined.METRICS)
    runs_a, runs_b = comparison.runs[a], comparison.runs[b]
    if [r.seed for r in runs_a] != [r.seed for r in runs_b]:
        raise ValueError(f"{a} and {b} were not run on the same draws")
    diffs = np.array(
        [getattr(x, metric) - getattr(y, metric) for x, y in zip(runs_a, runs_b, strict=True)]
    )
    return Paired(
        a,
        b,
        metric,
        diffs,
        float(diffs.mean()),
        float(diffs.std(ddof=1)) if len(diffs) > 1 else 0.0,
        int(np.sum(diffs > 0)),
        int(np.sum(diffs < 0)),
    )


def gains_figure(comparison: combined.Comparison, baseline: str = "none", *, ax=None):
    """Each technique's test accuracy minus the baseline's, draw by draw (one line per
    draw, grey) and on average (black bar)."""
    if not isinstance(comparison, combined.Comparison):
        raise TypeError(f"comparison must be a Comparison, got {type(comparison).__name__}")
    _validate.choice("baseline", baseline, list(comparison.runs))
    names = [n for n in comparison.runs if n != baseline]
    gains = np.array([100 * paired(comparison, n, baseline).diffs for n in names])  # (T, D)
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
