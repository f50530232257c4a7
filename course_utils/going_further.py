"""The experiments of notebook 08: label smoothing, input noise, max-norm, ensembles and
Monte Carlo dropout on notebook 06's over-fitting digits problem, scored for accuracy
and calibration; input noise against L2 on a linear model; the figures.

The mechanisms themselves are in :mod:`course_utils.more_regularizers`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_utils import _validate, combined, layers, optim, plotting, training
from course_utils import losses as _losses
from course_utils import more_regularizers as M
from course_utils.mc_dropout import mc_dropout_predict

#: One setting per technique (not tuned in notebook 08).
LABEL_SMOOTHING = 0.1
NOISE_STDDEV = 0.3
MAX_NORM = 2.0
DROPOUT = 0.5
ENSEMBLE_SIZE = 5
MC_PASSES = 50
#: The draws of :func:`combined.make_problem` the comparison runs on.
DRAWS = (0, 1, 2, 3, 4)
#: The rows of the closing table, in order.
TECHNIQUES = (
    "none",
    f"label smoothing {LABEL_SMOOTHING:g}",
    f"input noise {NOISE_STDDEV:g}",
    f"max-norm {MAX_NORM:g}",
    f"dropout {DROPOUT:g}",
    f"MC dropout {DROPOUT:g}",
    f"ensemble of {ENSEMBLE_SIZE}",
)

__all__ = [
    "DRAWS",
    "TECHNIQUES",
    "Comparison",
    "compare",
    "format_table",
    "noisy_linear_fit",
    "reliability_figure",
    "train_mlp",
]


def train_mlp(
    problem: combined.Problem,
    *,
    seed: int = 0,
    label_smoothing: float = 0.0,
    noise: float = 0.0,
    max_norm: float | None = None,
    dropout: float | None = None,
    learning_rate: float = combined.LEARNING_RATE,
    epochs: int = combined.EPOCHS,
) -> layers.Sequential:
    """Notebook 06's network (64 -> 64 ReLU -> 10, Adam, batches of 50) with any of the
    four techniques, trained with the course's NumPy fit loop.

    Args:
        problem: From :func:`course_utils.combined.make_problem`.
        seed: Seed of the weights, the batches, the noise and the dropout masks.
        label_smoothing: ``a`` of :class:`~course_utils.more_regularizers.SmoothedCrossEntropy`.
        noise: Standard deviation of a GaussianNoise layer on the inputs (0: none).
        max_norm: Radius of the max-norm ball of every kernel's columns (None: none).
        dropout: Rate of a Dropout after the hidden layer (None: none).
        learning_rate: Adam's learning rate.
        epochs: Epochs, >= 1.
    """
    if not isinstance(problem, combined.Problem):
        raise TypeError(f"problem must be a combined.Problem, got {type(problem).__name__}")
    noise = _validate.number("noise", noise, low=0)
    model = layers.mlp(
        [problem.x_train.shape[1], combined.WIDTH, combined.N_CLASSES], dropout=dropout, seed=seed
    )
    if noise > 0:
        model = layers.Sequential([M.GaussianNoise(noise, seed=seed), *model.layers])
    optimizer = optim.Adam(learning_rate)
    if max_norm is not None:
        optimizer = M.MaxNormOptimizer(optimizer, max_norm)
    training.fit(
        model,
        problem.x_train,
        problem.y_train,
        loss=M.SmoothedCrossEntropy(label_smoothing),
        optimizer=optimizer,
        epochs=epochs,
        batch_size=combined.BATCH_SIZE,
        seed=seed,
    )
    return model


class Comparison(NamedTuple):
    """Test-set scores of every technique on every draw.

    Attributes:
        draws: The draws, in order.
        probs: ``{technique: [test probabilities (K, 10) per draw]}``.
        labels: ``[test labels per draw]``.
        logit_size: ``{technique: [mean over test digits of the largest |logit|]}``
            (NaN where a technique has no single set of logits).
        models: ``{technique: [model per draw]}`` (for the ensemble, its list of members).
    """

    draws: tuple
    probs: dict
    labels: list
    logit_size: dict
    models: dict

    def scores(self, metric: str) -> dict[str, np.ndarray]:
        """``{technique: per-draw values}`` of 'accuracy', 'ece', 'confidence' (mean
        largest probability) or 'logit_size'."""
        _validate.choice("metric", metric, {"accuracy", "ece", "confidence", "logit_size"})
        if metric == "logit_size":
            return {t: np.array(v) for t, v in self.logit_size.items()}
        out = {}
        for t, per_draw in self.probs.items():
            vals = []
            for p, y in zip(per_draw, self.labels, strict=True):
                if metric == "accuracy":
                    vals.append(np.mean(p.argmax(axis=1) == y))
                elif metric == "ece":
                    vals.append(M.expected_calibration_error(p, y))
                else:
                    vals.append(p.max(axis=1).mean())
            out[t] = np.array(vals)
        return out


def compare(draws=DRAWS, *, epochs: int = combined.EPOCHS) -> Comparison:
    """Train every technique of :data:`TECHNIQUES` on each draw of notebook 06's problem
    (150 digits, a fifth of the labels wrong), with the settings fixed above, and keep
    their test probabilities. Draw ``d`` seeds every run with ``d``; the ensemble's
    other members use seeds ``1000 * (k + 1) + d``, and its first member is the plain
    run itself. MC dropout is the dropout run with ``MC_PASSES`` passes averaged."""
    draws = tuple(_validate.integer("draw", d, low=0) for d in draws)
    if not draws:
        raise ValueError("draws must name at least one draw")
    probs = {t: [] for t in TECHNIQUES}
    logit_size = {t: [] for t in TECHNIQUES}
    models = {t: [] for t in TECHNIQUES}
    labels = []
    none, ls, noise, mn, do, mc, ens = TECHNIQUES
    for d in draws:
        p = combined.make_problem(seed=d)
        labels.append(p.y_test)
        runs = {
            none: train_mlp(p, seed=d, epochs=epochs),
            ls: train_mlp(p, seed=d, label_smoothing=LABEL_SMOOTHING, epochs=epochs),
            noise: train_mlp(p, seed=d, noise=NOISE_STDDEV, epochs=epochs),
            mn: train_mlp(p, seed=d, max_norm=MAX_NORM, epochs=epochs),
            do: train_mlp(p, seed=d, dropout=DROPOUT, epochs=epochs),
        }
        for t, m in runs.items():
            logits = m.predict(p.x_test)
            probs[t].append(_losses.softmax(logits))
            logit_size[t].append(np.abs(logits).max(axis=1).mean())
            models[t].append(m)
        passes = mc_dropout_predict(runs[do], p.x_test, MC_PASSES, seed=d)
        runs[do].predict(p.x_test[:1])  # drop the layers' caches of the 50 stacked passes
        probs[mc].append(
            _losses.softmax(passes.reshape(-1, passes.shape[-1])).reshape(passes.shape).mean(axis=0)
        )
        logit_size[mc].append(np.nan)
        models[mc].append(runs[do])
        members = [runs[none]] + [
            train_mlp(p, seed=1000 * (k + 1) + d, epochs=epochs) for k in range(ENSEMBLE_SIZE - 1)
        ]
        probs[ens].append(M.ensemble_probabilities(members, p.x_test))
        logit_size[ens].append(np.nan)
        models[ens].append(members)
    return Comparison(draws, probs, labels, logit_size, models)


def format_table(comparison: Comparison) -> str:
    """The closing table: mean ± standard deviation over the draws of the test accuracy
    and the ECE, and the paired change of each against no regularization."""
    acc, ece = comparison.scores("accuracy"), comparison.scores("ece")
    n = len(comparison.draws)
    lines = [
        f"{'technique':<20} {'test accuracy':>15} {'vs none':>15} {'ECE':>13} {'vs none':>15}",
        f"{'':<20} {'(mean ± sd over ' + str(n) + ' draws)':>63}",
    ]
    for t in comparison.probs:
        da, de = acc[t] - acc["none"], ece[t] - ece["none"]
        lines.append(
            f"{t:<20} {acc[t].mean():>8.3f} ± {acc[t].std():.3f} "
            f"{da.mean():>+8.3f} ± {da.std():.3f} "
            f"{ece[t].mean():>6.3f} ± {ece[t].std():.3f} {de.mean():>+8.3f} ± {de.std():.3f}"
        )
    return "\n".join(lines)


def reliability_figure(comparison: Comparison, technique: str = "none", n_bins: int = 10):
    """Reliability diagram of ``technique`` beside no regularization: in each bin of
    confidence, the accuracy against the mean confidence, test digits of every draw
    pooled; the diagonal is perfect calibration. The legend gives each ECE (pooled)."""
    import matplotlib.pyplot as plt

    _validate.choice("technique", technique, set(comparison.probs))
    n_bins = _validate.integer("n_bins", n_bins, low=2, high=50)
    labels = np.concatenate(comparison.labels)
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    plt.close(fig)
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls=":", label="perfect calibration")
    shown = ["none"] if technique == "none" else ["none", technique]
    for i, t in enumerate(shown):
        probs = np.concatenate(comparison.probs[t])
        r = M.reliability(probs, labels, n_bins)
        ece = M.expected_calibration_error(probs, labels, n_bins)
        full = r["count"] > 0
        style = plotting.model_style(i)
        ax.plot(
            r["confidence"][full],
            r["accuracy"][full],
            color=style["color"],
            marker=style["marker"],
            label=f"{t} (ECE {ece:.3f})",
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean confidence in the bin")
    ax.set_ylabel("accuracy in the bin")
    ax.set_title(f"Reliability, {n_bins} bins, test digits of {len(comparison.draws)} draws")
    ax.legend(loc="upper left")
    return fig


class _IterateAverage(training.Callback):
    """Averages the weights of the last epochs (from ``start`` on)."""

    def __init__(self, start: int):
        self.start, self.sums, self.count = start, None, 0

    def on_epoch_end(self, epoch, logs=None):
        if epoch < self.start:
            return
        weights = self.model.get_weights()
        self.sums = (
            weights
            if self.sums is None
            else [s + w for s, w in zip(self.sums, weights, strict=True)]
        )
        self.count += 1

    def average(self) -> list[np.ndarray]:
        return [s / self.count for s in self.sums]


def noisy_linear_fit(
    x, y, stddev: float, *, copies: int = 10, epochs: int = 300, learning_rate=0.1, seed=0
):
    """A linear model trained by full-batch SGD on the mean squared error with Gaussian
    noise on its inputs, fresh at every step: ``[GaussianNoise(stddev), Dense(D, 1)]``.

    Each step sees ``copies`` noisy copies of every row (a closer estimate of the loss
    averaged over the noise); the returned weights are the average of the last half of
    the epochs' weights, which removes most of the jitter the noise leaves in the last
    step.

    Returns:
        ``(w, b)``: weights ``(D,)`` and the bias.
    """
    x = _validate.array("x", x, ndim=2)
    y = _validate.array("y", y, ndim=1)
    copies = _validate.integer("copies", copies, low=1)
    epochs = _validate.integer("epochs", epochs, low=2)
    model = layers.Sequential(
        [M.GaussianNoise(stddev, seed=seed), layers.Dense(x.shape[1], 1, seed=seed)]
    )
    average = _IterateAverage(epochs // 2)
    training.fit(
        model,
        np.tile(x, (copies, 1)),
        np.tile(y, copies),
        loss="mse",
        optimizer=optim.SGD(learning_rate),
        epochs=epochs,
        batch_size=None,
        seed=seed,
        callbacks=[average],
    )
    w, b = average.average()
    return w[:, 0], float(b[0])
