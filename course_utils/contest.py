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
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from course_utils import _validate, combined, layers
from course_utils.augment_training import shared_copies
from course_utils.early_stopping import EarlyStopping, WeightSnapshots, replay

#: The draws of the contest: each one a new split, new wrong labels and a new seed.
DRAWS = (0, 1, 2, 3, 4)
#: Seeds of :func:`compare` (weights, shuffling, dropout masks, augmentations).
SEEDS = (0, 1, 2)
#: What every run measures, as attributes of :class:`combined.Run`.
METRICS = ("train_accuracy", "memorised", "val_accuracy", "test_accuracy", "epochs_run")

__all__ = [
    "DRAWS",
    "METRICS",
    "SEEDS",
    "Comparison",
    "Grid",
    "Paired",
    "choice_table",
    "choose",
    "compare",
    "final",
    "format_table",
    "paired",
    "tune",
]


class Comparison(NamedTuple):
    """Every technique over every seed.

    Attributes:
        runs: ``{technique name: [Run per seed]}``.
        mean: ``{technique name: {metric: mean over seeds}}`` for :data:`METRICS`.
        std: The same, sample standard deviations over seeds (ddof = 1; 0 for one seed).
        seconds: Total wall-clock time.
    """

    runs: dict
    mean: dict
    std: dict
    seconds: float

    def ranking(self, metric: str = "test_accuracy") -> list[str]:
        """Technique names, best first, by the mean of ``metric``."""
        _validate.choice("metric", metric, METRICS)
        return sorted(self.mean, key=lambda name: -self.mean[name][metric])


def _summary(runs: dict, start: float) -> Comparison:
    """The :class:`Comparison` of ``{name: [Run, ...]}``, timed from ``start``."""

    def spread(values):
        return float(np.std(values, ddof=1 if len(values) > 1 else 0))

    mean = {
        n: {m: float(np.mean([getattr(r, m) for r in rs])) for m in METRICS}
        for n, rs in runs.items()
    }
    std = {n: {m: spread([getattr(r, m) for r in rs]) for m in METRICS} for n, rs in runs.items()}
    return Comparison(runs, mean, std, time.perf_counter() - start)


def compare(
    problem: combined.Problem,
    techniques: Mapping[str, combined.Technique] | Sequence[combined.Technique] | None = None,
    *,
    seeds: Sequence[int] = SEEDS,
    **train_kwargs,
) -> Comparison:
    """Train every technique with every seed and average what was measured.

    Args:
        problem: From :func:`combined.make_problem`.
        techniques: Techniques to run (a dict or a list); :data:`combined.TECHNIQUES`
            by default.
        seeds: One run per seed, at least one.
        **train_kwargs: Passed to :func:`combined.train` (epochs, width, ...).

    Returns:
        A :class:`Comparison`.
    """
    if techniques is None:
        techniques = combined.TECHNIQUES
    items = list(techniques.values() if isinstance(techniques, Mapping) else techniques)
    if not items or not all(isinstance(t, combined.Technique) for t in items):
        raise TypeError("techniques must be a non-empty dict or list of Technique objects")
    names = [t.name for t in items]
    if len(set(names)) != len(names):
        raise ValueError(f"technique names must be unique, got {names}")
    seeds = [_validate.integer("seed", s, low=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    start = time.perf_counter()
    runs = {
        t.name: [combined.train(t, problem, seed=s, **train_kwargs) for s in seeds] for t in items
    }
    return _summary(runs, start)


def format_table(comparison: Comparison, over: str = "seeds") -> str:
    """The results as a fixed-width text table, one row per technique.

    Accuracies in percent, mean ± sample standard deviation over the runs of each
    technique (``over`` names them in the header: 'seeds', or 'draws' for a contest).
    """
    if not isinstance(comparison, Comparison):
        raise TypeError(f"comparison must be a Comparison, got {type(comparison).__name__}")
    n = len(next(iter(comparison.runs.values())))
    head = (
        f"{'technique':<16}{'train acc':>12}{'memorised':>12}"
        f"{'validation':>15}{'test':>15}{'epochs':>8}"
    )
    lines = [f"accuracy in %, mean ± sample std over {n} {over}", head, "-" * len(head)]
    for name, m in comparison.mean.items():
        s = comparison.std[name]

        def pct(key, width, m=m, s=s):
            return f"{100 * m[key]:.1f} ± {100 * s[key]:.1f}".rjust(width)

        lines.append(
            f"{name:<16}{100 * m['train_accuracy']:>11.1f} {100 * m['memorised']:>11.1f} "
            f"{pct('val_accuracy', 15)}{pct('test_accuracy', 15)}{m['epochs_run']:>8.0f}"
        )
    return "\n".join(lines)


class Grid(NamedTuple):
    """Every candidate of every technique on every draw, scored on validation only.

    Attributes:
        problems: One :class:`combined.Problem` per draw.
        draws: The draws (seeds of the problems and of the runs).
        runs: ``{technique: [[Run per draw] per candidate]}``; ``test_accuracy`` is NaN
            (the test set is scored only by :func:`final`). ``"none"`` has one candidate.
            Learning curves are recorded on every draw for ``"none"``, and on the first
            draw only for the others (what early stopping watches is always recorded).
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
        val_accuracy=combined.accuracy(model, problem.x_val, problem.y_val),
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
    with shared_copies():  # augmentation x1 and the combination: the same copies, made once
        runs, problems = _train_grid(names, draws, epochs, width)
    return Grid(problems, draws, runs, time.perf_counter() - start)


def _train_grid(names, draws, epochs: int, width: int) -> tuple[dict, list]:
    """:func:`tune`'s runs, ``{technique: [[Run per draw] per candidate]}``, and problems."""
    problems = _problems(draws)
    kw = {"epochs": epochs, "width": width, "score_test": False}
    runs: dict = {"none": [[]]}
    snaps = []
    for d, problem in zip(draws, problems, strict=True):  # the baseline: every curve
        snap = WeightSnapshots()
        runs["none"][0].append(
            combined.train(combined.Technique("none"), problem, seed=d, callbacks=[snap], **kw)
        )
        snaps.append(snap.weights)
    first = draws[0]  # the others' curves are not drawn: skip them
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
                    combined.train(technique, p, seed=d, curves=d == first, **kw)
                    for d, p in zip(draws, problems, strict=True)
                ]
            runs[name].append(row)
    return runs, problems


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
    test = combined.accuracy(run.model, problem.x_test, problem.y_test)
    return run._replace(test_accuracy=test)


def final(grid: Grid, choice: dict[str, int]) -> Comparison:
    """The kept candidate of every technique, scored on the test set (once, here).

    Returns:
        A :class:`Comparison` whose ``runs[name]`` holds one run per draw, and
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
    return _summary(runs, start)


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


def paired(comparison: Comparison, a: str, b: str, metric: str = "test_accuracy") -> Paired:
    """Compare technique ``a`` with ``b`` draw by draw on ``metric``."""
    if not isinstance(comparison, Comparison):
        raise TypeError(f"comparison must be a Comparison, got {type(comparison).__name__}")
    _validate.choice("a", a, list(comparison.runs))
    _validate.choice("b", b, list(comparison.runs))
    _validate.choice("metric", metric, METRICS)
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
