"""Shipped data: checksum, shape and failure modes; generators: seeded and validated."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from course_utils import datasets as D

ROOT = Path(__file__).resolve().parent.parent


def test_digits_load_with_checksum_shape_and_range():
    assert D.sha256_of(D.DIGITS_PATH) == D.DIGITS_SHA256
    images, labels = D.load_digits()
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    assert images.min() == 0.0 and images.max() == 1.0
    assert set(np.unique(labels)) == set(range(10))
    raw, _ = D.load_digits(scale=False)
    assert raw.dtype == np.uint8 and raw.max() == 16


def test_data_readme_states_the_checksum_and_where_the_file_is():
    readme = (ROOT / "data" / "README.md").read_text()
    assert D.DIGITS_SHA256 in readme and "CC BY 4.0" in readme
    assert "course_utils/data/digits.npz" in readme
    assert f"| {D.DIGITS_PATH.stat().st_size:,} bytes |" in readme


def test_digits_are_found_inside_the_package_and_stored_once():
    assert D.DIGITS_PATH == Path(D.__file__).parent / "data" / "digits.npz"
    tracked = subprocess.run(
        ["git", "ls-files", "*.npz"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked == ["course_utils/data/digits.npz"], f"one copy of the bytes in git: {tracked}"


def test_missing_digits_file_names_it_and_says_how_to_restore(tmp_path):
    missing = tmp_path / "digits.npz"
    with pytest.raises(
        D.DataFileError,
        match=r"digits.npz is missing.*git checkout -- course_utils/data/digits.npz.*reinstall",
    ):
        D.load_digits(missing)


def test_corrupt_digits_file_is_refused_and_left_untouched(tmp_path):
    bad = tmp_path / "digits.npz"
    shutil.copy(D.DIGITS_PATH, bad)
    data = bytearray(bad.read_bytes())
    data[100] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(D.DataFileError, match="corrupt or changed: its sha256 is"):
        D.load_digits(bad)
    assert bad.read_bytes() == bytes(data)  # never overwritten


def test_generators_are_seeded():
    for make in (D.make_regression_1d, D.make_classification_2d, D.make_sparse_linear):
        a, b = make(seed=3), make(seed=3)
        for u, v in zip(a, b, strict=True):
            np.testing.assert_array_equal(u, v)
        c = make(seed=4)
        assert not np.array_equal(a[0], c[0])


def test_generator_shapes_and_properties():
    x, y = D.make_regression_1d(30, 0.0, seed=0)
    assert x.shape == y.shape == (30,) and np.all(np.diff(x) >= 0)
    np.testing.assert_allclose(y, D.true_function_1d(x))
    X, y = D.make_classification_2d(101, seed=0)
    assert X.shape == (101, 2) and np.bincount(y).tolist() == [51, 50]
    X, y, coef = D.make_sparse_linear(50, 20, 4, noise=0.0, seed=0)
    assert np.count_nonzero(coef) == 4 and np.all(np.abs(coef[:4]) >= 1)
    np.testing.assert_allclose(y, X @ coef)


def test_split_and_helpers():
    X = np.arange(100).reshape(50, 2)
    y = np.arange(50)
    Xtr, _, _, ytr, yva, yte = D.train_val_test_split(X, y, val=0.2, test=0.2, seed=0)
    assert (len(ytr), len(yva), len(yte)) == (30, 10, 10)
    assert sorted(np.r_[ytr, yva, yte].tolist()) == list(range(50))
    np.testing.assert_array_equal(Xtr[:, 0] // 2, ytr)
    assert D.polynomial_features(np.array([2.0]), 3).tolist() == [[2.0, 4.0, 8.0]]
    assert D.one_hot(np.array([1, 0]), 3).tolist() == [[0, 1, 0], [1, 0, 0]]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: D.make_regression_1d(0), r"n must be an int in \[1, inf\]"),
        (lambda: D.make_regression_1d(10, noise=-1), r"noise must be in \[0, inf\]"),
        (lambda: D.make_regression_1d(10, x_range=(1, 0)), "low < high"),
        (lambda: D.make_classification_2d(1), r"n must be an int in \[2, inf\]"),
        (lambda: D.make_sparse_linear(10, 5, 6), r"n_informative must be in \[0, n_features=5\]"),
        (lambda: D.make_regression_1d(10, seed=-1), r"seed must be an int in \[0, inf\], got -1"),
        (lambda: D.make_regression_1d(10, seed="a"), "seed must be an int"),
        (lambda: D.train_val_test_split(np.zeros(5), np.zeros(4)), "same length"),
        (
            lambda: D.train_val_test_split(np.zeros(5), val=0.6, test=0.5),
            "val \\+ test must be < 1",
        ),
        (lambda: D.polynomial_features(np.zeros((2, 2)), 2), "1-D"),
        (lambda: D.one_hot(np.array([0, 3]), 3), r"labels must be in \[0, 3\)"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
