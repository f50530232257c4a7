"""Notebook 06: weight decay in the optimizers (against Keras, step for step), the
weight-decay/L2 equivalence under SGD and its failure under Adam, and the comparison
module's runs, table, figures and widget."""

import numpy as np
import pytest

from course_utils import (
    augment_training,
    combined,
    combined_figures,
    contest,
    early_stopping,
    layers,
    optim,
    regularizers,
    training,
    weight_decay,
)

# --------------------------------------------------------------------- optimizers


def _keras_pair(ours, theirs, *, exclude_bias: bool, steps: int = 6, seed: int = 0):
    """Run our optimizer and Keras's on the same gradients; return the max |difference|."""
    import keras

    rng = np.random.default_rng(seed)
    w0, b0 = rng.standard_normal((3, 2)), rng.standard_normal(2)
    w, b = w0.copy(), b0.copy()
    kernel = keras.Variable(w0.astype(np.float32), name="kernel")
    bias = keras.Variable(b0.astype(np.float32), name="bias")
    if exclude_bias:
        ours.exclude_from_weight_decay([b])
        theirs.exclude_from_weight_decay(var_names=["bias"])
    for _ in range(steps):
        gw, gb = rng.standard_normal((3, 2)), rng.standard_normal(2)
        ours.step([w, b], [gw, gb])
        theirs.apply_gradients(
            [
                (keras.ops.convert_to_tensor(gw.astype(np.float32)), kernel),
                (keras.ops.convert_to_tensor(gb.astype(np.float32)), bias),
            ]
        )
    return max(np.abs(w - np.asarray(kernel)).max(), np.abs(b - np.asarray(bias)).max())


@pytest.mark.parametrize("exclude_bias", [False, True])
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (
            lambda: optim.SGD(0.1, weight_decay=0.3),
            lambda k: k.optimizers.SGD(0.1, weight_decay=0.3),
        ),
        (
            lambda: optim.SGD(0.1, 0.9, weight_decay=0.3),
            lambda k: k.optimizers.SGD(0.1, momentum=0.9, weight_decay=0.3),
        ),
        (
            lambda: optim.Adam(0.01, weight_decay=0.3),
            lambda k: k.optimizers.Adam(0.01, weight_decay=0.3),
        ),
        (lambda: optim.AdamW(0.01), lambda k: k.optimizers.AdamW(0.01)),
        (
            lambda: optim.AdamW(0.02, weight_decay=0.5, beta_1=0.8),
            lambda k: k.optimizers.AdamW(0.02, weight_decay=0.5, beta_1=0.8),
        ),
    ],
)
def test_weight_decay_matches_keras_step_for_step(ours, theirs, exclude_bias):
    import keras

    assert _keras_pair(ours(), theirs(keras), exclude_bias=exclude_bias) < 1e-5


@pytest.mark.parametrize(
    "make",
    [
        lambda wd: optim.SGD(0.1, weight_decay=wd),
        lambda wd: optim.SGD(0.1, 0.9, weight_decay=wd),
        lambda wd: optim.Adam(0.01, weight_decay=wd),
    ],
)
def test_no_or_zero_weight_decay_changes_nothing(make):
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal((4, 3))
    grads = [rng.standard_normal((4, 3)) for _ in range(5)]
    results = []
    for wd in (None, 0, 0.0):
        w = w0.copy()
        opt = make(wd)
        for g in grads:
            opt.step([w], [g])
        results.append(w)
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


def test_decay_order_and_exclusion():
    w, b = np.ones((2, 2)), np.ones(2)
    opt = optim.SGD(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay([b])
    assert not opt.uses_weight_decay(b) and opt.uses_weight_decay(w)
    opt.step([w, b], [np.ones((2, 2)), np.zeros(2)])
    # decay first on the old weights (1 - 0.1 * 0.5), then the gradient step (- 0.1 * 1)
    np.testing.assert_allclose(w, 0.95 - 0.1)
    np.testing.assert_array_equal(b, 1.0)  # excluded and no gradient: untouched
    # a weight with no gradient under AdamW shrinks by exactly (1 - lr * wd) per step
    x = np.ones(3)
    adamw = optim.AdamW(0.01, weight_decay=0.2)
    for _ in range(50):
        adamw.step([x], [np.zeros(3)])
    np.testing.assert_allclose(x, (1 - 0.01 * 0.2) ** 50, rtol=1e-12)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: optim.SGD(0.1, weight_decay=-1),
            ValueError,
            r"weight_decay must be in \[0, inf\]",
        ),
        (lambda: optim.Adam(weight_decay="a"), TypeError, "weight_decay must be a number"),
        (lambda: optim.AdamW(weight_decay=None), ValueError, "weight_decay must be a number"),
        (
            lambda: optim.SGD(0.1, weight_decay=0.1).exclude_from_weight_decay("bias"),
            TypeError,
            "var_list must be a list of the model's numpy arrays",
        ),
    ],
)
def test_weight_decay_arguments_are_checked(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_exclusion_only_before_the_first_step():
    opt = optim.Adam(0.01, weight_decay=0.1)
    w = np.ones(2)
    opt.step([w], [np.ones(2)])
    with pytest.raises(ValueError, match="before the first step"):
        opt.exclude_from_weight_decay([w])
    opt.reset()
    opt.exclude_from_weight_decay([w])  # allowed again after reset()


# ------------------------------------------------------ weight decay versus L2


def test_sgd_weight_decay_equals_l2_one_step_and_many_steps():
    rng = np.random.default_rng(0)
    w, g = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    for lr, l2 in [(0.1, 0.01), (0.5, 0.2), (1e-3, 3.0)]:
        a = weight_decay.sgd_l2_step(w, g, lr, l2)
        b = weight_decay.sgd_decay_step(w, g, lr, 2 * l2)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-14)
    assert weight_decay.equivalent_l2(0.02) == 0.01
    # many steps, a whole network through the fit loop: identical to rounding
    problem = combined.make_problem()
    runs = weight_decay.decay_vs_l2_runs(problem, weight_decay=0.05, steps=60)
    for a, b in zip(
        runs["sgd_l2"]["model"].get_weights(), runs["sgd_decay"]["model"].get_weights(), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(runs["sgd_l2"]["norms"], runs["sgd_decay"]["norms"], atol=1e-12)
    # with Adam they part
    gap = max(
        float(np.abs(a - b).max())
        for a, b in zip(
            runs["adam_l2"]["model"].get_weights(),
            runs["adamw"]["model"].get_weights(),
            strict=True,
        )
    )
    assert gap > 0.1


def test_no_l2_strength_reproduces_adamw_but_one_reproduces_sgd_decay():
    problem = combined.make_problem()
    sgd = weight_decay.rescaling_search(problem, "sgd", factors=(0, 0.5, 1.0, 2.0), steps=30)
    adam = weight_decay.rescaling_search(problem, "adam", factors=(0, 0.1, 1.0, 10.0), steps=30)
    assert sgd[1.0] < 1e-12 and min(sgd[0], sgd[0.5], sgd[2.0]) > 1e-3
    # under Adam, every L2 strength lands further from AdamW than no penalty at all (c = 0)
    assert min(adam[c] for c in (0.1, 1.0, 10.0)) > 0.1 > 2 * adam[0] > 0


def test_adam_toy_idle_weight_ignores_the_strength():
    small = weight_decay.adam_l2_vs_decay_toy(1e-4)
    large = weight_decay.adam_l2_vs_decay_toy(1e-2)
    assert small["adam_l2"].shape == (101, 2)
    assert (
        abs(small["adam_l2"][-1, 0] - large["adam_l2"][-1, 0])
        < 0.01
        < 0.5
        < 1 - small["adam_l2"][-1, 0]
    )
    assert small["adamw"][-1, 0] == pytest.approx((1 - 0.01 * 2e-4) ** 100, abs=1e-12)


def test_step_functions_check_their_arguments():
    with pytest.raises(ValueError, match="w and g must have the same shape"):
        weight_decay.sgd_l2_step(np.zeros(3), np.zeros(4), 0.1, 0.1)
    with pytest.raises(ValueError, match="learning_rate must be in"):
        weight_decay.sgd_decay_step(np.zeros(3), np.zeros(3), 0.0, 0.1)
    with pytest.raises(ValueError, match="weight_decay must be in"):
        weight_decay.equivalent_l2(-1)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        weight_decay.rescaling_search(combined.make_problem(), "rmsprop")
    with pytest.raises(ValueError, match="factor must be"):
        weight_decay.rescaling_search(combined.make_problem(), "adam", factors=(1.0, -0.5))


# ---------------------------------------------------------------- the comparison


def test_problem_is_small_noisy_and_repeatable():
    p = combined.make_problem()
    assert p.x_train.shape == (150, 64) and p.images_train.shape == (150, 8, 8)
    assert p.flipped.sum() == 30
    assert np.all(p.y_train[p.flipped] != p.y_train_clean[p.flipped])
    assert np.all(p.y_train[~p.flipped] == p.y_train_clean[~p.flipped])
    assert len(p.y_val) == 300 and len(p.y_test) == 1797 - 450
    q = combined.make_problem()
    np.testing.assert_array_equal(p.y_train, q.y_train)
    assert combined.blank_pixels(p).sum() == 8


@pytest.mark.parametrize("seed", [0, 4])
def test_a_draw_splits_the_digits_into_three_disjoint_sets(seed):
    """Training, validation and test of one draw hold every shipped digit exactly once."""
    from course_utils import datasets

    p = combined.make_problem(seed=seed)
    images, _ = datasets.load_digits()
    parts = np.concatenate([p.x_train, p.x_val, p.x_test])
    every = images.reshape(len(images), -1)
    assert len(np.unique(every, axis=0)) == len(every)  # no image is shipped twice ...
    # ... so the three sets hold 1,797 different rows between them: none shared
    np.testing.assert_array_equal(np.unique(parts, axis=0), np.unique(every, axis=0))
    assert len(parts) == len(every)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: combined.make_problem(n_train=5), "n_train must be an int in"),
        (lambda: combined.make_problem(flip=1.0), r"flip must be in \[0, 1\)"),
        (lambda: combined.Technique("x", dropout=1.0), r"dropout must be in \[0, 1\)"),
        (lambda: combined.Technique("x", l2=-1), "l2 must be in"),
        (lambda: combined.Technique("x", augment="yes"), "augment must be True or False"),
        (lambda: combined.Technique(""), "name must be a non-empty string"),
        (lambda: combined.candidates("ridge"), "name must be one of"),
        (lambda: combined.train("L2", combined.make_problem()), "technique must be a Technique"),
        (lambda: contest.compare(combined.make_problem(), []), "non-empty"),
    ],
)
def test_bad_arguments_are_rejected(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_train_with_every_part_on_and_repeatable(monkeypatch):

    augmenters, stop_checks = [], []
    real_augmenter = combined.make_augmenter
    real_check = early_stopping.EarlyStopping.on_epoch_end

    def counting_augmenter(*args, **kwargs):
        augmenters.append(args)
        return real_augmenter(*args, **kwargs)

    def counting_check(self, epoch, logs=None):
        stop_checks.append(epoch)
        return real_check(self, epoch, logs)

    monkeypatch.setattr(combined, "make_augmenter", counting_augmenter)
    monkeypatch.setattr(early_stopping.EarlyStopping, "on_epoch_end", counting_check)
    p = combined.make_problem()
    t = combined.Technique(
        "all", l2=0.003, l1=0.001, dropout=0.5, augment=True, early_stopping=True, patience=2
    )
    a = combined.train(t, p, epochs=12, seed=3)
    assert [type(la).__name__ for la in a.model.layers] == ["Dense", "ReLU", "Dropout", "Dense"]
    assert a.model.layers[2].rate == 0.5
    reg = a.model.layers[0].kernel_regularizer
    assert isinstance(reg, regularizers.L1L2) and (reg.l1, reg.l2) == (0.001, 0.003)
    assert augmenters, "augment=True must build an augmenter"
    assert stop_checks == list(range(a.epochs_run)), "early stopping must see every epoch"
    b = combined.train(t, p, epochs=12, seed=3)
    for x, y in zip(a.model.get_weights(), b.model.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)
    assert set(a.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert 1 <= a.kept_epoch <= a.epochs_run <= 12


@pytest.mark.parametrize("decay", [None, 0.3])
def test_train_fast_path_equals_the_plain_fit_loop(decay):
    """train's flat Adam and unchecked cross-entropy give optim.Adam's and the checked
    loss's numbers to the last bit, on a fit and on one hand-made augmented epoch."""
    from course_utils import losses

    p = combined.make_problem()
    run = combined.train(
        combined.Technique("t", dropout=0.5, weight_decay=decay), p, epochs=4, seed=2
    )
    model = layers.mlp([64, combined.WIDTH, 10], dropout=0.5, seed=2)
    opt = optim.Adam(combined.LEARNING_RATE, weight_decay=decay)
    if decay:
        opt.exclude_from_weight_decay(combined.biases(model))
    h = training.fit(
        model,
        p.x_train,
        p.y_train,
        loss="cross_entropy",
        optimizer=opt,
        epochs=4,
        batch_size=combined.BATCH_SIZE,
        validation_data=(p.x_val, p.y_val),
        seed=2,
    ).history
    assert h == run.history
    for x, y in zip(run.model.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)
    out = model.forward(p.x_val)
    ours, theirs = combined._CrossEntropy()(out, p.y_val), losses.get("cross_entropy")(out, p.y_val)
    assert ours[0] == theirs[0]
    np.testing.assert_array_equal(ours[1], theirs[1])


def test_shared_copies_are_made_once_and_equal_one_augmenter_call_per_epoch():
    images = combined.make_problem().images_train
    one_by_one = combined.make_augmenter(4, 1.0)
    with augment_training.shared_copies():
        a = augment_training.recorded_copies(combined.make_augmenter(4, 1.0), images)
        b = augment_training.recorded_copies(combined.make_augmenter(4, 1.0), images)
        other = augment_training.recorded_copies(combined.make_augmenter(5, 1.0), images)
    outside = augment_training.recorded_copies(combined.make_augmenter(4, 1.0), images)
    assert a is b and other is not a and outside is not a
    for epoch in range(12):
        expected = one_by_one(images).reshape(len(images), -1)
        np.testing.assert_array_equal(a(epoch), expected)
        np.testing.assert_array_equal(b(epoch), expected)
        np.testing.assert_array_equal(outside(epoch), expected)
        assert not np.array_equal(other(epoch), expected)


@pytest.mark.parametrize(
    "technique",
    [
        combined.Technique("plain"),
        combined.Technique("es", early_stopping=True, patience=3),
        combined.Technique("all", augment=True, early_stopping=True, patience=3, l2=0.003),
    ],
    ids=lambda t: t.name,
)
def test_train_without_curves_gives_the_same_run(technique):
    p = combined.make_problem()
    full = combined.train(technique, p, epochs=12, seed=1)
    quick = combined.train(technique, p, epochs=12, seed=1, curves=False)
    for x, y in zip(full.model.get_weights(), quick.model.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)
    assert full._replace(model=None, history=None, seconds=0) == quick._replace(
        model=None, history=None, seconds=0
    )
    assert set(full.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    watched = {"plain": set(), "es": {"val_loss", "val_accuracy"}, "all": set()}
    assert set(quick.history) == watched[technique.name]


def test_early_stopping_watches_the_data_loss_when_a_penalty_is_present():
    """With L2, val_loss includes the penalty; early stopping must watch the cross-entropy
    alone (notebook 05), and keep the epoch where that was lowest."""
    from course_utils import losses

    p = combined.make_problem()
    seen = []

    class Record(training.Callback):
        def on_epoch_end(self, epoch, logs=None):
            ce = losses.get("cross_entropy")(self.model.forward(p.x_val, training=False), p.y_val)
            seen.append((logs["val_loss"], logs["val_data_loss"], ce[0], self.model.penalty()))

    t = combined.Technique("l2 + es", l2=0.01, early_stopping=True, patience=3)
    run = combined.train(t, p, epochs=25, callbacks=[Record()])
    val_loss, data_loss, ce, penalty = map(np.array, zip(*seen, strict=True))
    np.testing.assert_allclose(data_loss, ce, rtol=0, atol=1e-12)  # the data loss alone
    np.testing.assert_allclose(val_loss - data_loss, penalty, rtol=1e-9)
    assert penalty.min() > 0.05  # a penalty large enough to matter
    assert run.kept_epoch == int(np.argmin(data_loss)) + 1
    assert "val_data_loss" not in run.history  # the History keeps Keras's four keys
    # without a penalty, val_loss is the data loss and is watched as before
    plain = combined.train(combined.Technique("es", early_stopping=True, patience=3), p, epochs=25)
    assert plain.kept_epoch == int(np.argmin(plain.history["val_loss"])) + 1
    with pytest.raises(ValueError, match="as many rows"):
        early_stopping.ValDataLoss(p.x_val, p.y_val[:3])


def test_weight_decay_technique_excludes_biases(monkeypatch):
    seen = []
    real = optim.Optimizer.exclude_from_weight_decay

    def spy(self, var_list):
        seen.append((self, list(var_list)))
        return real(self, var_list)

    monkeypatch.setattr(optim.Optimizer, "exclude_from_weight_decay", spy)
    run = combined.train(
        combined.Technique("wd", weight_decay=0.1), combined.make_problem(), epochs=2
    )
    assert run.technique.describe() == "weight decay 0.1" and run.epochs_run == 2
    ((opt, excluded),) = seen
    assert [id(b) for b in excluded] == [id(b) for b in combined.biases(run.model)]
    dense = [la for la in run.model.layers if isinstance(la, layers.Dense)]
    assert all(opt.uses_weight_decay(la.params["W"]) for la in dense)
    assert not any(opt.uses_weight_decay(la.params["b"]) for la in dense)


@pytest.fixture(scope="module")
def small_comparison():
    p = combined.make_problem()
    techniques = [combined.TECHNIQUES[n] for n in ("none", "L2", "early stopping")]
    return contest.compare(p, techniques, seeds=(0, 1), epochs=15)


def test_compare_table_and_ranking(small_comparison):
    c = small_comparison
    assert list(c.runs) == ["none", "L2", "early stopping"]
    assert all(len(runs) == 2 for runs in c.runs.values())
    table = contest.format_table(c)
    for name in c.runs:
        assert name in table
    assert "mean ± sample std over 2 seeds" in table
    ranked = c.ranking("val_accuracy")
    assert sorted(ranked) == sorted(c.runs)
    values = [c.mean[n]["val_accuracy"] for n in ranked]
    assert values == sorted(values, reverse=True) and values[0] > values[-1]
    with pytest.raises(ValueError, match="metric must be one of"):
        c.ranking("speed")


def test_figures_draw_and_reject_an_unknown_technique(small_comparison):
    c = small_comparison
    fig = combined_figures.comparison_figure(c)
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="technique must be one of"):
        combined_figures.technique_figure(c, "magic")
    assert combined_figures.problem_figure(combined.make_problem(), n=12).axes
    runs = weight_decay.decay_vs_l2_runs(combined.make_problem(), steps=5)
    assert len(weight_decay.weight_decay_figure(runs).axes[0].lines) == 4


# ------------------------------------------------------- the contest (equal budget)
#: The choices notebook 06 prints and asserts, one per technique.
NOTEBOOK_CHOICES = {
    "L2": {"l2": 0.01},
    "L1": {"l1": 0.003},
    "dropout": {"dropout": 0.7},
    "augmentation": {"augment_strength": 1.0},
    "early stopping": {"patience": 5},
    "AdamW": {"weight_decay": 3.0},
    "combined": {"dropout": 0.3, "l2": 0.0, "augment": True, "early_stopping": True},
}


@pytest.fixture(scope="module")
def grid():
    """The notebook's grid: every candidate of every technique on the five draws."""
    return contest.tune()


def test_every_technique_gets_the_same_budget(grid):
    assert set(combined.CANDIDATES) == set(NOTEBOOK_CHOICES)
    assert {len(c) for c in combined.CANDIDATES.values()} == {3}
    assert len(grid.draws) >= 5
    for name, rows in grid.runs.items():
        assert len(rows) == (1 if name == "none" else 3), name
        assert all(len(row) == len(grid.draws) for row in rows)
        # every run of a candidate is that candidate, one per draw, seeded by the draw
        for row, technique in zip(
            rows, [None] if name == "none" else combined.candidates(name), strict=True
        ):
            assert [r.seed for r in row] == list(grid.draws)
            if technique is not None:
                assert all(r.technique == technique for r in row)


def test_every_choice_is_the_best_on_validation_and_the_one_the_notebook_states(grid):
    """Each technique's kept candidate has the best mean validation accuracy, and the
    test set played no part: it is not even computed before `final`."""
    runs = [r for rows in grid.runs.values() for row in rows for r in row]
    assert all(np.isnan(r.test_accuracy) for r in runs)
    choice = contest.choose(grid)
    assert set(choice) == set(grid.runs)
    for name, k in choice.items():
        val = grid.validation(name).mean(axis=1)
        assert val[k] == val.max(), name
        assert k == int(np.flatnonzero(val == val.max())[0])  # ties go to the first
    for name, settings in NOTEBOOK_CHOICES.items():
        kept = grid.runs[name][choice[name]][0].technique
        for attr, value in settings.items():
            assert getattr(kept, attr) == value, (name, attr, getattr(kept, attr))
    table = contest.choice_table(grid, choice)
    assert table.count("<- kept") == len(grid.runs)


def test_final_scores_the_test_set_of_the_kept_runs_only(grid):
    choice = contest.choose(grid)
    comparison = contest.final(grid, choice)
    assert list(comparison.runs) == list(grid.runs)
    for name, runs in comparison.runs.items():
        assert all(0 < r.test_accuracy <= 1 for r in runs)
        assert [r.seed for r in runs] == list(grid.draws)
        mean = np.mean([r.test_accuracy for r in runs])
        assert comparison.mean[name]["test_accuracy"] == pytest.approx(mean)
    # the grid itself is left unscored
    assert np.isnan(grid.runs["L2"][choice["L2"]][0].test_accuracy)
    with pytest.raises(ValueError, match="choice must name every technique"):
        contest.final(grid, {"L2": 0})


def test_early_stopping_replay_equals_the_callback_for_every_patience(grid):
    problem = grid.problems[1]
    for k, technique in enumerate(combined.candidates("early stopping")):
        real = combined.train(technique, problem, seed=grid.draws[1])
        replayed = grid.runs["early stopping"][k][1]
        assert real.epochs_run == replayed.epochs_run and real.kept_epoch == replayed.kept_epoch
        for a, b in zip(real.model.get_weights(), replayed.model.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
        assert real.val_accuracy == replayed.val_accuracy
        assert real.history["val_loss"] == replayed.history["val_loss"]


def test_paired_differences_are_draw_by_draw(grid):
    comparison = contest.final(grid, contest.choose(grid))
    p = contest.paired(comparison, "L2", "none")
    expected = [
        a.test_accuracy - b.test_accuracy
        for a, b in zip(comparison.runs["L2"], comparison.runs["none"], strict=True)
    ]
    np.testing.assert_allclose(p.diffs, expected)
    assert p.mean == pytest.approx(np.mean(expected))
    assert p.std == pytest.approx(np.std(expected, ddof=1))
    assert p.wins == sum(d > 0 for d in expected) and p.losses == sum(d < 0 for d in expected)
    same = contest.paired(comparison, "L2", "L2")
    assert same.mean == 0 and same.wins == same.losses == 0
    assert "L2 - none" in str(p) and "of 5" in str(p)
    with pytest.raises(ValueError, match="metric must be one of"):
        contest.paired(comparison, "L2", "none", metric="speed")
    fig = combined_figures.gains_figure(comparison)
    assert len(fig.axes[0].get_xticklabels()) == len(comparison.runs) - 1
    with pytest.raises(ValueError, match="baseline must be one of"):
        combined_figures.gains_figure(comparison, baseline="magic")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: contest.tune(draws=(0,)), "at least 2 draws"),
        (lambda: contest.tune(draws=(1, 1)), "draws must be different"),
        (lambda: contest.tune(["ridge"]), "technique must be one of"),
        (lambda: contest.choose("grid"), "grid must be a Grid"),
        (lambda: combined.Technique("x", augment_strength=0), "augment_strength must be in"),
        (lambda: combined.make_augmenter(0, strength=-1), "strength must be in"),
    ],
)
def test_contest_arguments_are_checked(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_a_small_contest_runs_on_two_draws():
    g = contest.tune(["L2", "early stopping"], draws=(3, 4), epochs=8)
    assert list(g.runs) == ["none", "L2", "early stopping"]
    assert g.validation("L2").shape == (3, 2)
    c = contest.final(g, contest.choose(g))
    assert "over 2 draws" in contest.format_table(c, over="draws")


# ------------------------------------------------------ momentum: L2 vs weight decay
def test_momentum_breaks_the_factor_two_and_one_over_one_minus_mu_is_close():
    p = combined.make_problem()
    plain = weight_decay.momentum_l2_vs_decay(p, momentum=0.0, steps=40, factors=(1.0, 2.0))
    assert plain["distance"][1.0] < 1e-10 < 1e-3 < plain["distance"][2.0]  # no momentum: exact
    mom = weight_decay.momentum_l2_vs_decay(p, momentum=0.9, steps=200, factors=(1.0, 10.0))
    assert mom["distance"][1.0] > 4 * mom["distance"][10.0]
    # idle (blank-pixel) weights: L2 with momentum shrinks them like a decay of about
    # 2 * l2 / (1 - momentum); the decoupled decay shrinks them by exactly (1 - lr * wd)
    rate = (mom["blank"][-1] / mom["blank"][-51]) ** (1 / 50)
    assert (1 - rate) / 0.05 == pytest.approx(2 * 0.005 / (1 - 0.9), rel=0.1)
    decay = mom["blank_decay"][10.0]
    np.testing.assert_allclose(decay[1:] / decay[:-1], 1 - 0.05 * 10 * 2 * 0.005, rtol=1e-9)
    with pytest.raises(ValueError, match="momentum must be in"):
        weight_decay.momentum_l2_vs_decay(p, momentum=1.0)


def test_biases_helper_and_kernel_norm():
    model = layers.mlp([3, 4, 2], kernel_regularizer=regularizers.L2(0.1), seed=0)
    bs = combined.biases(model)
    assert [b.shape for b in bs] == [(4,), (2,)]
    assert bs[0] is model.layers[0].params["b"]
    expected = np.sqrt(sum(np.sum(layer.params["W"] ** 2) for layer in model.layers[::2]))
    assert combined.kernel_norm(model) == pytest.approx(expected)
    # excluding them keeps the fit loop's biases out of the decay
    opt = optim.SGD(0.1, weight_decay=1.0)
    opt.exclude_from_weight_decay(bs)
    x, y = np.ones((4, 3)), np.array([0, 1, 0, 1])
    training.fit(model, x, y, loss="cross_entropy", optimizer=opt, epochs=1)
    assert opt.uses_weight_decay(model.layers[0].params["W"])
    assert not opt.uses_weight_decay(model.layers[0].params["b"])


# ---------------------------------------------------------------- exercise claims
def test_exercise_1_textbook_lambda_gives_the_same_sgd_steps_both_ways():
    from course_utils.exercises import nb06

    answer = nb06._solution_1()
    rng = np.random.default_rng(0)
    w, g = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    lam, lr = nb06._LAMBDA_1, nb06._LR_1
    textbook = w - lr * (g + lam * w)  # SGD on L + (lambda / 2) * sum(w**2)
    np.testing.assert_allclose(weight_decay.sgd_l2_step(w, g, lr, answer["l2"]), textbook)
    np.testing.assert_allclose(
        weight_decay.sgd_decay_step(w, g, lr, answer["weight_decay"]), textbook
    )


def test_exercise_2_matches_the_optimizer_and_momentum_breaks_the_equivalence():
    from course_utils.exercises import nb06

    step = nb06._solution_2()
    lr, mu, wd = 0.1, 0.9, 0.2
    rng = np.random.default_rng(1)
    w = rng.standard_normal((4, 3))
    w_ours, m, w_opt = w.copy(), np.zeros_like(w), w.copy()
    opt = optim.SGD(lr, mu, weight_decay=wd)
    for _ in range(5):  # several steps, so the velocity is not zero
        g = rng.standard_normal((4, 3))
        w_ours, m = step(w_ours, m, g, lr, mu, wd)
        opt.step([w_opt], [g])
    np.testing.assert_allclose(w_ours, w_opt, rtol=0, atol=1e-12)

    # the success message: with momentum, L2(l2) and weight_decay = 2 * l2 part ways,
    # while without momentum they stay equal
    def run(momentum, decoupled, l2=0.05, steps=100):
        r = np.random.default_rng(2)
        x = w.copy()
        o = optim.SGD(lr, momentum, weight_decay=2 * l2 if decoupled else None)
        for _ in range(steps):
            g = r.standard_normal(x.shape) * 0.1
            o.step([x], [g if decoupled else g + 2 * l2 * x])
        return x

    assert np.abs(run(0.0, True) - run(0.0, False)).max() < 1e-12
    assert np.abs(run(mu, True) - run(mu, False)).max() > 0.05


def test_exercise_3_claims_about_idle_weights():
    from course_utils.exercises import nb06

    t = nb06._halving_steps()
    law = 1 - nb06._LR_3 * nb06._WD_3
    assert law**t <= 0.5 < law ** (t - 1)
    # "with l2 anywhere from 0.0001 to 0.01, it halves in fewer than 600 steps"
    for l2 in (1e-4, 2e-3, 1e-2):
        idle = weight_decay.adam_l2_vs_decay_toy(l2, learning_rate=nb06._LR_3, steps=700)
        idle = idle["adam_l2"][:, 0]
        assert 500 < int(np.argmax(idle <= 0.5)) < 600
