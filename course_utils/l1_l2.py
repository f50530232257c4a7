"""L1 and L2 regularization from scratch (notebook 02).

The penalties here use the textbook forms, with lambda written ``lam``:

* L2 (ridge, Tikhonov): ``lam / 2 * sum(w**2)``, gradient ``lam * w``;
* L1 (LASSO): ``lam * sum(|w|)``, subgradient ``lam * sign(w)``.

Keras's ``keras.regularizers.L2(l2)`` (and :class:`course_utils.regularizers.L2`) adds
``l2 * sum(w**2)`` with no 1/2, so the textbook L2 with ``lam`` is ``L2(lam / 2)``:
see :func:`keras_l2_argument`.

The fits are linear models ``X @ w + b`` with the mean squared error as data loss. The
bias ``b`` is never penalized. All functions are pure: same arguments, same numbers,
same figure.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course_utils import _validate, datasets, layers, optim, training
from course_utils import regularizers as _regularizers
from course_utils.regularizers import soft_threshold

PENALTIES = ("l1", "l2")
L1_METHODS = ("proximal", "accelerated", "subgradient")
DEGREE = 12
#: The seed of the curve data used in notebook 02 (its "Try it" figure uses it too).
CURVE_SEED = 1
#: Standard deviation of the label noise of :func:`curve_data`: no model beats an MSE
#: of ``CURVE_NOISE**2`` on average.
CURVE_NOISE = 0.3
#: Accelerated proximal steps of the "Try it" figure's L1 fits: enough to converge for
#: ``lam >= 1e-4`` on the curve's strongly correlated powers of x (smaller lambdas need
#: far more).
FIGURE_L1_STEPS = 10_000

__all__ = [
    "CURVE_NOISE",
    "CURVE_SEED",
    "DEGREE",
    "FIGURE_L1_STEPS",
    "L1_METHODS",
    "PENALTIES",
    "CurveData",
    "KernelNormHistory",
    "curve_data",
    "fit_l1",
    "fit_penalized",
    "fit_ridge",
    "keras_l2_argument",
    "kernel_norm",
    "l1_penalty",
    "l1_subgradient",
    "l2_gradient",
    "l2_penalty",
    "lambda_choice_over_draws",
    "lambda_sweep",
    "mse",
    "penalty",
    "penalty_figure",
    "penalty_gradient",
    "plot_mse_curves",
    "plot_regularization_path",
    "plot_weight_bars",
    "predict_linear",
    "regularization_path",
    "report_test_mse",
    "soft_threshold",
    "sparsity_over_draws",
    "threshold_on_validation",
    "train_curve_model",
]


# --- penalties ----------------------------------------------------------------------


def _lam(lam) -> float:
    return _validate.number("lam", lam, low=0)


def l2_penalty(w, lam: float) -> float:
    """Textbook L2 penalty ``lam / 2 * sum(w**2)``, i.e. ``lam / 2 * ||w||_F**2``.

    Args:
        w: Weights, any shape (a matrix ``(D, H)`` or a vector ``(D,)``).
        lam: Strength lambda, >= 0.
    """
    lam = _lam(lam)
    w = _validate.array("w", w)
    return lam / 2.0 * float(np.sum(w**2))


def l2_gradient(w, lam: float) -> np.ndarray:
    """Gradient of :func:`l2_penalty`: ``lam * w`` (the 2 of the square cancels the 1/2)."""
    lam = _lam(lam)
    return lam * _validate.array("w", w)


def l1_penalty(w, lam: float) -> float:
    """Textbook L1 penalty ``lam * sum(|w|)``.

    Args:
        w: Weights, any shape.
        lam: Strength lambda, >= 0.
    """
    lam = _lam(lam)
    w = _validate.array("w", w)
    return lam * float(np.sum(np.abs(w)))


def l1_subgradient(w, lam: float) -> np.ndarray:
    """A subgradient of :func:`l1_penalty`: ``lam * sign(w)`` (0 where ``w`` is exactly 0)."""
    lam = _lam(lam)
    return lam * np.sign(_validate.array("w", w))


def penalty(w, lam: float, kind: str = "l2") -> float:
    """The textbook penalty ``kind`` ('l1' or 'l2') of ``w`` with strength ``lam``."""
    _validate.choice("kind", kind, PENALTIES)
    return l1_penalty(w, lam) if kind == "l1" else l2_penalty(w, lam)


def penalty_gradient(w, lam: float, kind: str = "l2") -> np.ndarray:
    """The (sub)gradient of :func:`penalty` with respect to ``w``."""
    _validate.choice("kind", kind, PENALTIES)
    return l1_subgradient(w, lam) if kind == "l1" else l2_gradient(w, lam)


def keras_l2_argument(lam: float) -> float:
    """The ``l2`` to give ``keras.regularizers.L2`` for the textbook ``lam / 2 * sum(w**2)``.

    Keras adds ``l2 * sum(w**2)`` (no 1/2), so the answer is ``lam / 2``.
    """
    return _lam(lam) / 2.0


# --- linear fits ----------------------------------------------------------------------


def _xy(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = _validate.array("X", X, ndim=2)
    y = _validate.array("y", y, ndim=1)
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same number of rows, got {len(X)} and {len(y)}")
    if len(X) == 0:
        raise ValueError("X and y must have at least one row")
    return X, y


def predict_linear(X, w, b: float = 0.0) -> np.ndarray:
    """``X @ w + b``. Shapes: ``X: (N, D)``, ``w: (D,)``, result ``(N,)``."""
    X = _validate.array("X", X, ndim=2)
    w = _validate.array("w", w, ndim=1)
    if X.shape[1] != len(w):
        raise ValueError(f"X has {X.shape[1]} columns but w has {len(w)} entries")
    return X @ w + _validate.number("b", b)


def mse(pred, target) -> float:
    """Mean squared error between two arrays of the same shape."""
    pred = np.asarray(pred, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if pred.shape != target.shape:
        raise ValueError(f"pred {pred.shape} and target {target.shape} must have the same shape")
    return float(np.mean((pred - target) ** 2))


def fit_ridge(X, y, lam: float) -> tuple[np.ndarray, float]:
    """Closed-form minimiser of ``mean((X @ w + b - y)**2) + lam / 2 * sum(w**2)``.

    The bias is not penalized: centre ``X`` and ``y``, solve
    ``(Xc.T @ Xc + N * lam / 2 * I) w = Xc.T @ yc``, then ``b = mean(y) - mean(X) @ w``.
    With ``lam = 0`` this is ordinary least squares (the minimum-norm solution when
    there are more columns than rows).

    Args:
        X: Inputs ``(N, D)``.
        y: Targets ``(N,)``.
        lam: Strength lambda, >= 0.

    Returns:
        ``(w, b)``: weights ``(D,)`` and the bias (a float).
    """
    X, y = _xy(X, y)
    lam = _lam(lam)
    x_mean, y_mean = X.mean(axis=0), y.mean()
    Xc, yc = X - x_mean, y - y_mean
    if lam == 0:
        w = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    else:
        w = np.linalg.solve(Xc.T @ Xc + len(y) * lam / 2.0 * np.eye(X.shape[1]), Xc.T @ yc)
    return w, float(y_mean - x_mean @ w)


def _lipschitz(X) -> float:
    """Lipschitz constant of the MSE gradient in (w, b): ``2 / N * ||[X, 1]||_2**2``."""
    Xa = np.c_[X, np.ones(len(X))]
    return 2.0 / len(X) * float(np.linalg.norm(Xa, 2) ** 2)


def fit_l1(
    X,
    y,
    lam: float,
    *,
    method: str = "proximal",
    steps: int = 500,
    learning_rate: float | None = None,
    w0=None,
    b0: float = 0.0,
    return_path: bool = False,
):
    """Minimise ``mean((X @ w + b - y)**2) + lam * sum(|w|)`` by gradient steps.

    Methods:

    * 'subgradient': ``w -= lr * (grad + lam * sign(w))``. Weights that should be 0
      hop across 0 from step to step and are almost never exactly 0.
    * 'proximal' (ISTA): a gradient step on the MSE, then
      ``soft_threshold(w, lr * lam)``, which sets small weights to exactly 0.
    * 'accelerated' (FISTA): ISTA with Nesterov momentum; same answer, fewer steps.

    The bias always takes a plain gradient step: it is not penalized.

    Args:
        X: Inputs ``(N, D)``.
        y: Targets ``(N,)``.
        lam: Strength lambda, >= 0.
        method: 'proximal', 'accelerated' or 'subgradient'.
        steps: Number of steps, >= 1.
        learning_rate: Step size; None uses ``1 / L``, with ``L`` the Lipschitz constant
            of the MSE gradient (a step that never overshoots).
        w0: Starting weights ``(D,)``; zeros by default (warm starts for paths).
        b0: Starting bias.
        return_path: Also return the weights after every step.

    Returns:
        ``(w, b)``, or ``(w, b, path)`` with ``path: (steps, D)`` when ``return_path``.
    """
    X, y = _xy(X, y)
    lam = _lam(lam)
    _validate.choice("method", method, L1_METHODS)
    steps = _validate.integer("steps", steps, low=1)
    n, d = X.shape
    if learning_rate is None:
        lr = 1.0 / _lipschitz(X)
    else:
        lr = _validate.number("learning_rate", learning_rate, low=0, low_open=True)
    if w0 is None:
        w = np.zeros(d)
    else:
        w = _validate.array("w0", w0, ndim=1).copy()
        if len(w) != d:
            raise ValueError(f"w0 must have {d} entries (one per column of X), got {len(w)}")
    b = _validate.number("b0", b0)
    path = np.empty((steps, d)) if return_path else None
    zw, zb, t = w.copy(), b, 1.0  # the look-ahead point of FISTA
    for k in range(steps):
        r = X @ zw + zb - y if method == "accelerated" else X @ w + b - y
        grad_w = 2.0 / n * (X.T @ r)
        grad_b = 2.0 / n * float(r.sum())
        if method == "subgradient":
            w = w - lr * (grad_w + lam * np.sign(w))
            b = b - lr * grad_b
        elif method == "proximal":
            w = soft_threshold(w - lr * grad_w, lr * lam)
            b = b - lr * grad_b
        else:
            w_new = soft_threshold(zw - lr * grad_w, lr * lam)
            b_new = zb - lr * grad_b
            t_new = (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
            zw = w_new + (t - 1.0) / t_new * (w_new - w)
            zb = b_new + (t - 1.0) / t_new * (b_new - b)
            w, b, t = w_new, b_new, t_new
        if path is not None:
            path[k] = w
    if return_path:
        return w, float(b), path
    return w, float(b)


def fit_penalized(X, y, lam: float, penalty: str = "l2", *, steps: int = 3000):
    """Fit ``X @ w + b`` with the textbook L1 or L2 penalty; returns ``(w, b)``.

    L2 uses the closed form (:func:`fit_ridge`); L1 uses accelerated proximal steps
    (:func:`fit_l1` with ``method='accelerated'``), which give exact zeros.
    """
    _validate.choice("penalty", penalty, PENALTIES)
    if penalty == "l2":
        return fit_ridge(X, y, lam)
    return fit_l1(X, y, lam, method="accelerated", steps=steps)


def regularization_path(X, y, lams, penalty: str = "l1", *, steps: int = 100) -> np.ndarray:
    """The fitted weights for each lambda in ``lams``: an array ``(len(lams), D)``.

    L2 uses the closed form. L1 uses accelerated proximal steps, each fit warm-started
    from the previous lambda's weights, so sort ``lams`` (either order works).
    """
    X, y = _xy(X, y)
    _validate.choice("penalty", penalty, PENALTIES)
    lams = _validate.array("lams", lams, ndim=1)
    if len(lams) == 0:
        raise ValueError("lams must hold at least one lambda")
    for lam in lams:
        _lam(float(lam))
    out = np.empty((len(lams), X.shape[1]))
    w, b = None, 0.0
    for i, lam in enumerate(lams):
        if penalty == "l2":
            out[i] = fit_ridge(X, y, lam)[0]
        else:
            w, b = fit_l1(X, y, lam, method="accelerated", steps=steps, w0=w, b0=b)
            out[i] = w
    return out


class CurveData(NamedTuple):
    """The noisy 1-D curve of notebook 02, split three ways, with polynomial features.

    ``x*``/``y*`` are ``(n,)``; ``X*`` are ``(n, degree)`` columns ``x**1 .. x**degree``.
    """

    x: np.ndarray
    y: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    X: np.ndarray
    X_val: np.ndarray
    X_test: np.ndarray
    degree: int


def curve_data(
    seed: int = CURVE_SEED,
    *,
    n_train: int = 20,
    n_val: int = 100,
    n_test: int = 200,
    noise: float = CURVE_NOISE,
    degree: int = DEGREE,
) -> CurveData:
    """Training, validation and test points of :func:`datasets.make_regression_1d`.

    All three sets are drawn, in that order, from one generator seeded with ``seed``.
    """
    degree = _validate.integer("degree", degree, low=1, high=20)
    rng = np.random.default_rng(_validate.integer("seed", seed, low=0))
    x, y = datasets.make_regression_1d(n_train, noise, rng)
    x_val, y_val = datasets.make_regression_1d(n_val, noise, rng)
    x_test, y_test = datasets.make_regression_1d(n_test, noise, rng)

    def feats(v):
        return datasets.polynomial_features(v, degree)

    return CurveData(
        x, y, x_val, y_val, x_test, y_test, feats(x), feats(x_val), feats(x_test), degree
    )


def lambda_sweep(data: CurveData, lams, penalty: str = "l2") -> dict[str, np.ndarray]:
    """Training and validation MSE for each lambda, on a :class:`CurveData`.

    The test points are not touched: score the chosen lambda once, afterwards, with
    :func:`report_test_mse`.

    Returns:
        ``{'lam', 'train', 'val', 'norm'}``, arrays with one entry per lambda
        (``norm`` is the L2 norm of the fitted weights).
    """
    if not isinstance(data, CurveData):
        raise TypeError(f"data must be a CurveData (see curve_data), got {type(data).__name__}")
    lams = _validate.array("lams", lams, ndim=1)
    out = {k: np.empty(len(lams)) for k in ("train", "val", "norm")}
    for i, lam in enumerate(lams):
        w, b = fit_penalized(data.X, data.y, float(lam), penalty)
        out["train"][i] = mse(predict_linear(data.X, w, b), data.y)
        out["val"][i] = mse(predict_linear(data.X_val, w, b), data.y_val)
        out["norm"][i] = float(np.linalg.norm(w))
    out["lam"] = lams
    return out


def report_test_mse(data: CurveData, lam: float, penalty: str = "l2") -> float:
    """The test MSE of the fit for one lambda: call it once, for the lambda you chose.

    The fit is :func:`fit_penalized` on the training points, as in :func:`lambda_sweep`.
    """
    if not isinstance(data, CurveData):
        raise TypeError(f"data must be a CurveData (see curve_data), got {type(data).__name__}")
    w, b = fit_penalized(data.X, data.y, _lam(lam), penalty)
    return mse(predict_linear(data.X_test, w, b), data.y_test)


def lambda_choice_over_draws(seeds, lams, *, factor: float = 30.0) -> dict[str, np.ndarray]:
    """Choose lambda on validation for many draws of the curve; score rules on test.

    For each seed, :func:`curve_data` draws fresh training, validation and test points;
    :func:`lambda_sweep` (L2, closed form) picks the lambda with the lowest validation MSE.
    Four rules are then scored once each on that draw's test points: the chosen lambda,
    no penalty, ``factor`` times stronger and ``factor`` times weaker. The test points
    choose nothing here: they compare fixed rules, so the comparison is paired by draw.

    Args:
        seeds: Seeds of the draws, ints >= 0.
        lams: Candidate lambdas ``(L,)`` for the sweep, all >= 0.
        factor: How much stronger and weaker the two alternatives are, > 1.

    Returns:
        ``{'chosen', 'val', 'test'}``: the chosen lambda ``(S,)``, its validation MSE
        ``(S,)``, and ``test``, a dict ``{rule: (S,)}`` of test MSEs for the rules
        ``'chosen'``, ``'none'``, ``'stronger'`` and ``'weaker'``.
    """
    seeds = [_validate.integer("seed", s, low=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    lams = _validate.array("lams", lams, ndim=1)
    factor = _validate.number("factor", factor, low=1, low_open=True)
    chosen, val = np.empty(len(seeds)), np.empty(len(seeds))
    test = {rule: np.empty(len(seeds)) for rule in ("chosen", "none", "stronger", "weaker")}
    for i, seed in enumerate(seeds):
        data = curve_data(seed)
        sweep = lambda_sweep(data, lams, "l2")
        best = int(np.argmin(sweep["val"]))
        chosen[i], val[i] = float(lams[best]), sweep["val"][best]
        rules = {
            "chosen": chosen[i],
            "none": 0.0,
            "stronger": factor * chosen[i],
            "weaker": chosen[i] / factor,
        }
        for rule, lam in rules.items():
            test[rule][i] = report_test_mse(data, lam)
    return {"chosen": chosen, "val": val, "test": test}


def sparsity_over_draws(
    seeds, lam: float, *, steps: int = 500, learning_rate: float = 0.1, **problem
) -> dict[str, np.ndarray]:
    """Zeros of L1 (proximal) and L2 (closed form) fits over many draws of a sparse problem.

    Each seed draws :func:`datasets.make_sparse_linear` (``problem`` passes its
    arguments, such as ``n_samples``); both penalties use the same ``lam``.

    Returns:
        ``{'l1_zeros', 'l1_kept', 'l2_zeros', 'irrelevant', 'relevant'}``, arrays ``(S,)``:
        irrelevant weights L1 set exactly to 0, relevant weights L1 kept non-zero, weights
        L2 set exactly to 0, and how many irrelevant and relevant features each draw has.
    """
    seeds = [_validate.integer("seed", s, low=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    lam = _lam(lam)
    out = {k: np.empty(len(seeds), int) for k in ("l1_zeros", "l1_kept", "l2_zeros")}
    out["irrelevant"] = np.empty(len(seeds), int)
    out["relevant"] = np.empty(len(seeds), int)
    for i, seed in enumerate(seeds):
        X, y, coef = datasets.make_sparse_linear(seed=seed, **problem)
        relevant = coef != 0
        w1, _ = fit_l1(X, y, lam, method="proximal", steps=steps, learning_rate=learning_rate)
        w2, _ = fit_ridge(X, y, lam)
        out["l1_zeros"][i] = int(np.sum(w1[~relevant] == 0))
        out["l1_kept"][i] = int(np.sum(w1[relevant] != 0))
        out["l2_zeros"][i] = int(np.sum(w2 == 0))
        out["irrelevant"][i], out["relevant"][i] = int(np.sum(~relevant)), int(np.sum(relevant))
    return out


def threshold_on_validation(w, b: float, X_val, y_val, thresholds) -> dict:
    """Choose the threshold below which weights are set to 0, on validation data.

    Every candidate sets the weights with ``|w| < threshold`` to 0 and is scored by its
    validation MSE. The rule: the **largest** threshold (the sparsest model) whose
    validation MSE is within one standard error of the best candidate's (the standard
    error of that mean of squared errors over the validation points).

    Args:
        w: Weights ``(D,)`` (say, from Keras's L1, which leaves tiny non-zero values).
        b: The bias.
        X_val: Validation inputs ``(M, D)``.
        y_val: Validation targets ``(M,)``, M >= 2.
        thresholds: Candidates ``(T,)``, all >= 0.

    Returns:
        ``{'threshold', 'val', 'zeros', 'best', 'se'}``: the chosen threshold, the
        validation MSE ``(T,)`` and the number of zeros ``(T,)`` of each candidate, the
        index of the lowest validation MSE and its standard error.
    """
    w = _validate.array("w", w, ndim=1)
    b = _validate.number("b", b)
    X_val, y_val = _xy(X_val, y_val)
    if len(y_val) < 2:
        raise ValueError("y_val needs at least 2 points for a standard error")
    thresholds = _validate.array("thresholds", thresholds, ndim=1)
    if len(thresholds) == 0 or np.any(thresholds < 0):
        raise ValueError("thresholds must hold at least one value, all >= 0")
    sq = [
        (predict_linear(X_val, np.where(np.abs(w) < t, 0.0, w), b) - y_val) ** 2 for t in thresholds
    ]
    val = np.array([float(e.mean()) for e in sq])
    best = int(np.argmin(val))
    se = float(sq[best].std(ddof=1) / np.sqrt(len(y_val)))
    ok = np.nonzero(val <= val[best] + se)[0]
    chosen = int(ok[np.argmax(thresholds[ok])])
    zeros = np.array([int(np.sum(np.abs(w) < t)) for t in thresholds])
    return {
        "threshold": float(thresholds[chosen]),
        "val": val,
        "zeros": zeros,
        "best": best,
        "se": se,
    }


# --- the NumPy network on the curve ---------------------------------------------------


def kernel_norm(model: layers.Sequential) -> float:
    """Frobenius norm of all Dense kernels together: ``sqrt(sum of every W**2)``."""
    if not isinstance(model, layers.Sequential):
        raise TypeError(f"model must be a course_utils Sequential, got {type(model).__name__}")
    total = sum(
        float(np.sum(layer.params["W"] ** 2))
        for layer in model.layers
        if isinstance(layer, layers.Dense)
    )
    return float(np.sqrt(total))


class KernelNormHistory(training.Callback):
    """Records, after every epoch, the kernel norm and the MSE without the penalty.

    Args:
        x, y: Training inputs ``(N, D)`` and targets ``(N,)``.
        x_val, y_val: Optional validation inputs and targets.

    Attributes:
        norms: :func:`kernel_norm` before training (entry 0), then after every epoch
            (entry ``e`` after epoch ``e``), so ``epochs + 1`` values.
        history: ``{'mse': [...], 'val_mse': [...]}`` (the data loss only, no penalty),
            ready for :func:`course_utils.plotting.plot_learning_curves` with
            ``metric='mse'``.
    """

    def __init__(self, x, y, x_val=None, y_val=None):
        self.x, self.y = _xy(x, y)
        self.x_val = self.y_val = None
        if x_val is not None or y_val is not None:
            self.x_val, self.y_val = _xy(x_val, y_val)
        self.norms: list[float] = []
        self.history: dict[str, list[float]] = {}

    def on_train_begin(self, logs=None):
        self.norms = [kernel_norm(self.model)]
        self.history = {"mse": []}
        if self.x_val is not None:
            self.history["val_mse"] = []

    def on_epoch_end(self, epoch, logs=None):
        self.norms.append(kernel_norm(self.model))
        self.history["mse"].append(mse(self.model.predict(self.x)[:, 0], self.y))
        if self.x_val is not None:
            self.history["val_mse"].append(mse(self.model.predict(self.x_val)[:, 0], self.y_val))


def train_curve_model(
    data: CurveData,
    lam: float,
    *,
    penalty: str = "l2",
    epochs: int = 1500,
    learning_rate: float = 0.05,
    seed: int = 0,
):
    """Train the curve's network (one Dense layer on the polynomial features) with Adam.

    The penalty is the textbook one: L2 as ``regularizers.L2(lam / 2)``, L1 as
    ``regularizers.L1(lam)``, on the kernel only. Full-batch steps, one per epoch.

    Returns:
        ``(model, recorder)``: the trained model and its :class:`KernelNormHistory`.
    """
    if not isinstance(data, CurveData):
        raise TypeError(f"data must be a CurveData (see curve_data), got {type(data).__name__}")
    lam = _lam(lam)
    _validate.choice("penalty", penalty, PENALTIES)
    if lam == 0:
        reg = None
    elif penalty == "l2":
        reg = _regularizers.L2(keras_l2_argument(lam))
    else:
        reg = _regularizers.L1(lam)
    model = layers.mlp([data.degree, 1], kernel_regularizer=reg, seed=seed)
    recorder = KernelNormHistory(data.X, data.y, data.X_val, data.y_val)
    training.fit(
        model,
        data.X,
        data.y,
        loss="mse",
        optimizer=optim.Adam(learning_rate),
        epochs=epochs,
        callbacks=[recorder],
        seed=seed,
    )
    return model, recorder


# --- figures --------------------------------------------------------------------------


def plot_regularization_path(lams, path, relevant=None, *, ax=None, title=None):
    """Each weight against lambda (log x axis); relevant weights in colour, others grey.

    Args:
        lams: Lambdas ``(L,)``, all > 0.
        path: Weights ``(L, D)`` from :func:`regularization_path`.
        relevant: Optional boolean mask ``(D,)`` of the truly useful weights.
    """
    from course_utils.plotting import _new_axes, colour

    lams = _validate.array("lams", lams, ndim=1)
    path = _validate.array("path", path, ndim=2)
    if len(path) != len(lams):
        raise ValueError(f"path has {len(path)} rows but there are {len(lams)} lambdas")
    if np.any(lams <= 0):
        raise ValueError("lams must all be > 0 for a log axis")
    relevant = np.zeros(path.shape[1], bool) if relevant is None else np.asarray(relevant, bool)
    if relevant.shape != (path.shape[1],):
        raise ValueError(
            f"relevant must be a mask of shape ({path.shape[1]},), one entry per weight, "
            f"got shape {relevant.shape}"
        )
    fig, ax = _new_axes(ax)
    k = 0
    for j in range(path.shape[1]):
        if relevant[j]:
            ax.plot(lams, path[:, j], color=colour(k), linewidth=2)
            k += 1
        else:
            ax.plot(lams, path[:, j], color="0.6", linewidth=0.8)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xscale("log")
    ax.set_xlabel("lambda")
    ax.set_ylabel("weight")
    if title:
        ax.set_title(title)
    return fig


def _draw_weight_bars(ax, w, relevant, labels=None, *, colour_of_relevant=None):
    """Bars of the weights ``w`` on ``ax``; exact zeros marked by an open circle on 0."""
    from course_utils.plotting import SMALL_FONT, colour

    idx = np.arange(len(w))
    colours = [(colour_of_relevant or colour(0)) if relevant[j] else "0.55" for j in range(len(w))]
    ax.bar(idx, w, width=0.75, color=colours)
    zero = w == 0
    if np.any(zero):
        ax.plot(idx[zero], w[zero], "o", mfc="none", mec="black", ms=5, label="exactly 0")
    ax.axhline(0, color="black", linewidth=0.6)
    if labels is not None:
        ax.set_xticks(idx, labels, fontsize=SMALL_FONT)
    return int(np.sum(zero))


def plot_weight_bars(weights: dict, relevant=None, *, title=None):
    """One panel per weight vector: a bar per weight, exact zeros marked with a circle.

    Args:
        weights: ``{name: w}`` with ``w`` of shape ``(D,)``, all the same ``D``.
        relevant: Optional boolean mask ``(D,)``: these bars are coloured, the others grey.
        title: Optional title over all panels.

    Returns:
        A matplotlib Figure; each panel's title says how many weights are exactly 0.
    """
    import matplotlib.pyplot as plt

    from course_utils.plotting import colour

    if not isinstance(weights, dict) or not weights:
        raise TypeError("weights must be a non-empty dict {name: array}")
    arrays = {name: _validate.array(name, w, ndim=1) for name, w in weights.items()}
    sizes = {w.size for w in arrays.values()}
    if len(sizes) != 1:
        raise ValueError(f"every weight vector must have the same length, got {sorted(sizes)}")
    d = sizes.pop()
    relevant = np.zeros(d, bool) if relevant is None else np.asarray(relevant, bool)
    if relevant.shape != (d,):
        raise ValueError(
            f"relevant must be a mask of shape ({d},), one entry per weight, "
            f"got shape {relevant.shape}"
        )
    n = len(arrays)
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n, 3.4), sharey=True, squeeze=False)
    plt.close(fig)
    for i, (ax, (name, w)) in enumerate(zip(axes[0], arrays.items(), strict=True)):
        zeros = _draw_weight_bars(ax, w, relevant, colour_of_relevant=colour(i))
        ax.set_title(f"{name}: {zeros} of {d} exactly 0")
        ax.set_xlabel("feature")
    axes[0, 0].set_ylabel("weight")
    if title:
        fig.suptitle(title)
    return fig


def plot_mse_curves(histories: dict, *, noise: float | None = CURVE_NOISE, title=None):
    """Training (solid) and validation (dashed) MSE per epoch, log scale, legend outside.

    Args:
        histories: ``{name: KernelNormHistory}`` (anything with ``mse``/``val_mse``).
        noise: Label noise of the data; a grey line marks the noise floor ``noise**2``.
            None draws no line.
        title: Optional title.

    Returns:
        A matplotlib Figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    from course_utils.plotting import plot_learning_curves

    fig, ax = plt.subplots(figsize=(9.5, 4.0))
    plt.close(fig)
    plot_learning_curves(histories, metric="mse", ax=ax, log_y=True, title=title)
    if noise is not None:
        noise = _validate.number("noise", noise, low=0, low_open=True)
        ax.axhline(noise**2, color="0.5", linewidth=1, linestyle=":", label="noise floor")
    # the data term alone, so runs with different penalties are compared on the same scale
    ax.set_ylabel("MSE of the fit (penalty term not added)")
    lo, hi = ax.get_ylim()
    ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50) if lo <= t <= hi]
    ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def penalty_figure(lam: float = 1e-2, penalty: str = "l2", *, seed: int = CURVE_SEED):
    """The "Try it" figure: the curve fitted with an L1 or L2 penalty, and its weights.

    Left: the training points, the true curve and the fit. Right: one bar per power of
    x (the weight of ``x**k``), exact zeros marked with a circle. The fit is
    :func:`fit_penalized` on :func:`curve_data` (degree :data:`DEGREE`; L1 takes
    :data:`FIGURE_L1_STEPS` accelerated steps, which converge for ``lam >= 1e-4``), so a
    redraw takes a fraction of a second.

    Args:
        lam: Strength lambda, >= 0.
        penalty: 'l1' or 'l2'.
        seed: Seed of the data.

    Returns:
        A matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    from course_utils.plotting import colour, plot_fit_1d

    lam = _lam(lam)
    _validate.choice("penalty", penalty, PENALTIES)
    data = curve_data(seed)
    w, b = fit_penalized(data.X, data.y, lam, penalty, steps=FIGURE_L1_STEPS)
    grid = np.linspace(-1, 1, 300)
    y_grid = predict_linear(datasets.polynomial_features(grid, data.degree), w, b)
    train = mse(predict_linear(data.X, w, b), data.y)
    val = mse(predict_linear(data.X_val, w, b), data.y_val)
    fig, (ax_fit, ax_w) = plt.subplots(1, 2, figsize=(10, 3.8), layout="tight")
    plt.close(fig)
    name = penalty.upper()
    plot_fit_1d(
        data.x,
        data.y,
        {f"{name}, lambda={lam:.2g}": (grid, y_grid)},
        truth=(grid, datasets.true_function_1d(grid)),
        ax=ax_fit,
        title=f"train MSE {train:.3f}, validation MSE {val:.3f}",
    )
    powers = [f"$x^{{{k}}}$" for k in range(1, data.degree + 1)]
    zeros = _draw_weight_bars(
        ax_w,
        w,
        np.ones(data.degree, bool),
        powers,
        colour_of_relevant=colour(0 if penalty == "l2" else 1),
    )
    ax_w.set_xlabel("weight of each power of x")
    ax_w.set_ylabel("weight")
    ax_w.set_title(
        f"{data.degree} weights: {zeros} exactly 0, L2 norm {np.linalg.norm(w):.3g}, "
        f"largest |w| {np.max(np.abs(w)):.3g}",
        fontsize=9,
    )
    return fig
