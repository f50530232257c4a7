"""Co-adaptation measures (notebook 03): what removing hidden units does to the loss.

Removing unit ``j`` of a hidden layer (setting it to zero at inference, nothing
rescaled) takes away its *vote*, ``h_j * W[j]``, from the next Dense layer. With one
hidden layer the logits are exactly the sum of the votes plus a bias, so no unit changes
what another computes; what ties two units' removals together is only the curvature of
the loss (see :func:`curvature_interactions`).
"""

from __future__ import annotations

import numpy as np

from course_utils import _validate
from course_utils import layers as L
from course_utils import losses as _losses

_mean_cross_entropy = _losses.mean_cross_entropy  # the old name, which dropout_vs_l2 imports


def _hidden_layer_ends(model: L.Sequential) -> list[int]:
    """Index of the activation layer closing each hidden layer."""
    return [i for i, layer in enumerate(model.layers) if isinstance(layer, (L.ReLU, L.Tanh))]


def _check_model(model) -> L.Sequential:
    if not isinstance(model, L.Sequential):
        raise TypeError(f"model must be a course_utils Sequential, got {type(model).__name__}")
    if not _hidden_layer_ends(model):
        raise ValueError("model has no hidden layer (no ReLU or Tanh layer)")
    return model


def hidden_activations(model, x, *, layer: int = 0) -> np.ndarray:
    """Inference-mode output of hidden layer ``layer`` (0 = first): shape ``(N, H)``."""
    model = _check_model(model)
    ends = _hidden_layer_ends(model)
    layer = _validate.integer("layer", layer, low=0, high=len(ends) - 1)
    out = _validate.array("x", x, ndim=2)
    for la in model.layers[: ends[layer] + 1]:
        out = la.forward(out, training=False)
    return out


def unit_ablation(model, x, y, *, layer: int = 0) -> np.ndarray:
    """How much the loss rises when one hidden unit is removed, for every unit.

    Unit ``j`` of hidden layer ``layer`` is set to zero (inference mode, nothing
    rescaled) and the mean cross-entropy on ``(x, y)`` is measured again.

    Args:
        model: A trained course ``Sequential`` classifier.
        x: Inputs ``(N, D)``; y: labels ``(N,)``.
        layer: Which hidden layer (0 = first).

    Returns:
        Rise in loss for each unit ``(H,)`` (positive: the unit was needed).
    """
    model = _check_model(model)
    ends = _hidden_layer_ends(model)
    h = hidden_activations(model, x, layer=layer)
    head = model.layers[ends[layer] + 1 :]
    loss = _losses.SoftmaxCrossEntropy()

    def loss_from(hidden):
        out = hidden
        for la in head:
            out = la.forward(out, training=False)
        return loss(out, y)[0]

    base = loss_from(h)
    rises = np.empty(h.shape[1])
    for j in range(h.shape[1]):
        cut = h.copy()
        cut[:, j] = 0.0
        rises[j] = loss_from(cut) - base
    return rises


def pair_interactions(model, x, y, *, layer: int = 0) -> np.ndarray:
    """How much removing two hidden units together differs from removing each alone.

    With ``rise(S)`` the rise in mean cross-entropy on ``(x, y)`` when the hidden units
    in ``S`` are set to zero (inference mode, nothing rescaled, as in
    :func:`unit_ablation`), the interaction of units ``i`` and ``j`` is
    ``I[i, j] = rise({i, j}) - rise({i}) - rise({j})``. It is also how much more unit
    ``i`` costs once ``j`` is gone. Zero: the two act independently. Positive: they
    cover for each other. Negative: one is worth less once the other is gone.

    Args:
        model: A trained course ``Sequential`` classifier.
        x: Inputs ``(N, D)``; y: integer labels ``(N,)``.
        layer: Which hidden layer (0 = first).

    Returns:
        ``I`` of shape ``(H, H)``: symmetric, zero on the diagonal.
    """
    model = _check_model(model)
    ends = _hidden_layer_ends(model)
    h = hidden_activations(model, x, layer=layer)
    y = np.asarray(y)
    if y.shape != (len(h),) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be {len(h)} integer labels (shape ({len(h)},)), got {y.shape}")
    # Dropout is the identity at inference; the next Dense adds up one "vote" per unit.
    head = [la for la in model.layers[ends[layer] + 1 :] if not isinstance(la, L.Dropout)]
    if not head or not isinstance(head[0], L.Dense):
        raise ValueError("pair_interactions needs a Dense layer right after the hidden layer")
    dense, rest = head[0], head[1:]
    votes = h.T[:, :, None] * dense.params["W"][:, None, :]  # (H, N, units of dense)
    pre = dense.forward(h, training=False)  # (N, units): the sum of the votes, plus b

    def loss_of(pre_batch):  # (K, N, units) -> mean cross-entropy of each, (K,)
        out = pre_batch.reshape(-1, pre_batch.shape[-1])
        for la in rest:
            out = la.forward(out, training=False)
        return _losses.mean_cross_entropy(out.reshape(len(pre_batch), len(h), -1), y)

    base = loss_of(pre[None])[0]
    single = loss_of(pre - votes) - base
    n_units, chunk = len(single), 16  # 16 rows of I at a time: fast, and small in memory
    inter = np.empty((n_units, n_units))
    for i in range(0, n_units, chunk):
        both = pre - votes[i : i + chunk, None] - votes[None]  # (chunk, H, N, units)
        rows = loss_of(both.reshape(-1, *pre.shape)).reshape(len(both), n_units)
        inter[i : i + chunk] = rows - base - single[i : i + chunk, None] - single
    np.fill_diagonal(inter, 0.0)
    return (inter + inter.T) / 2  # equal up to rounding; make it exactly symmetric


def interaction_share(interactions, rises) -> float:
    """The share of the pairs' effect that single-unit removals do not explain.

    ``sum_{i<j} |I[i, j]| / sum_{i<j} (|rise_i| + |rise_j|)``: 0 when every pair acts as
    the sum of its two units. It is not scale-free: ``I`` is of second order in the
    votes and the rises mostly of first order, so the share grows with the size of the
    votes (scale a network's output weights down and it shrinks). Compare it only
    between networks of matched weight size (see ``dropout_vs_l2.l2_matched_control``).

    Args:
        interactions: ``(H, H)`` from :func:`pair_interactions`.
        rises: ``(H,)`` from :func:`unit_ablation`.
    """
    rises = np.abs(_validate.array("rises", rises, ndim=1))
    interactions = _validate.array("interactions", interactions, ndim=2)
    if interactions.shape != (len(rises), len(rises)):
        raise ValueError(
            f"interactions must have shape ({len(rises)}, {len(rises)}), got {interactions.shape}"
        )
    i, j = np.triu_indices(len(rises), k=1)
    return float(np.abs(interactions[i, j]).sum() / (rises[i] + rises[j]).sum())


def cancellation_ratio(model, x) -> float:
    """How much the last hidden layer's votes cancel each other out.

    For a two-class model with output ``logits = h @ W + b``, unit ``j`` adds
    ``h_j * (W[j, 1] - W[j, 0])`` to the margin between the classes. The ratio is
    ``sum_j |contribution_j| / |margin|``, the median over the inputs. Near 1, the
    units pull the same way; large, big opposing votes cancel, so each unit only makes
    sense together with the specific others that cancel it. Scaling the output weights
    and bias together leaves it unchanged. It can fall below 1 when the output bias
    carries much of the margin.

    Args:
        model: A course ``Sequential`` ending with ``Dense(H, 2)``.
        x: Inputs ``(N, D)``.
    """
    model = _check_model(model)
    last = model.layers[-1]
    if not isinstance(last, L.Dense) or last.units != 2:
        raise ValueError("cancellation_ratio needs a two-class model ending with Dense(H, 2)")
    ends = _hidden_layer_ends(model)
    h = hidden_activations(model, x, layer=len(ends) - 1)
    w = last.params["W"][:, 1] - last.params["W"][:, 0]
    b = last.params["b"][1] - last.params["b"][0]
    contributions = h * w
    margin = np.abs(contributions.sum(axis=1) + b)
    return float(np.median(np.abs(contributions).sum(axis=1) / np.maximum(margin, 1e-12)))


def curvature_interactions(model, x) -> np.ndarray:
    """Second-order approximation of :func:`pair_interactions` for a one-hidden-layer MLP.

    With logits ``z = b + sum_j v_j`` (``v_j = h_j * W[j]``, the vote of unit ``j``),
    removing units ``i`` and ``j`` subtracts ``v_i + v_j``. To second order in the
    votes, ``I[i, j] = mean_n v_i(n)^T C(n) v_j(n)`` with ``C = diag(p) - p p^T`` the
    curvature (Hessian) of the cross-entropy in the logits and ``p`` the softmax. For
    two classes that is ``mean_n p1 (1 - p1) a_i a_j`` with ``a_j`` the vote on the
    margin: positive when both push the same way, negative when they push apart. The
    labels do not enter.

    Args:
        model: A course ``Sequential``: Dense, activation, [Dropout], Dense.
        x: Inputs ``(N, D)``.

    Returns:
        ``(H, H)``: symmetric, zero on the diagonal.
    """
    model = _check_model(model)
    ends = _hidden_layer_ends(model)
    head = [la for la in model.layers[ends[0] + 1 :] if not isinstance(la, L.Dropout)]
    if len(ends) != 1 or len(head) != 1 or not isinstance(head[0], L.Dense):
        raise ValueError("curvature_interactions needs one hidden layer followed by one Dense")
    h = hidden_activations(model, x)
    w = head[0].params["W"]
    votes = h[:, :, None] * w[None]  # (N, H, K)
    z = h @ w + head[0].params["b"]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    n = len(h)
    weighted = np.einsum("nik,njk,nk->ij", votes, votes, p) / n
    along_p = np.einsum("nik,nk->ni", votes, p)  # v_i . p
    inter = weighted - along_p.T @ along_p / n
    np.fill_diagonal(inter, 0.0)
    return (inter + inter.T) / 2
