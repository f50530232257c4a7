"""The fit loop, its callbacks, and the NumPy/Keras twin."""

import numpy as np
import pytest

from course_utils import datasets, keras_bridge, layers, losses, optim, regularizers, training


def _moons():
    X, y = datasets.make_classification_2d(120, noise=0.2, seed=0)
    return X[:80], y[:80], X[80:], y[80:]


def test_fit_learns_and_records_keras_style_history():
    Xtr, ytr, Xva, yva = _moons()
    model = layers.mlp([2, 16, 2], seed=0)
    h = training.fit(
        model,
        Xtr,
        ytr,
        loss="cross_entropy",
        optimizer=optim.Adam(0.02),
        epochs=60,
        batch_size=32,
        validation_data=(Xva, yva),
    )
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(h.history["loss"]) == 60 and h.epoch[-1] == 59
    assert h.history["loss"][-1] < 0.5 * h.history["loss"][0]
    assert h.history["val_accuracy"][-1] > 0.8


def test_fit_is_repeatable_with_a_seed():
    Xtr, ytr, _, _ = _moons()
    runs = []
    for _ in range(2):
        model = layers.mlp([2, 8, 2], seed=1)
        training.fit(
            model,
            Xtr,
            ytr,
            loss="cross_entropy",
            optimizer=optim.SGD(0.1),
            epochs=5,
            batch_size=16,
            seed=7,
        )
        runs.append(model.get_weights())
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_loss_includes_the_penalty_like_keras():
    Xtr, ytr, _, _ = _moons()
    model = layers.mlp([2, 8, 2], kernel_regularizer=regularizers.L2(0.1), seed=0)
    h = training.fit(model, Xtr, ytr, loss="cross_entropy", optimizer=optim.SGD(0.01), epochs=1)
    data_loss, _ = losses.SoftmaxCrossEntropy()(model.predict(Xtr), ytr)
    assert h.history["loss"][0] == pytest.approx(data_loss + model.penalty())


def test_callback_hook_can_stop_training_and_sees_logs():
    class StopAtThree(training.Callback):
        def __init__(self):
            self.seen = []

        def on_epoch_end(self, epoch, logs=None):
            self.seen.append((epoch, sorted(logs)))
            if epoch == 2:
                self.model.stop_training = True

    Xtr, ytr, Xva, yva = _moons()
    cb = StopAtThree()
    h = training.fit(
        layers.mlp([2, 4, 2]),
        Xtr,
        ytr,
        loss="cross_entropy",
        optimizer=optim.SGD(0.1),
        epochs=50,
        validation_data=(Xva, yva),
        callbacks=[cb],
    )
    assert len(h.history["loss"]) == 3
    assert cb.seen[0] == (0, ["accuracy", "loss", "val_accuracy", "val_loss"])


def test_verbose_progress_prints_about_ten_lines(capsys):
    Xtr, ytr, _, _ = _moons()
    training.fit(
        layers.mlp([2, 4, 2]),
        Xtr,
        ytr,
        loss="cross_entropy",
        optimizer=optim.SGD(0.1),
        epochs=100,
        verbose=1,
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert 10 <= len(lines) <= 11 and lines[-1].startswith("epoch  100/100")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs must be an int in"),
        ({"batch_size": 0}, "batch_size must be an int in"),
        ({"verbose": 2}, "verbose must be an int in"),
        ({"validation_data": (np.zeros((2, 2)),)}, "pair"),
        ({"loss": "nope"}, "loss must be a Loss or one of"),
    ],
)
def test_fit_rejects_bad_arguments(kwargs, message):
    Xtr, ytr, _, _ = _moons()
    args = {"loss": "cross_entropy", "optimizer": optim.SGD(0.1), **kwargs}
    with pytest.raises((ValueError, TypeError), match=message):
        training.fit(layers.mlp([2, 4, 2]), Xtr, ytr, **args)


def test_fit_rejects_mismatched_rows_and_non_models():
    with pytest.raises(ValueError, match="same number of rows"):
        training.fit(
            layers.mlp([2, 2]),
            np.zeros((3, 2)),
            np.zeros(4, int),
            loss="cross_entropy",
            optimizer=optim.SGD(0.1),
        )
    with pytest.raises(TypeError, match="Sequential"):
        training.fit(
            "model",
            np.zeros((3, 2)),
            np.zeros(3, int),
            loss="cross_entropy",
            optimizer=optim.SGD(0.1),
        )


@pytest.mark.parametrize("where", ["x", "y", "x_val", "y_val"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_fit_names_the_array_and_first_row_holding_nan_or_inf(where, bad):
    Xtr, ytr, Xva, yva = _moons()
    arrays = {"x": Xtr.copy(), "y": ytr.astype(float), "x_val": Xva.copy(), "y_val": yva * 1.0}
    arrays[where][[7, 12]] = bad  # rows 7 and 12 are bad
    with pytest.raises(ValueError) as info:
        training.fit(
            layers.mlp([2, 4, 2]),
            arrays["x"],
            arrays["y"],
            loss="mse" if where in ("y", "y_val") else "cross_entropy",
            optimizer=optim.SGD(0.1),
            validation_data=(arrays["x_val"], arrays["y_val"]),
        )
    assert str(info.value).startswith(f"{where} holds NaN or inf in row 7 (2 of ")


def test_fit_wants_a_course_optimizer_not_a_keras_name():
    Xtr, ytr, _, _ = _moons()
    for wrong in ("adam", optim.SGD):  # a Keras-style name, the class instead of an object
        with pytest.raises(TypeError, match=r"optimizer must be an optimizer object from course_"):
            training.fit(layers.mlp([2, 4, 2]), Xtr, ytr, loss="cross_entropy", optimizer=wrong)


def test_a_diverging_run_stops_at_that_epoch_keeps_history_and_says_why():
    Xtr, ytr, _, _ = _moons()
    ytr = ytr.astype(float) * 1e3  # large targets and a huge step: the MSE explodes
    model = layers.mlp([2, 16, 1], seed=0)
    with pytest.warns(RuntimeWarning) as record:
        h = training.fit(model, Xtr, ytr, loss="mse", optimizer=optim.SGD(5.0), epochs=50)
    (warning,) = record
    stopped = h.diverged_epoch
    assert stopped is not None and stopped < 49  # it stopped before the last epoch
    assert len(h.history["loss"]) == stopped + 1  # every epoch up to it is kept
    bad = h.history["loss"][-1]
    assert not np.isfinite(bad) or bad > training.DIVERGENCE_FACTOR
    assert np.all(np.isfinite(h.history["loss"][:-1]))
    text = str(warning.message)
    assert f"training diverged at epoch {stopped + 1} of 50" in text
    assert "Try a smaller learning rate than 5." in text


def test_a_healthy_run_does_not_count_as_diverged():
    Xtr, ytr, _, _ = _moons()
    h = training.fit(
        layers.mlp([2, 8, 2]), Xtr, ytr, loss="cross_entropy", optimizer=optim.SGD(0.1), epochs=5
    )
    assert h.diverged_epoch is None and len(h.epoch) == 5


def _fit(model, x, y=None, **kwargs):
    args = {"loss": "cross_entropy", "optimizer": optim.Adam(0.02), "epochs": 6, **kwargs}
    return training.fit(model, x, y, **args)


def test_a_data_function_is_called_every_epoch_in_order_and_trains_like_an_array():
    Xtr, ytr, _, _ = _moons()
    calls = []

    def data(epoch):
        calls.append(epoch)
        return Xtr, ytr

    fixed, moving = layers.mlp([2, 8, 2], seed=0), layers.mlp([2, 8, 2], seed=0)
    h_fixed = _fit(fixed, Xtr, ytr, batch_size=16)
    h_moving = _fit(moving, data, batch_size=16)
    assert calls == list(range(6))
    assert h_fixed.history == h_moving.history
    for a, b in zip(fixed.get_weights(), moving.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    # new data every epoch: each epoch trains on what the function returned for it
    halves = [(Xtr[:40], ytr[:40]), (Xtr[40:], ytr[40:])]
    model = layers.mlp([2, 8, 2], seed=0)
    h = _fit(model, lambda epoch: halves[epoch % 2], epochs=4)
    assert h.history["loss"][-1] == training.evaluate(model, *halves[1], "cross_entropy")["loss"]
    assert h.history["loss"][-1] != training.evaluate(model, *halves[0], "cross_entropy")["loss"]


def test_a_seed_function_gives_every_epoch_a_fresh_generator_like_one_epoch_fits():
    Xtr, ytr, _, _ = _moons()
    whole = layers.mlp([2, 8, 2], dropout=0.3, seed=0)
    _fit(whole, Xtr, ytr, epochs=3, batch_size=16, seed=lambda epoch: 10 + epoch)
    stepwise, opt = layers.mlp([2, 8, 2], dropout=0.3, seed=0), optim.Adam(0.02)
    for epoch in range(3):
        _fit(stepwise, Xtr, ytr, epochs=1, batch_size=16, optimizer=opt, seed=10 + epoch)
    for a, b in zip(whole.get_weights(), stepwise.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    once = layers.mlp([2, 8, 2], dropout=0.3, seed=0)
    _fit(once, Xtr, ytr, epochs=3, batch_size=16, seed=10)  # one generator: other shuffles
    assert not np.array_equal(once.get_weights()[0], whole.get_weights()[0])


def test_score_train_chooses_what_the_loss_measures_and_never_changes_training():
    Xtr, ytr, Xva, yva = _moons()
    runs = {}
    for name, score in [("epoch data", True), ("nothing", False), ("fixed", (Xva, yva))]:
        model = layers.mlp([2, 8, 2], seed=0)
        h = _fit(model, Xtr, ytr, batch_size=16, validation_data=(Xva, yva), score_train=score)
        runs[name] = (h.history, model)
    assert set(runs["nothing"][0]) == {"val_loss", "val_accuracy"}
    assert set(runs["fixed"][0]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert runs["fixed"][0]["loss"] == runs["fixed"][0]["val_loss"]  # it scored (Xva, yva)
    default = runs["epoch data"]
    end = training.evaluate(default[1], Xtr, ytr, "cross_entropy")
    assert default[0]["loss"][-1] == end["loss"]
    for history, model in runs.values():
        assert history["val_loss"] == default[0]["val_loss"]
        for a, b in zip(model.get_weights(), default[1].get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)


def test_validation_freq_validates_only_the_chosen_epochs():
    Xtr, ytr, Xva, yva = _moons()
    full = _fit(layers.mlp([2, 8, 2], seed=0), Xtr, ytr, epochs=10, validation_data=(Xva, yva))
    val = full.history["val_loss"]
    every_3 = _fit(
        layers.mlp([2, 8, 2], seed=0),
        Xtr,
        ytr,
        epochs=10,
        validation_data=(Xva, yva),
        validation_freq=3,
    )
    assert every_3.history["val_loss"] == [val[2], val[5], val[8]]  # epochs 3, 6, 9
    assert every_3.history["loss"] == full.history["loss"]
    last_two = _fit(
        layers.mlp([2, 8, 2], seed=0),
        Xtr,
        ytr,
        epochs=10,
        validation_data=(Xva, yva),
        validation_freq=range(9, 11),
    )
    assert last_two.history["val_loss"] == val[-2:]


def test_without_a_scored_set_a_divergence_is_still_caught():
    Xtr, ytr, _, _ = _moons()
    with pytest.warns(RuntimeWarning, match="training diverged at epoch"):
        h = training.fit(
            layers.mlp([2, 16, 1], seed=0),
            Xtr,
            ytr.astype(float) * 1e3,
            loss="mse",
            optimizer=optim.SGD(5.0),
            epochs=50,
            score_train=False,
        )
    assert h.diverged_epoch is not None and h.diverged_epoch < 49


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "error", "message"),
    [
        ("data", "y", {}, TypeError, "y must be left out when x is a function"),
        ("single", None, {}, TypeError, "the data function must return a pair"),
        ("xy", "y", {"validation_freq": "often"}, TypeError, "validation_freq must be an int"),
        ("xy", "y", {"validation_freq": 0}, ValueError, "validation_freq must be an int in"),
        ("xy", "y", {"score_train": (1, 2, 3)}, ValueError, "score_train must be True, False"),
    ],
)
def test_fit_rejects_bad_data_functions_and_options(x, y, kwargs, error, message):
    Xtr, ytr, _, _ = _moons()
    x = {"data": lambda e: (Xtr, ytr), "single": lambda e: Xtr, "xy": Xtr}[x]
    with pytest.raises(error, match=message):
        _fit(layers.mlp([2, 4, 2]), x, ytr if y else None, **kwargs)


def test_keras_twin_gives_the_same_predictions_loss_and_penalty():
    Xtr, ytr, _, _ = _moons()
    model = layers.mlp(
        [2, 16, 8, 2], activation="tanh", kernel_regularizer=regularizers.L2(0.01), seed=0
    )
    twin = keras_bridge.to_keras(model)
    ours = model.predict(Xtr)
    theirs = twin.predict(Xtr, verbose=0)
    assert keras_bridge.max_abs_diff(ours, theirs) < 1e-5
    loss = losses.SoftmaxCrossEntropy()
    our_loss = loss(ours, ytr)[0]
    their_loss = float(loss.to_keras()(ytr, theirs))
    assert their_loss == pytest.approx(our_loss, abs=1e-5)
    assert float(sum(twin.losses)) == pytest.approx(model.penalty(), rel=1e-5)


def test_weights_copy_back_from_keras():
    model = layers.mlp([3, 5, 2], seed=0)
    twin = keras_bridge.to_keras(model, copy_weights=False)
    other = layers.mlp([3, 5, 2], seed=9)
    keras_bridge.copy_from_keras(twin, other)
    x = np.random.default_rng(0).standard_normal((4, 3))
    assert keras_bridge.max_abs_diff(other.predict(x), twin.predict(x, verbose=0)) < 1e-5
    with pytest.raises(ValueError, match="do not match"):
        keras_bridge.copy_to_keras(layers.mlp([3, 4, 2]), twin)


# ------------------------------------------------- Dropout: reseeded by fit, Keras twin
def test_fit_reseeds_dropout_so_runs_repeat():
    X, y = datasets.make_classification_2d(30, 0.35, 6)  # notebook 03's set, 30 points
    runs = []
    for run in range(2):
        model = layers.mlp([2, 16, 2], dropout=0.5, seed=0)
        model.layers[2].rng = np.random.default_rng(123 + run)  # each replaced by fit
        training.fit(model, X, y, loss="cross_entropy", optimizer=optim.Adam(0.01), epochs=5)
        runs.append(model.get_weights())
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_keras_twin_parity_inference_and_same_mask():
    import keras

    model = layers.mlp([2, 16, 8, 2], dropout=[0.3, 0.5], seed=0)
    x = np.random.default_rng(0).standard_normal((20, 2))
    twin = keras_bridge.to_keras(model)
    rates = [la.rate for la in twin.layers if isinstance(la, keras.layers.Dropout)]
    assert rates == [0.3, 0.5]
    assert keras_bridge.max_abs_diff(model.predict(x), twin(x, training=False)) < 1e-5
    rng = np.random.default_rng(1)
    drops = [la for la in model.layers if isinstance(la, layers.Dropout)]
    masks = [
        rng.binomial(1, 1 - la.rate, size=(20, w)) for la, w in zip(drops, (16, 8), strict=True)
    ]
    for la, m in zip(drops, masks, strict=True):
        la.fixed_mask = m
    ours = model.forward(x, training=True)
    h, k = x.astype("float32"), 0
    for la in twin.layers:
        if isinstance(la, keras.layers.Dropout):
            h = h * masks[k].astype("float32") / (1 - la.rate)
            k += 1
        else:
            h = la(h)
    assert keras_bridge.max_abs_diff(ours, h) < 1e-5


def test_keras_dropout_statistics_match():
    import keras

    ones = np.ones((1000, 100), dtype="float32")
    out = np.asarray(keras.layers.Dropout(0.4)(ones, training=True))
    assert abs(np.mean(out == 0) - 0.4) < 0.01
    assert np.abs(out[out != 0] - 1 / 0.6).max() < 1e-6
    np.testing.assert_array_equal(keras.layers.Dropout(0.4)(ones, training=False), ones)
    assert isinstance(layers.Dropout(0.4).to_keras(), keras.layers.Dropout)
    assert layers.Dropout(0.4).to_keras().rate == 0.4
