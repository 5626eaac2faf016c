"""choose_and_fit: k by silhouette, the blobs recovered, ids reproducible, clear refusals.

Witnesses: synthetic blobs with known centres (numpy, fixed seeds), sklearn's
``silhouette_score`` and ``adjusted_rand_score``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from sklearn.metrics import adjusted_rand_score, silhouette_score

from huaxiang.errors import DataError, UsageError
from huaxiang.models.kmeans import choose_and_fit, silhouette_scores


def blobs(
    centres: list[list[float]], per_blob: int, *, spread: float = 1.0, seed: int = 3
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int_]]:
    """Points around ``centres`` (isotropic normal noise) and the blob each came from."""
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(len(centres)), per_blob)
    points = np.asarray(centres, dtype=np.float64)[truth] + rng.normal(
        0.0, spread, (len(truth), len(centres[0]))
    )
    return points, truth


# four blobs on very different scales per column: standardisation has work to do
FOUR = [[0.0, 0.0, 0.0], [10.0, 0.0, 500.0], [0.0, 10.0, 1000.0], [10.0, 10.0, 0.0]]
FOUR_SCALE = np.array([1.0, 1.0, 50.0])


def test_chosen_k_is_the_true_k_and_the_blobs_are_recovered() -> None:
    points, truth = blobs(FOUR, 300)
    points *= FOUR_SCALE  # the third column's spread is 50 times the others'
    result = choose_and_fit(points, k_range=range(2, 9))
    assert result.k == 4
    assert adjusted_rand_score(truth, result.labels) >= 0.95
    assert sorted(set(result.labels.tolist())) == [1, 2, 3, 4]
    # the raw centres are the blob centres, whichever id each got
    expected = np.asarray(FOUR) * FOUR_SCALE
    for j, centre in enumerate(result.centers_raw):
        blob = int(np.bincount(truth[result.labels == j + 1]).argmax())
        assert np.allclose(centre, expected[blob], atol=0.3 * FOUR_SCALE)


def test_k_chosen_on_a_sample_and_the_model_fitted_on_all_rows() -> None:
    centres = [[0, 0], [8, 0], [0, 8], [8, 8], [4, 16]]
    points, truth = blobs([[float(v) for v in c] for c in centres], 2_000, seed=5)
    result = choose_and_fit(points, sample=1_500, seed=11)
    assert result.k == 5
    assert result.sample_size == 1_500
    assert result.rows == len(points) == len(result.labels)
    assert adjusted_rand_score(truth, result.labels) >= 0.95
    assert sum(result.sizes) == len(points)


def test_silhouette_curve_has_an_entry_per_k_and_equals_sklearns() -> None:
    points, _ = blobs(FOUR, 100)
    result = choose_and_fit(points, k_range=range(2, 7))
    assert sorted(result.silhouette) == [2, 3, 4, 5, 6]
    assert result.silhouette[result.k] == max(result.silhouette.values())

    rng = np.random.default_rng(9)
    labelings = [rng.integers(0, k, len(points)) for k in (2, 3, 7)]
    labelings.append(np.r_[0, np.ones(len(points) - 1, dtype=int)])  # a cluster of one point
    ours = silhouette_scores(points, labelings)
    theirs = [silhouette_score(points, labels) for labels in labelings]
    assert ours == pytest.approx(theirs, abs=1e-12)


def test_a_given_k_is_fitted_and_its_silhouette_reported() -> None:
    points, _ = blobs(FOUR, 100)
    result = choose_and_fit(points, k=3)
    assert result.k == 3
    assert list(result.silhouette) == [3]
    assert len(result.sizes) == 3


def test_ids_are_the_same_on_every_run() -> None:
    points, _ = blobs(FOUR, 200, spread=3.0)  # overlapping blobs: many ways to go wrong
    first = choose_and_fit(points)
    second = choose_and_fit(points)
    assert np.array_equal(first.labels, second.labels)
    assert np.array_equal(first.centers, second.centers)
    assert first.silhouette == second.silhouette


def test_ids_do_not_depend_on_row_order() -> None:
    points, _ = blobs(FOUR, 200, spread=3.0)
    result = choose_and_fit(points, sample=500)
    for seed in (1, 2):
        permutation = np.random.default_rng(seed).permutation(len(points))
        shuffled = choose_and_fit(points[permutation], sample=500)
        assert np.array_equal(shuffled.labels, result.labels[permutation])
        assert np.array_equal(shuffled.centers, result.centers)
        assert shuffled.silhouette == result.silhouette


def test_ids_are_ordered_by_size_largest_first() -> None:
    sizes = [50, 400, 150]
    rng = np.random.default_rng(4)
    truth = np.repeat([0, 1, 2], sizes)
    points = np.array([[0.0, 0.0], [20.0, 0.0], [0.0, 20.0]])[truth] + rng.normal(
        size=(len(truth), 2)
    )
    result = choose_and_fit(points)
    assert result.k == 3
    assert result.sizes == (400, 150, 50)
    assert np.bincount(result.labels)[1:].tolist() == [400, 150, 50]
    assert np.array_equal(result.predict(points), result.labels)


def test_weights_decide_which_columns_count() -> None:
    # two blobs in column 0; column 1 is noise of the same spread as the blobs' separation
    rng = np.random.default_rng(8)
    truth = np.repeat([0, 1], 300)
    points = np.column_stack([truth * 6.0 + rng.normal(size=600), rng.normal(0, 6.0, 600)])
    heard = choose_and_fit(points, k=2, weights=[1.0, 0.05])
    assert adjusted_rand_score(truth, heard.labels) >= 0.95
    assert np.array_equal(heard.weights, [1.0, 0.05])
    with pytest.raises(UsageError, match="2 positive feature weights"):
        choose_and_fit(points, weights=[1.0, 0.0])


def test_repeated_rows_limit_k_to_the_distinct_rows() -> None:
    points = np.repeat([[0.0, 1.0], [5.0, 1.0], [0.0, 9.0]], 40, axis=0)
    result = choose_and_fit(points, k_range=range(2, 9))
    assert sorted(result.silhouette) == [2, 3]
    assert result.k == 3
    assert result.silhouette[3] == pytest.approx(1.0)  # every point sits on its centre


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (np.array([[1.0, 2.0]]), "too few rows to cluster: 1"),
        (np.ones((100, 3)), "the features have no variance"),
        (np.repeat([[1.0], [2.0]], 50, axis=0), "too few distinct rows to cluster"),
        (np.array([[1.0], [np.nan], [3.0], [4.0]]), "missing or infinite values"),
        (np.ones(10), "expected a matrix of rows x features"),
    ],
)
def test_degenerate_input_is_refused_clearly(matrix: npt.NDArray[np.float64], message: str) -> None:
    with pytest.raises(DataError, match=message):
        choose_and_fit(matrix, k_range=range(3, 6) if "distinct" in message else range(2, 9))


def test_a_k_below_two_is_a_usage_error() -> None:
    points, _ = blobs(FOUR, 20)
    with pytest.raises(UsageError, match="at least 2"):
        choose_and_fit(points, k=1)
    with pytest.raises(UsageError, match="at least 2"):
        choose_and_fit(points, k_range=range(0))
