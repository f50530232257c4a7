"""Notebook 05's module: the NumPy EarlyStopping against Keras's (exact parity on generated
sequences), its state, warnings and argument checks, the fit-loop integration, the data
helpers, the "Try it" figure and its widget, and the exercise hints."""

import itertools
import warnings

import numpy as np
import pytest

from course_utils import early_stopping as es
from course_utils import early_stopping_study as study
from course_utils import layers, optim, plotting, training
from course_utils.exercises import nb05


def _keras_es(**kwargs):
    import keras

    return keras.callbacks.EarlyStopping(**kwargs)


# --- exact parity with keras.callbacks.EarlyStopping -----------------------------------


def test_parity_with_keras_on_hundreds_of_generated_sequences():
    cases = es.random_cases(400, seed=0)
    # the generator covers every rule, in both directions
    kinds = [kw for _, kw in cases]
    assert sum(kw["baseline"] is not None for kw in kinds) > 50
    assert sum(kw["start_from_epoch"] > 0 for kw in kinds) > 50
    assert sum(kw["min_delta"] != 0 for kw in kinds) > 100
    assert sum(kw["min_delta"] < 0 for kw in kinds) > 20
    assert {kw["mode"] for kw in kinds} == {"auto", "min", "max"}
    assert sum(any(a == b for a, b in itertools.pairwise(v)) for v, _ in cases) > 100  # ties
    results = []
    for values, kwargs in cases:
        ours, theirs = es.compare_with_keras(values, **kwargs)
        assert ours == theirs, (values, kwargs)
        results.append(ours)
    stopped = sum(r.stopped for r in results)
    assert 50 < stopped < len(results) - 20  # both outcomes are well represented
    assert sum(r.kept_epoch != r.epochs_run - 1 for r in results) > 50  # restores happen


@pytest.mark.parametrize(
    ("values", "kwargs", "expected"),
    [
        # (epochs_run, stopped_epoch, best_epoch, kept_epoch)
        ([0.5, 0.4, 0.4, 0.4, 0.3], {"patience": 1}, (3, 2, 1, 2)),  # a tie is no improvement
        ([1.0, 0.9, 0.85, 0.8], {"patience": 1, "min_delta": 0.05}, (3, 2, 1, 2)),
        ([1.0, 0.9, 0.85, 0.8], {"patience": 1, "min_delta": -0.05}, (3, 2, 1, 2)),  # |delta|
        ([0.9, 0.8, 0.7, 0.72, 0.69], {"patience": 3, "baseline": 0.5}, (4, 3, 2, 3)),
        ([0.9, 0.8, 0.7, 0.72, 0.69], {"patience": 3}, (5, 0, 4, 4)),
        ([2.0, 2.5, 1.0, 1.1, 0.9], {"patience": 1, "start_from_epoch": 2}, (4, 3, 2, 3)),
        ([2.0, 2.5, 1.0, 1.1, 0.9], {"patience": 1}, (2, 1, 0, 1)),
        ([0.9, 0.6, 0.7, 0.65], {"patience": 5, "restore_best_weights": True}, (4, 0, 1, 1)),
        ([0.9, 0.6, 0.7, 0.65], {"patience": 2, "restore_best_weights": True}, (4, 3, 1, 1)),
        (
            [0.8, 0.85, 0.85, 0.86, 0.84],
            {"monitor": "val_accuracy", "mode": "max", "patience": 1},
            (3, 2, 1, 2),
        ),
        ([0.5, 0.5 + 1e-9, 0.5 - 1e-9, 0.4], {"patience": 1}, (2, 1, 0, 1)),  # float32 ties
        ([0.3], {"patience": 0}, (1, 0, 0, 0)),
    ],
)
def test_hand_picked_sequences_match_keras_and_the_rules(values, kwargs, expected):
    ours, theirs = es.compare_with_keras(values, **kwargs)
    assert ours == theirs
    assert (ours.epochs_run, ours.stopped_epoch, ours.best_epoch, ours.kept_epoch) == expected


def test_comparisons_use_keras_dtypes():
    # Each side becomes a tensor first: a Python float is rounded to float32, a NumPy
    # float64 stays float64; then the two are compared.
    a, b = 0.5 + 1e-9, 0.5
    assert not es.is_improvement(a, b, 0.0, "max")  # equal in float32
    assert es.is_improvement(np.float64(a), b, 0.0, "max")  # float64 vs 0.5 (exact in both)
    assert not es.is_improvement(a, np.float64(b), 0.0, "max")  # a was rounded to 0.5
    pairs = [(a, b), (np.float64(a), b), (a, np.float64(b)), (np.float32(a), b), (b, a)]
    pairs += [(np.float64(b), a), (0.3, 0.1 + 0.2), (np.float64(0.3), np.float64(0.1 + 0.2))]
    for mode in ("min", "max"):
        for delta in (0, 0.1, -1e-9):
            for cur, ref in pairs:
                cb = _keras_es(mode=mode, min_delta=delta)
                cb.set_model(es.EpochStub())
                cb._set_monitor_op()
                want = bool(cb._is_improvement(cur, ref))
                assert es.is_improvement(cur, ref, delta, mode) == want, (mode, delta, cur, ref)
    assert es.is_improvement(3.0, None, 0.0, "min")  # anything beats "no best yet"
    with pytest.raises(ValueError, match="direction must be 'min' or 'max'"):
        es.is_improvement(1.0, 2.0, 0.0, "auto")


def test_weights_are_restored_at_train_end_even_without_stopping():
    values = [0.9, 0.5, 0.6, 0.7]
    for cb in (
        es.EarlyStopping(patience=10, restore_best_weights=True),
        _keras_es(patience=10, restore_best_weights=True),
    ):
        r = es.replay(cb, values)
        assert not r.stopped and r.stopped_epoch == 0 and r.kept_epoch == 1 == r.best_epoch


def test_state_is_reset_between_runs():
    first, second = [1.0, 0.2, 0.3, 0.4, 0.5, 0.6], [0.9, 0.8, 0.7, 0.75, 0.6, 0.65, 0.66]
    kwargs = {"patience": 1, "restore_best_weights": True}
    reused, keras_reused = es.EarlyStopping(**kwargs), _keras_es(**kwargs)
    es.replay(reused, first)
    es.replay(keras_reused, first)
    assert reused.best == 0.2 and reused.stopped_epoch == 2
    again = es.replay(reused, second)
    assert again == es.replay(es.EarlyStopping(**kwargs), second)
    assert reused.best == 0.7 and reused.wait == 1 and reused.best_weights is not None
    import keras
    from packaging.version import Version

    if Version(keras.__version__) >= Version("3.15"):
        assert again == es.replay(keras_reused, second)
    else:  # Keras 3.13-3.14's on_train_begin keeps `best` from the previous fit() (3.15 resets it)
        assert es.replay(keras_reused, second).best == 0.2


def test_reset_also_holds_in_the_fit_loop():
    x, y = np.random.default_rng(0).standard_normal((40, 3)), np.arange(40) % 2
    stopper = es.EarlyStopping(monitor="loss", patience=0, min_delta=10.0)

    def run():
        return training.fit(
            layers.mlp([3, 4, 2]),
            x,
            y,
            loss="cross_entropy",
            optimizer=optim.SGD(0.1),
            epochs=20,
            callbacks=[stopper],
        )

    h1, h2 = run(), run()  # min_delta 10: nothing improves after epoch 0, so both stop at 1
    assert len(h1.history["loss"]) == len(h2.history["loss"]) == 2
    assert stopper.stopped_epoch == 1 and stopper.best_epoch == 0


# --- a missing monitored key -------------------------------------------------------------


def test_missing_monitor_warns_and_names_the_available_keys():
    logs = {"loss": 1.0, "val_loss": 2.0}
    cb = es.EarlyStopping(monitor="val_accuracy", restore_best_weights=True)
    cb.set_model(es.EpochStub())
    cb.on_train_begin()
    with pytest.warns(UserWarning, match=r"'val_accuracy'.*Available metrics are: loss, val_loss"):
        cb.on_epoch_end(0, logs)
    assert cb.best is None and cb.wait == 0 and cb.best_weights is None  # epoch skipped
    keras_cb = _keras_es(monitor="val_accuracy", mode="max")
    keras_cb.set_model(es.EpochStub())
    keras_cb.on_train_begin()
    with pytest.warns(UserWarning, match="val_accuracy.*loss,val_loss"):
        keras_cb.on_epoch_end(0, logs)
    # a replay with missing values behaves the same in both
    values = [None, 0.5, None, 0.6, 0.7]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = es.compare_with_keras(values, patience=1)
    assert ours == theirs


def test_missing_monitor_in_a_real_fit_warns():
    x, y = np.random.default_rng(0).standard_normal((20, 3)), np.arange(20) % 2
    with pytest.warns(UserWarning, match="'val_loss'.*Available metrics are: loss, accuracy"):
        h = training.fit(
            layers.mlp([3, 2]),
            x,
            y,
            loss="cross_entropy",
            optimizer=optim.SGD(0.1),
            epochs=3,
            callbacks=[es.EarlyStopping()],  # monitors val_loss, but there is no validation
        )
    assert len(h.history["loss"]) == 3  # nothing stopped it


# --- argument checks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"patience": -1}, ValueError, r"patience must be an int in \[0, inf\], got -1"),
        ({"patience": 1.5}, TypeError, "patience must be an int"),
        ({"mode": "avg"}, ValueError, r"mode must be one of \['auto', 'max', 'min'\], got 'avg'"),
        ({"monitor": "val_f1"}, ValueError, "mode='auto' cannot tell.*'val_f1'.*mode='min'"),
        ({"monitor": ""}, TypeError, "monitor must be a non-empty string"),
        ({"monitor": 3}, TypeError, "monitor must be a non-empty string"),
        ({"min_delta": "0.1"}, TypeError, "min_delta must be a number"),
        ({"min_delta": float("nan")}, ValueError, "min_delta must be in"),
        ({"baseline": "low"}, TypeError, "baseline must be a number"),
        ({"start_from_epoch": -2}, ValueError, r"start_from_epoch must be an int in \[0, inf\]"),
        ({"restore_best_weights": "yes"}, TypeError, "restore_best_weights must be True or"),
        ({"verbose": 2}, ValueError, r"verbose must be an int in \[0, 1\]"),
    ],
)
def test_bad_arguments_get_clear_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        es.EarlyStopping(**kwargs)


def test_auto_mode_reads_the_name():
    assert es.EarlyStopping(monitor="val_accuracy").direction == "max"
    assert es.EarlyStopping(monitor="acc").direction == "max"
    assert es.EarlyStopping(monitor="loss").direction == "min"
    assert es.EarlyStopping(monitor="val_f1", mode="max").direction == "max"
    assert es.infer_direction("val_loss", "max") == "max"
    values = [0.5, 0.6, 0.6, 0.55]
    auto = es.replay(es.EarlyStopping(monitor="val_accuracy", patience=1), values)
    assert auto == es.replay(
        es.EarlyStopping(monitor="val_accuracy", mode="max", patience=1), values
    )


def test_replay_and_helpers_check_their_arguments():
    with pytest.raises(TypeError, match="early-stopping callback"):
        es.replay(object(), [1.0])
    with pytest.raises(ValueError, match="at least one"):
        es.replay(es.EarlyStopping(), [])
    with pytest.raises(TypeError, match="values must be numbers"):
        es.replay(es.EarlyStopping(), [1.0, "a"])
    with pytest.raises(ValueError, match="n must be an int"):
        es.random_cases(0)
    assert es.random_cases(5, seed=3) == es.random_cases(5, seed=3)
    assert es.stop_epoch([1.0, 0.5, 0.6, 0.7], patience=1) == 2
    assert es.stop_epoch([1.0, 0.5, 0.4], patience=1) is None


# --- in a real run, NumPy and Keras --------------------------------------------------------


def _noisy_run(callbacks, epochs=25):
    d = study.noisy_digits(0.25, seed=0)
    model = layers.mlp([64, 32, 10], seed=0)
    h = training.fit(
        model,
        d["x_train"],
        d["y_train"],
        loss="cross_entropy",
        optimizer=optim.Adam(0.01),
        epochs=epochs,
        batch_size=120,
        validation_data=(d["x_val"], d["y_val"]),
        callbacks=callbacks,
    )
    return model, h, d


def test_fit_stops_and_restores_the_best_weights():
    snaps = es.WeightSnapshots()
    _, long_run, _ = _noisy_run([snaps], epochs=40)
    val = long_run.history["val_loss"]
    stopper = es.EarlyStopping(patience=3, restore_best_weights=True)
    model, h, d = _noisy_run([stopper], epochs=40)
    assert stopper.stopped_epoch > 0 and len(h.history["loss"]) == stopper.stopped_epoch + 1
    predicted = es.replay(es.EarlyStopping(patience=3, restore_best_weights=True), val)
    assert (predicted.stopped_epoch, predicted.best_epoch) == (
        stopper.stopped_epoch,
        stopper.best_epoch,
    )
    for a, b in zip(model.get_weights(), snaps.weights[stopper.best_epoch], strict=True):
        np.testing.assert_array_equal(a, b)
    again = training.evaluate(model, d["x_val"], d["y_val"], "cross_entropy")["loss"]
    assert again == val[stopper.best_epoch] == min(val[: stopper.stopped_epoch + 1])


def test_keras_fit_with_auto_accuracy_agrees_with_a_replay():
    import keras

    from course_utils import keras_bridge

    d = study.noisy_digits(0.25, seed=0)
    twin = keras_bridge.to_keras(layers.mlp([64, 32, 10], seed=0))
    twin.compile(
        optimizer=keras.optimizers.Adam(0.02),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    stopper = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=1)
    h = twin.fit(
        d["x_train"],
        d["y_train"],
        batch_size=len(d["x_train"]),
        epochs=15,
        validation_data=(d["x_val"], d["y_val"]),
        callbacks=[stopper],
        verbose=0,
    )
    ours = es.replay(
        es.EarlyStopping(monitor="val_accuracy", patience=1), h.history["val_accuracy"]
    )
    assert ours.epochs_run == len(h.history["val_accuracy"])
    assert (ours.stopped_epoch, ours.best_epoch) == (stopper.stopped_epoch, stopper.best_epoch)


def test_verbose_prints_keras_messages(capsys):
    es.replay(es.EarlyStopping(patience=0, verbose=1, restore_best_weights=True), [1.0, 0.5, 0.7])
    out = capsys.readouterr().out
    assert "Epoch 3: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 2." in out
    assert "patience=0" in repr(es.EarlyStopping())


# --- data helpers ---------------------------------------------------------------------------


def test_flip_labels_changes_exactly_the_share_asked():
    y = np.arange(200) % 10
    noisy, flipped = study.flip_labels(y, 0.25, 10, seed=1)
    assert flipped.sum() == 50
    assert np.all(noisy[flipped] != y[flipped]) and np.all(noisy[~flipped] == y[~flipped])
    assert noisy.min() >= 0 and noisy.max() <= 9
    np.testing.assert_array_equal(noisy, study.flip_labels(y, 0.25, 10, seed=1)[0])
    assert study.flip_labels(y, 0.0, 10)[1].sum() == 0


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((np.zeros(3), 0.1, 10), ValueError, "integer labels"),
        ((np.array([0, 12]), 0.1, 10), ValueError, r"labels must be in \[0, 10\)"),
        ((np.array([0, 1]), 1.5, 10), ValueError, r"rate must be in \[0, 1\]"),
        ((np.array([0, 1]), 0.5, 1), ValueError, "n_classes must be an int"),
    ],
)
def test_flip_labels_rejects_bad_arguments(args, error, message):
    with pytest.raises(error, match=message):
        study.flip_labels(*args)


def test_noisy_digits_flips_training_labels_only():
    d = study.noisy_digits(0.25, seed=0)
    assert d["x_train"].shape == (719, 64) and len(d["x_val"]) == len(d["x_test"]) == 539
    assert d["flipped"].sum() == round(0.25 * 719)
    np.testing.assert_array_equal(d["y_train"] != d["y_train_clean"], d["flipped"])
    assert set(np.unique(d["y_val"])) == set(range(10))
    small = study.noisy_digits(0.25, val=0.4, test=0.4, seed=0)  # notebook 05's split
    assert len(small["x_train"]) == 359 and len(small["x_val"]) == len(small["x_test"]) == 719
    assert small["flipped"].sum() == 90


# --- the "Try it" figure and its widget -----------------------------------------------------


def _curve(n=40):
    t = np.arange(n)
    return 0.4 + 1.5 * np.exp(-t / 5) + 0.005 * t + 0.02 * np.sin(2.0 * t), 2 * np.exp(-t / 8)


def test_figure_shows_the_stop_and_the_kept_weights():
    val, train = _curve()
    fig = study.early_stopping_figure(val, patience=4, loss=train)
    r = es.replay(es.EarlyStopping(patience=4, restore_best_weights=True), val)
    title = fig.axes[0].get_title()
    assert f"stops after epoch {r.epochs_run} of 40" in title
    assert f"keeps epoch {r.kept_epoch + 1}" in title
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert f"weights kept: epoch {r.kept_epoch + 1}" in labels
    low, high = fig.axes[0].get_ylim()  # both curves are shown whole, first epoch included
    assert low <= min(val.min(), train.min()) and high >= max(val.max(), train.max())
    never = study.early_stopping_figure(np.linspace(1, 0, 10), patience=2)
    assert "never stops; ends at epoch 10" in never.axes[0].get_title()
    a = plotting.figure_to_array(fig)
    b = plotting.figure_to_array(study.early_stopping_figure(val, patience=12, loss=train))
    c = plotting.figure_to_array(study.early_stopping_figure(val, patience=4, min_delta=0.04))
    assert a.shape == b.shape and not np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"val_loss": [0.5]}, ValueError, "at least 2 epochs"),
        ({"val_loss": [[0.5, 0.4]]}, ValueError, "val_loss must have 1 dimensions"),
        ({"val_loss": [0.5, np.nan]}, ValueError, "finite numbers only"),
        ({"val_loss": [0.5, 0.4], "loss": [1.0]}, ValueError, "same length"),
        ({"val_loss": [0.5, 0.4], "patience": -1}, ValueError, "patience must be an int"),
    ],
)
def test_figure_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        study.early_stopping_figure(**kwargs)


# --- exercise hints ---------------------------------------------------------------------------


def test_exercise_hints_point_at_the_mistake():
    assert "from 1" in nb05.check_1((6, 3)).message
    assert "min_delta" in nb05.check_1((9, 8)).message  # small falls counted as improvements
    assert "min_delta" in nb05.check_1((5, 3)).message
    assert "too late" in nb05.check_1((6, 2)).message  # stops when wait > patience
    assert "too early" in nb05.check_1((4, 2)).message
    assert nb05.check_1(("4", 2)).status == "wrong"
    # the worked example is not the exercise: min_delta changes the answer
    assert es.stop_epoch(nb05.CURVE_1, nb05.PATIENCE_1) is None
    assert es.stop_epoch(nb05.CURVE_1, nb05.PATIENCE_1, nb05.MIN_DELTA_1) == 5
    assert "LAST epoch" in nb05.check_3((0.47, 0.47)).message
    assert "pair" in nb05.check_3(0.6).message
    assert nb05.check_2(42).status == "wrong"
    # the reference rule really is Keras's (checked against Keras, not only our callback)
    rule = nb05._solution_2()
    for values, patience, min_delta in nb05._cases_2()[:40]:
        r = es.replay(_keras_es(patience=patience, min_delta=min_delta), values)
        assert rule(list(values), patience, min_delta) == (r.stopped_epoch if r.stopped else None)


# --- notebook 05's comparison over draws of the data -------------------------------------


def test_compare_on_draw_gives_the_notebooks_draw_0():
    """The helper runs the notebook's protocol: on draw 0 it gives the notebook's numbers."""
    r = study.compare_on_draw(0)
    assert (r["kept"], r["kept_acc"]) == (18, 14)
    got = [round(r[k], 3) for k in ("plain", "early", "early_acc", "l2")]
    assert got == [0.772, 0.921, 0.929, 0.921]


def test_both_cures_beat_training_to_the_end_on_more_draws():
    """Three draws the notebook does not show, same settings (patience 10, L2 0.01): both
    cures beat training to the end by more than 0.08 of test accuracy, and L2 is never
    more than 0.03 behind early stopping (on either monitor)."""
    for seed in (5, 6, 7):
        r = study.compare_on_draw(seed)
        assert r["early"] > r["plain"] + 0.08 and r["l2"] > r["plain"] + 0.08, (seed, r)
        assert r["l2"] > max(r["early"], r["early_acc"]) - 0.03, (seed, r)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: study.compare_on_draw(-1), ValueError, r"seed must be an int in \[0, inf\]"),
        (lambda: study.compare_on_draw(0, l2=0), ValueError, r"l2 must be in \(0, inf\]"),
        (lambda: study.compare_on_draw(0, patience=-1), ValueError, "patience must be an int"),
        (lambda: study.compare_on_draw(0, hidden=0), ValueError, "hidden must be an int"),
    ],
)
def test_comparison_helpers_reject_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()
