"""Notebook 04: NumPy image transforms, their properties, their Keras counterparts, the
random augmenter, the training loop, the figure function and its widget."""

import numpy as np
import pytest

from course_utils import augment as A
from course_utils import augment_figures as AF
from course_utils import augment_training as AT
from course_utils import datasets, layers, optim, plotting, training


@pytest.fixture(scope="module")
def digits():
    images, labels = datasets.load_digits()
    return images[:40], labels[:40]


# ------------------------------------------------------------------ interpolation
def test_bilinear_sample_reads_pixels_blends_between_and_fills_outside():
    img = np.array([[[0.0, 1.0], [2.0, 3.0]]])
    rows = np.array([[[0.0, 1.0, 0.5, 0.5, -1.0, 0.0, 1.5]]])
    cols = np.array([[[0.0, 1.0, 0.0, 0.5, 0.0, 2.5, 1.0]]])
    out = A.bilinear_sample(img, rows, cols)[0, 0]
    np.testing.assert_allclose(out, [0.0, 3.0, 1.0, 1.5, 0.0, 0.0, 1.5])
    np.testing.assert_allclose(A.bilinear_sample(img, rows, cols, fill=1.0)[0, 0, 4], 1.0)


def test_bilinear_sample_far_outside_reads_fill_only():
    img = np.ones((1, 3, 3))
    far = np.full((1, 2, 2), -7.3)
    assert np.all(A.bilinear_sample(img, far, far) == 0)
    assert np.all(A.bilinear_sample(img, far + 20, far + 20) == 0)


# ----------------------------------------------------------------------- geometry
def test_shift_by_zero_is_identity_and_whole_pixels_copy(digits):
    x, _ = digits
    np.testing.assert_array_equal(A.shift(x, 0, 0), x)
    moved = A.shift(x, 2, -1)
    np.testing.assert_array_equal(moved[:, 2:, :-1], x[:, :-2, 1:])
    assert np.all(moved[:, :2] == 0) and np.all(moved[:, :, -1] == 0)


def test_half_pixel_shift_averages_neighbours(digits):
    x, _ = digits
    half = A.shift(x, 0.5, 0)
    np.testing.assert_allclose(half[:, 1:], (x[:, 1:] + x[:, :-1]) / 2)


def test_rotation_conventions_and_round_trip(digits):
    x, _ = digits
    np.testing.assert_allclose(A.rotate(x, 90), np.rot90(x, axes=(1, 2)), atol=1e-12)
    np.testing.assert_allclose(A.rotate(x, 180), x[:, ::-1, ::-1], atol=1e-12)
    np.testing.assert_allclose(A.rotate(x, 0), x)
    fine = np.kron(x, np.ones((4, 4)))
    turned = A.rotate(fine, 25)
    back = A.rotate(turned, -25)
    moved = np.abs(turned - fine).sum() / fine.sum()
    round_trip = np.abs(back - fine).sum() / fine.sum()
    assert round_trip < moved / 4 and round_trip < 0.2


def test_zoom_identity_ink_law_and_inverse_in_the_centre(digits):
    x, _ = digits
    np.testing.assert_allclose(A.zoom(x, 1.0), x)
    ratio = A.zoom(x, 0.5).sum(axis=(1, 2)) / x.sum(axis=(1, 2))
    np.testing.assert_allclose(ratio, 0.25, atol=1e-12)  # zoom out by s: ink x s²
    fine = np.kron(x, np.ones((4, 4)))
    back = A.zoom(A.zoom(fine, 1.5), 1 / 1.5)
    centre = (slice(None), slice(10, 22), slice(10, 22))
    assert np.abs(back - fine)[centre].sum() < 0.15 * fine[centre].sum()


def test_transform_combines_and_takes_one_value_per_image(digits):
    x, _ = digits
    np.testing.assert_allclose(A.transform(x, angle=30), A.rotate(x, 30))
    np.testing.assert_allclose(A.transform(x, scale=0.7), A.zoom(x, 0.7))
    np.testing.assert_allclose(A.transform(x, dy=-1.5, dx=0.25), A.shift(x, -1.5, 0.25))
    angles = np.linspace(-30, 30, len(x))
    per_image = A.transform(x, angle=angles)
    for i in (0, 7, len(x) - 1):
        np.testing.assert_allclose(per_image[i], A.rotate(x[i], angles[i]))
    assert A.rotate(x[0], 10).shape == (8, 8)  # one image in, one image out


def test_flip_left_right_twice_is_identity(digits):
    x, _ = digits
    np.testing.assert_array_equal(A.flip_left_right(A.flip_left_right(x)), x)
    np.testing.assert_array_equal(A.flip_left_right(x[0]), x[0][:, ::-1])


# ---------------------------------------------------------------- blur and noise
@pytest.mark.parametrize("sigma", [0.3, 1.0, 2.5])
def test_gaussian_kernel_is_normalized_symmetric_and_peaked(sigma):
    k = A.gaussian_kernel(sigma)
    assert len(k) == 2 * max(1, int(np.ceil(3 * sigma))) + 1
    assert k.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(k, k[::-1])
    assert np.argmax(k) == len(k) // 2


def test_kernel_of_sigma_zero_is_no_blur_and_arrays_give_one_row_each():
    np.testing.assert_array_equal(A.gaussian_kernel(0.0), [0.0, 1.0, 0.0])
    k = A.gaussian_kernel(np.array([0.0, 0.5, 1.0]), 3)
    assert k.shape == (3, 7)
    np.testing.assert_allclose(k.sum(axis=1), 1.0)
    np.testing.assert_allclose(k[2], A.gaussian_kernel(1.0, 3))


def test_blur_keeps_total_intensity_and_flat_images(digits):
    x, _ = digits
    for sigma in (0.5, 1.0, 3.0):  # sigma 3: the kernel is wider than the image
        np.testing.assert_allclose(
            A.gaussian_blur(x, sigma).sum(axis=(1, 2)), x.sum(axis=(1, 2)), rtol=1e-12
        )
    np.testing.assert_allclose(A.gaussian_blur(np.full((2, 8, 8), 0.4), 1.2), 0.4)
    np.testing.assert_allclose(A.gaussian_blur(x, 0.0), x)
    sigmas = np.linspace(0, 1.5, len(x))
    per_image = A.gaussian_blur(x, sigmas)
    np.testing.assert_allclose(per_image[5], A.gaussian_blur(x[5], sigmas[5]), atol=1e-12)


def test_noise_has_the_asked_spread_is_seeded_and_clipped(digits):
    x, _ = digits
    noisy = A.add_noise(x, 0.1, rng=3, clip=False)
    assert np.std(noisy - x) == pytest.approx(0.1, rel=0.05)
    np.testing.assert_array_equal(A.add_noise(x, 0.1, rng=3), A.add_noise(x, 0.1, rng=3))
    clipped = A.add_noise(x, 0.5, rng=3)
    assert clipped.min() >= 0 and clipped.max() <= 1
    np.testing.assert_array_equal(A.add_noise(x, 0.0, rng=3), x)


# -------------------------------------------------------------- random augmenter
def test_augmenter_is_seeded_fresh_each_call_and_identity_at_zero_strength(digits):
    x, _ = digits
    settings = dict(rotation=20, zoom=0.2, shift=1.5, blur=0.8, noise=0.05)
    a, b = A.RandomAugmenter(**settings, seed=1), A.RandomAugmenter(**settings, seed=1)
    first = a(x)
    np.testing.assert_array_equal(first, b(x))
    assert not np.allclose(first, a(x))  # a second call draws new transforms
    assert first.shape == x.shape and a(x[0]).shape == (8, 8)
    np.testing.assert_allclose(A.RandomAugmenter(seed=0)(x), x)
    p = A.RandomAugmenter(rotation=10, zoom=0.1, shift=2, blur=1, seed=0).draw(500)
    assert np.abs(p["angle"]).max() <= 10 and np.abs(p["scale"] - 1).max() <= 0.1
    assert np.abs(p["dy"]).max() <= 2 and 0 <= p["sigma"].min() and p["sigma"].max() <= 1
    assert 1 < np.abs(p["dx"]).max() <= 2  # both shifts use the range, neither exceeds it
    assert "rotation=10" in repr(A.RandomAugmenter(rotation=10))


def test_fit_augmented_draws_new_images_every_epoch_and_records_history(digits):
    x, y = digits
    seen = []

    def augmenter(images):
        seen.append(images.shape)
        return A.shift(images, 0, 1)

    model = layers.mlp([64, 8, 10], seed=0)
    h = AT.fit_augmented(
        model,
        x,
        y,
        augmenter,
        optimizer=optim.Adam(0.01),
        epochs=4,
        copies=3,
        validation_data=(x[:10], y[:10]),
    )
    assert seen == [(3 * len(x), 8, 8)] * 4
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(h["loss"]) == 4 and h["loss"][-1] < h["loss"][0]
    expected = training.evaluate(model, x.reshape(len(x), -1), y, "cross_entropy")
    assert h["loss"][-1] == pytest.approx(expected["loss"])  # measured on the originals


def test_fit_augmented_is_fit_with_fresh_copies_and_can_skip_the_training_scores(digits):
    x, y = digits
    runs = []
    for score in (True, False):
        model = layers.mlp([64, 8, 10], seed=0)
        h = AT.fit_augmented(
            model,
            x,
            y,
            A.RandomAugmenter(rotation=10, shift=1.0, seed=3),
            optimizer=optim.Adam(0.01),
            epochs=13,
            copies=2,
            validation_data=(x[:10], y[:10]),
            validate_last=3,
            score_train=score,
        )
        runs.append((h, model.get_weights()))
    # the same run by hand: one augmenter call per epoch, fit with a data function
    model, augmenter = (
        layers.mlp([64, 8, 10], seed=0),
        A.RandomAugmenter(rotation=10, shift=1.0, seed=3),
    )
    flat = x.reshape(len(x), -1)

    def data(epoch):
        new = augmenter(np.tile(x, (2, 1, 1))).reshape(2 * len(x), -1)
        return np.concatenate([flat, new]), np.tile(y, 3)

    training.fit(
        model, data, loss="cross_entropy", optimizer=optim.Adam(0.01), epochs=13, seed=lambda e: e
    )
    (scored, w_scored), (quick, w_quick) = runs
    assert set(quick) == {"val_loss", "val_accuracy"} and len(quick["val_loss"]) == 3
    assert quick["val_loss"] == scored["val_loss"] and len(scored["loss"]) == 13
    for a, b, c in zip(w_scored, w_quick, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_fit_augmented_copies_only_mode():
    x = np.random.default_rng(0).uniform(0, 1, (6, 4, 4))
    y = np.arange(6) % 2
    calls = []

    def augmenter(images):
        calls.append(len(images))
        return images

    AT.fit_augmented(
        layers.mlp([16, 2], seed=0),
        x,
        y,
        augmenter,
        optimizer=optim.SGD(0.1),
        epochs=2,
        keep_originals=False,
    )
    assert calls == [6, 6]


def test_draw_training_sets_is_balanced_disjoint_and_seeded():
    _, labels = datasets.load_digits()
    tr, extra, val = AT.draw_training_sets(labels, 10, 40, 600, seed=0)
    assert np.bincount(labels[tr]).tolist() == [10] * 10
    assert np.bincount(labels[extra]).tolist() == [40] * 10
    assert len(val) == 600
    assert not (set(tr) & set(extra) or set(tr) & set(val) or set(extra) & set(val))
    again = AT.draw_training_sets(labels, 10, 40, 600, seed=0)
    for a, b in zip((tr, extra, val), again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(tr, AT.draw_training_sets(labels, 10, 40, 600, seed=1)[0])


def test_mixup_blends_images_and_labels_alike(digits):
    x, y = digits
    mixed, soft, lam = A.mixup(x, y, alpha=0.4, rng=0)
    np.testing.assert_allclose(soft.sum(axis=1), 1.0)
    assert np.all((soft > 0).sum(axis=1) <= 2) and np.all((lam >= 0) & (lam <= 1))
    rng = np.random.default_rng(0)  # the same draws: lam first, then the partners
    np.testing.assert_allclose(rng.beta(0.4, 0.4, len(x)), lam)
    partner = rng.permutation(len(x))
    expected = lam[:, None, None] * x + (1 - lam[:, None, None]) * x[partner]
    np.testing.assert_allclose(mixed, expected)
    np.testing.assert_allclose(soft[np.arange(len(x)), y] >= lam - 1e-12, True)


# ------------------------------------------------------------------------ Keras
def _keras_apply(layer, x):
    return np.asarray(layer(x[..., None].astype("float32"), training=True))[..., 0]


@pytest.mark.parametrize("angle", [12.0, -35.0, 90.0])
def test_rotation_matches_keras(digits, angle):
    import keras

    x, _ = digits
    layer = keras.layers.RandomRotation((angle / 360, angle / 360), fill_mode="constant")
    assert np.abs(A.rotate(x, angle) - _keras_apply(layer, x)).max() < 1e-5


@pytest.mark.parametrize("scale", [0.8, 1.3])
def test_zoom_matches_keras(digits, scale):
    import keras

    x, _ = digits
    f = 1 / scale - 1
    layer = keras.layers.RandomZoom((f, f), fill_mode="constant")
    assert np.abs(A.zoom(x, scale) - _keras_apply(layer, x)).max() < 1e-5


def test_shift_matches_keras(digits):
    import keras

    x, _ = digits
    layer = keras.layers.RandomTranslation(
        (1.5 / 8, 1.5 / 8), (-0.25 / 8, -0.25 / 8), fill_mode="constant"
    )
    assert np.abs(A.shift(x, 1.5, -0.25) - _keras_apply(layer, x)).max() < 1e-5


def test_combined_transform_matches_keras_affine_transform(digits):
    import keras

    x, _ = digits
    rng = np.random.default_rng(0)
    p = {
        "angle": rng.uniform(-40, 40, len(x)),
        "scale": rng.uniform(0.7, 1.3, len(x)),
        "dy": rng.uniform(-2, 2, len(x)),
        "dx": rng.uniform(-2, 2, len(x)),
    }
    m = A.keras_transform_matrix((8, 8), **p)
    assert m.shape == (len(x), 8) and m.dtype == np.float32
    theirs = keras.ops.image.affine_transform(
        x[..., None].astype("float32"), m, interpolation="bilinear", fill_mode="constant"
    )
    assert np.abs(A.transform(x, **p) - np.asarray(theirs)[..., 0]).max() < 1e-5
    assert A.keras_transform_matrix((8, 8), angle=10).shape == (1, 8)


def test_blur_matches_keras_away_from_the_edges(digits):
    import keras

    x, _ = digits
    framed = np.pad(x, ((0, 0), (3, 3), (3, 3)))  # zero border >= kernel radius 3
    theirs = keras.ops.image.gaussian_blur(
        framed[..., None].astype("float32"), kernel_size=(7, 7), sigma=(0.8, 0.8)
    )
    assert np.abs(A.gaussian_blur(framed, 0.8) - np.asarray(theirs)[..., 0]).max() < 1e-5


def test_keras_augmentation_layers_are_the_identity_at_inference(digits):
    import keras

    x, _ = digits
    x4 = x[..., None].astype("float32")
    stack = keras.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            keras.layers.RandomRotation(0.05, seed=1),
            keras.layers.RandomZoom(0.1, seed=2),
            keras.layers.RandomTranslation(0.1, 0.1, seed=3),
            keras.layers.RandomGaussianBlur(value_range=(0, 1), seed=4),
        ]
    )
    np.testing.assert_array_equal(np.asarray(stack(x4, training=False)), x4)
    assert not np.allclose(np.asarray(stack(x4, training=True)), x4)


def test_keras_augmentation_called_directly_or_mapped_augments_validation_data_too(digits):
    # the pitfall notebook 04 warns about: outside a model the layers augment by default
    import keras
    import tensorflow as tf

    x4 = digits[0][..., None].astype("float32")
    layer = keras.layers.RandomRotation(0.1, fill_mode="constant", seed=1)
    assert not np.allclose(np.asarray(layer(x4)), x4)
    mapped = next(iter(tf.data.Dataset.from_tensor_slices(x4).batch(40).map(layer))).numpy()
    assert not np.allclose(mapped, x4)
    np.testing.assert_array_equal(np.asarray(layer(x4, training=False)), x4)


def test_split_augmenter_gives_each_group_its_own_augmenter(digits):
    x, y = digits
    chosen = y == 3
    split = A.SplitAugmenter(chosen, A.flip_left_right, lambda imgs: np.zeros_like(imgs))
    out = split(np.tile(x, (3, 1, 1)))  # three copies, as fit_augmented stacks them
    mask = np.tile(chosen, 3)
    assert mask.any() and (~mask).any()
    np.testing.assert_array_equal(out[mask], A.flip_left_right(np.tile(x, (3, 1, 1))[mask]))
    np.testing.assert_array_equal(out[~mask], 0.0)
    # it works inside fit_augmented: training images in order, copies stacked
    seen = []

    def spy(imgs):
        seen.append(imgs.copy())
        return imgs

    model = layers.mlp([64, 4, 10], seed=0)
    AT.fit_augmented(
        model,
        x,
        y,
        A.SplitAugmenter(chosen, spy, spy),
        optimizer=optim.SGD(0.1),
        epochs=1,
        copies=2,
    )
    stacked = np.tile(x, (2, 1, 1))
    np.testing.assert_array_equal(seen[0], stacked)  # the other augmenter sees the whole stack
    np.testing.assert_array_equal(seen[1], stacked[np.tile(chosen, 2)])  # then the chosen
    with pytest.raises(ValueError, match="whole copies"):
        split(x[:-1])
    with pytest.raises(ValueError, match="boolean"):
        A.SplitAugmenter(y, A.flip_left_right, A.flip_left_right)
    with pytest.raises(TypeError, match="callable"):
        A.SplitAugmenter(chosen, "flip", A.flip_left_right)


# -------------------------------------------------------------- argument checks
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: A.rotate(np.zeros(64), 10), ValueError, r"\(H, W\) or a batch \(N, H, W\)"),
        (lambda: A.rotate(np.zeros((2, 2, 8, 8)), 10), ValueError, r"got shape \(2, 2, 8, 8\)"),
        (lambda: A.shift(np.zeros((3, 8, 8, 1)), 1, 1), ValueError, "drop the channel axis"),
        (lambda: A.zoom(np.zeros((8, 1)), 2), ValueError, "H, W >= 2"),
        (lambda: A.shift("image", 1, 1), TypeError, "array of pixel values"),
        (lambda: A.rotate(np.full((8, 8), np.nan), 1), ValueError, "finite"),
        (lambda: A.zoom(np.zeros((8, 8)), 0), ValueError, r"scale must be in \(0, inf\]"),
        (lambda: A.zoom(np.zeros((8, 8)), -1.5), ValueError, "scale must be in"),
        (lambda: A.zoom(np.zeros((2, 8, 8)), np.array([1.0, 0.0])), ValueError, "scale must be >"),
        (lambda: A.rotate(np.zeros((3, 8, 8)), np.ones(2)), ValueError, "one number per image"),
        (lambda: A.rotate(np.zeros((8, 8)), "10"), TypeError, "angle must be"),
        (lambda: A.gaussian_blur(np.zeros((8, 8)), -1), ValueError, r"sigma must be in \[0, inf\]"),
        (
            lambda: A.gaussian_blur(np.zeros((2, 8, 8)), np.array([0.5, -0.5])),
            ValueError,
            "sigma must be >= 0",
        ),
        (lambda: A.gaussian_kernel(1.0, radius=-1), ValueError, "radius must be an int"),
        (lambda: A.add_noise(np.zeros((8, 8)), -0.1), ValueError, r"std must be in \[0, inf\]"),
        (lambda: A.add_noise(np.zeros((8, 8)), 0.1, rng="x"), TypeError, "rng must be"),
        (lambda: A.RandomAugmenter(rotation=200), ValueError, r"rotation must be in \[0, 180\]"),
        (lambda: A.RandomAugmenter(zoom=1.0), ValueError, r"zoom must be in \[0, 1\)"),
        (lambda: A.RandomAugmenter(blur=-1), ValueError, "blur must be in"),
        (lambda: A.RandomAugmenter(seed=-1), ValueError, "seed must be an int"),
        (
            lambda: AT.fit_augmented(
                layers.mlp([64, 10]),
                np.zeros((3, 8, 8)),
                np.zeros(2, int),
                lambda v: v,
                optimizer=optim.SGD(0.1),
                epochs=1,
            ),
            ValueError,
            "same length",
        ),
        (
            lambda: AT.fit_augmented(
                layers.mlp([64, 10]),
                np.zeros((3, 8, 8)),
                np.zeros(3, int),
                "flip",
                optimizer=optim.SGD(0.1),
                epochs=1,
            ),
            TypeError,
            "augmenter must be callable",
        ),
        (
            lambda: AT.fit_augmented(
                layers.mlp([64, 10]),
                np.zeros((3, 8, 8)),
                np.zeros(3, int),
                lambda v: v,
                optimizer=optim.SGD(0.1),
                epochs=1,
                validation_data=(np.zeros((3, 8, 8)),),
            ),
            ValueError,
            "validation_data must be a pair",
        ),
        (
            lambda: AT.draw_training_sets(np.zeros(30, int), 20, 20, 5),
            ValueError,
            "fewer than per_class",
        ),
        (lambda: AT.draw_training_sets(np.zeros(30, int), 5, 5, 25), ValueError, "n_val must be"),
        (lambda: A.mixup(np.zeros((8, 8)), [1]), ValueError, "needs a batch"),
        (lambda: A.keras_transform_matrix((8,), angle=1), ValueError, r"shape must be \(H, W\)"),
        (lambda: AF.plot_digits(np.zeros((2, 8, 8)), ["one"]), ValueError, "one entry per image"),
        (lambda: AF.augmentation_preview_figure(rotation=270), ValueError, "rotation must be"),
        (lambda: AF.augmentation_preview_figure(n_rows=0), ValueError, "n_rows must be"),
    ],
)
def test_bad_input_is_rejected_clearly(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ------------------------------------------------------------- figures and widget
def test_preview_figure_is_pure_and_follows_its_arguments():
    a = plotting.figure_to_array(AF.augmentation_preview_figure(15, 0.1, 1.0, 0.5))
    b = plotting.figure_to_array(AF.augmentation_preview_figure(15, 0.1, 1.0, 0.5))
    c = plotting.figure_to_array(AF.augmentation_preview_figure(90, 0.3, 2.0, 1.0))
    np.testing.assert_array_equal(a, b)
    assert a.shape == c.shape and not np.array_equal(a, c)
    fig = AF.augmentation_preview_figure(n_rows=2)
    assert len(fig.axes) == 1 and "rotation ±15°" in fig.axes[0].get_title()


def test_plot_digits_draws_titles(digits):
    x, _ = digits
    fig = AF.plot_digits(x[:5], ["a", "b", "c", "d", "e"], ncols=3, suptitle="five")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["a", "b", "c", "d", "e"] and fig.axes[0].get_title() == "five"


# ------------------------------------------------------------ exercise hints
def _hint(result):
    assert result.status == "wrong", result
    return result.message


def test_exercise_1_hints_negative_and_off_frame_shifts():
    from course_utils.exercises import nb04

    solution = nb04._shift_solution()
    # the cases go beyond the notebook's one-row-down example
    assert any(dy < 0 or dx < 0 for dy, dx in nb04.SHIFT_CASES)
    assert any(abs(dy) >= 8 or abs(dx) >= 8 for dy, dx in nb04.SHIFT_CASES)
    x = np.random.default_rng(0).uniform(size=(2, 8, 8))
    for dy, dx in nb04.SHIFT_CASES:
        np.testing.assert_array_equal(solution(x, dy, dx), A.shift(x, dy, dx))

    def no_clamp(images, dy, dx):  # right for shifts inside the frame only
        return solution(images, dy, dx) if max(abs(dy), abs(dx)) < 8 else np.ones_like(images)

    assert "all zeros" in _hint(nb04.check_1(no_clamp))
    assert "negative shift" in _hint(nb04.check_1(nb04._shift_wrong()))

    def backwards(images, dy, dx):
        return solution(images, -dy, -dx)

    assert "wrong way" in _hint(nb04.check_1(backwards))

    def interpolates(images, dy, dx):  # right values, but blends in a neighbour with weight 0
        return solution(images, dy, dx) + 0.0 * np.roll(images, 1, axis=2)

    with np.errstate(invalid="ignore"):
        assert "NaN" in _hint(nb04.check_1(interpolates))


def test_exercise_2_accepts_either_answer_only_where_it_is_debatable():
    from course_utils.exercises import nb04

    right = nb04._labels_solution()
    debatable = {"flip top-bottom", "rotate 90 degrees", "rotate 180 degrees"}
    assert debatable.isdisjoint(right["photos"])
    assert nb04.check_2({"digits": right["digits"], "photos": right["photos"] | debatable})
    # transforms the notebook never discussed decide the answer for digits
    for name in (
        "flip top-bottom",
        "rotate 90 degrees",
        "keep one corner (a quarter of the image)",
    ):
        result = nb04.check_2({"digits": right["digits"] | {name}, "photos": right["photos"]})
        assert name in _hint(result)
    photos_without_flip = right["photos"] - {"flip left-right"}
    assert "mirror" in _hint(
        nb04.check_2({"digits": right["digits"], "photos": photos_without_flip})
    )


def test_exercise_3_radius_and_the_courses_rule_of_thumb():
    from course_utils.exercises import nb04

    radius_for = nb04._radius_solution()
    # the hand-checked case: sigma 1 needs radius 2 for 99% (99.09%), radius 1 holds 94%
    assert radius_for(1.0, 0.99) == 2
    assert nb04.kernel_mass(1.0, 1) < 0.99 <= nb04.kernel_mass(1.0, 2)
    # the success message claims ceil(3 sigma) keeps at least 99.7% for every sigma
    sigmas = np.linspace(0.05, 20, 800)
    assert min(nb04.kernel_mass(s, int(np.ceil(3 * s))) for s in sigmas) >= 0.997
    # and the normalized course kernel is the truncated Gaussian
    k = A.gaussian_kernel(1.0, 2)
    assert abs(k.sum() - 1) < 1e-12
    # "never narrower than radius_for(sigma, 0.997), at most one pixel wider"
    for s in np.round(np.arange(0.1, 10.01, 0.1), 2):
        assert 0 <= int(np.ceil(3 * s)) - radius_for(s, 0.997) <= 1, s
    assert int(np.ceil(3 * 0.5)) == 2 and radius_for(0.5, 0.997) == 1
    assert "smallest" in _hint(nb04.check_3(lambda s, m: int(np.ceil(3 * s))))
    assert "one too many" in _hint(nb04.check_3(lambda s, m: radius_for(s, m) + 1))

    def one_sided(sigma, mass):  # offsets 0..R against the one-sided total
        i = np.arange(0, 1001)
        w = np.exp(-(i**2) / (2 * sigma**2))
        r = 0
        while w[: r + 1].sum() < mass * w.sum():
            r += 1
        return r

    assert "less than" in _hint(nb04.check_3(one_sided))
    assert "less than" in _hint(nb04.check_3(lambda s, m: 0))
    assert "int" in _hint(nb04.check_3(lambda s, m: float(radius_for(s, m))))
