"""K-means with k chosen by silhouette, reproducible to the cluster id.

The numbers only (no warehouse): a matrix of customers x features in, a fitted model out.

- Every column is standardised (mean 0, standard deviation 1; a constant column stays 0).
- k is chosen over ``k_range`` by the mean silhouette: for each k, K-means is fitted on a
  fixed-seed sample of the rows and the silhouette is computed on that sample (exact silhouettes
  cost the square of the rows, so on a million customers only a sample is affordable). The
  whole curve ``{k: score}`` is kept; ties go to the smaller k.
- The final model starts from the chosen sample model's centres and is fitted on all rows.
- Reproducible: rows are put in a canonical order (by their values) before anything is
  sampled or fitted, so the same rows in any order give the same model; the seed is fixed;
  cluster ids are 1..k by size, largest first (ties by centre), whatever order K-means found
  them in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from huaxiang.errors import DataError, UsageError

Matrix = npt.NDArray[np.float64]
Labels = npt.NDArray[np.int32]

N_INIT = 4  # k-means++ restarts per k on the sample (the best by inertia is kept)
# OpenMP (K-means) and OpenBLAS (silhouette) threads busy-wait for each other: on a machine
# whose cores are busy with other work they ran up to 10x slower than one thread (K-means on
# 20,000 rows: 12 s against 0.9 s); one thread fits a million rows in about a second anyway
THREADS = 1
_CHUNK = 128  # silhouette rows per block of distances (128 x 20,000 doubles = 20 MB)


@dataclass(frozen=True)
class KMeansResult:
    """A fitted model: ``labels[i]`` (1..k) is the cluster of row i of the input matrix."""

    k: int
    labels: Labels
    centers: Matrix  # k x features, standardised units; row j is cluster j + 1
    mean: Matrix  # per feature, for standardising new rows the same way
    std: Matrix
    weights: Matrix  # per feature, applied to the standardised values
    silhouette: dict[int, float]  # the curve k -> mean silhouette on the sample
    sizes: tuple[int, ...]  # rows per cluster, cluster 1 first
    inertia: float  # sum of squared distances to the centres (weighted units), all rows
    rows: int
    sample_size: int
    seed: int

    @property
    def centers_raw(self) -> Matrix:
        """The centres in the units of the input matrix."""
        return self.centers * self.std + self.mean

    def predict(self, matrix: Matrix) -> Labels:
        """The cluster id (1..k) of each row of ``matrix`` (same columns as the input)."""
        z = (np.asarray(matrix, dtype=np.float64) - self.mean) / self.std * self.weights
        nearest = _squared_distances(z, self.centers * self.weights).argmin(axis=1)
        labels: Labels = (nearest + 1).astype(np.int32)
        return labels


def choose_and_fit(
    matrix: npt.ArrayLike,
    *,
    k_range: Iterable[int] = range(2, 9),
    k: int | None = None,
    seed: int = 7,
    sample: int = 20_000,
    weights: npt.ArrayLike | None = None,
) -> KMeansResult:
    """Standardise ``matrix`` (rows x features), choose k in ``k_range`` by silhouette on a
    sample of ``sample`` rows (or take ``k`` as given; its silhouette is still reported), and
    fit K-means with that k on all rows.

    ``weights`` (one per feature, default 1) scale the standardised columns in the distance:
    four columns of weight 0.5 count as much as one of weight 1.

    Raises DataError when the rows are too few (or too alike) for two clusters, when no
    feature varies, or when a value is missing or infinite.
    """
    x = _checked(matrix)
    ks = _ks(k_range, k)
    w = _weights(weights, x.shape[1])
    order = _canonical_order(x)
    x = x[order]
    mean = x.mean(axis=0)
    spread = x.std(axis=0)
    varies = spread > 1e-12 * np.maximum(1.0, np.abs(mean))
    if not varies.any():
        raise DataError(
            "the features have no variance: every row has the same values, so there is "
            "nothing to cluster",
            hint="choose other features, or check that the data behind them were loaded",
        )
    std = np.where(varies, spread, 1.0)
    z = np.where(varies, (x - mean) / std, 0.0) * w
    picked = _sample(len(z), sample, seed)
    sampled = z[picked]
    distinct = _distinct_sorted(sampled)
    usable = [c for c in ks if c <= min(distinct, len(sampled) - 1)]
    if not usable:
        raise DataError(
            f"too few distinct rows to cluster: {len(x)} row(s), {distinct} distinct in the "
            f"sample; k = {min(ks)} needs {min(ks)} distinct rows and {min(ks) + 1} rows",
            hint="cluster more customers, or ask for fewer clusters",
        )

    with threadpool_limits(THREADS):
        models = {c: KMeans(c, n_init=N_INIT, random_state=seed).fit(sampled) for c in usable}
        curve = silhouette_scores(sampled, [models[c].labels_ for c in usable])
        silhouette = dict(zip(usable, curve, strict=True))
        chosen = max(usable, key=lambda c: (round(silhouette[c], 12), -c))
        final = KMeans(chosen, init=models[chosen].cluster_centers_, n_init=1, random_state=seed)
        final.fit(z)
    centers, sorted_labels, sizes = _relabel(
        np.asarray(final.cluster_centers_, dtype=np.float64) / w, final.labels_
    )
    labels = np.empty(len(z), dtype=np.int32)
    labels[order] = sorted_labels
    return KMeansResult(
        k=chosen,
        labels=labels,
        centers=centers,
        mean=mean,
        std=std,
        weights=w,
        silhouette=silhouette,
        sizes=sizes,
        inertia=float(final.inertia_),
        rows=len(z),
        sample_size=len(sampled),
        seed=seed,
    )


def silhouette_scores(points: Matrix, labelings: list[npt.NDArray[np.int_]]) -> list[float]:
    """The mean silhouette (Euclidean) of each labeling of the same ``points``.

    sklearn's ``silhouette_score`` computes all pairwise distances once per labeling; here they
    are computed once for all labelings, a block of rows at a time, and each labeling's
    per-cluster distance sums come from one matrix product with its one-hot membership.
    The result equals sklearn's (a point alone in its cluster scores 0).
    """
    n = len(points)
    codes = [np.unique(lab, return_inverse=True)[1].ravel() for lab in labelings]
    widths = [int(c.max()) + 1 for c in codes]
    offsets = np.concatenate([[0], np.cumsum(widths)])
    onehot = np.zeros((n, int(offsets[-1])))
    for code, start in zip(codes, offsets[:-1], strict=True):
        onehot[np.arange(n), start + code] = 1.0
    counts = onehot.sum(axis=0)
    norms = np.einsum("ij,ij->i", points, points)
    twice = -2.0 * points.T
    totals = np.zeros(len(labelings))
    for lo in range(0, n, _CHUNK):
        # |x - y|^2 = |x|^2 + |y|^2 - 2 x.y, in place: the passes over the block dominate
        distances = points[lo : lo + _CHUNK] @ twice
        distances += norms
        distances += norms[lo : lo + _CHUNK, None]
        np.maximum(distances, 0.0, out=distances)
        np.sqrt(distances, out=distances)
        rows = np.arange(len(distances))
        distances[rows, lo + rows] = 0.0  # a point's distance to itself, free of rounding
        sums = distances @ onehot
        for j, (code, start, width) in enumerate(zip(codes, offsets[:-1], widths, strict=True)):
            own = code[lo : lo + _CHUNK]
            part = sums[:, start : start + width]
            size = counts[start : start + width]
            alone = size[own] <= 1
            a = part[rows, own] / np.maximum(size[own] - 1, 1)
            means = part / size
            means[rows, own] = np.inf
            b = means.min(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                s = np.nan_to_num((b - a) / np.maximum(a, b))
            totals[j] += float(np.where(alone, 0.0, s).sum())
    return [float(t / n) for t in totals]


def _checked(matrix: npt.ArrayLike) -> Matrix:
    x = np.asarray(matrix, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] == 0:
        raise DataError(f"expected a matrix of rows x features, got shape {x.shape}")
    if len(x) < 3:
        raise DataError(
            f"too few rows to cluster: {len(x)} (at least 3 are needed for two clusters "
            "and their silhouette)"
        )
    if not np.isfinite(x).all():
        bad = sorted({int(c) for c in np.nonzero(~np.isfinite(x))[1]})
        raise DataError(f"missing or infinite values in feature column(s) {bad}")
    return x


def _ks(k_range: Iterable[int], k: int | None) -> list[int]:
    ks = [k] if k is not None else sorted(set(k_range))
    if not ks or min(ks) < 2:
        raise UsageError(
            f"the number of clusters must be at least 2 (got {ks or 'an empty range'})"
        )
    return ks


def _weights(weights: npt.ArrayLike | None, features: int) -> Matrix:
    if weights is None:
        return np.ones(features)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (features,) or not (np.isfinite(w).all() and (w > 0).all()):
        raise UsageError(f"expected {features} positive feature weights, got {w.tolist()}")
    return w


def _canonical_order(x: Matrix) -> npt.NDArray[np.intp]:
    """An order of the rows that depends on their values only.

    Sorting on one fixed random projection is fast; equal keys are almost always equal rows
    (which are interchangeable), and when two different rows do share a key the rows are
    sorted on all their values instead.
    """
    direction = np.random.default_rng(0x5EED).standard_normal(x.shape[1])
    key = x @ direction
    order = np.argsort(key, kind="stable")
    ordered = x[order]
    same_key = np.diff(key[order]) == 0
    if same_key.any() and (ordered[1:][same_key] != ordered[:-1][same_key]).any():
        order = np.lexsort((*x.T[::-1], key))
    return order


def _sample(rows: int, size: int, seed: int) -> npt.NDArray[np.intp]:
    if rows <= size:
        return np.arange(rows)
    return np.sort(np.random.default_rng(seed).choice(rows, size, replace=False))


def _distinct_sorted(z: Matrix) -> int:
    """Distinct rows of a canonically ordered matrix (equal rows are adjacent)."""
    return 1 + int((z[1:] != z[:-1]).any(axis=1).sum())


def _relabel(
    centers: Matrix, labels: npt.NDArray[np.int_]
) -> tuple[Matrix, Labels, tuple[int, ...]]:
    """Ids 1..k by size (largest first), equal sizes by their centres' values."""
    k = len(centers)
    sizes = np.bincount(labels, minlength=k)
    rank = sorted(range(k), key=lambda c: (-int(sizes[c]), tuple(centers[c].round(9))))
    new_id = np.empty(k, dtype=np.int32)
    new_id[rank] = np.arange(1, k + 1, dtype=np.int32)
    return centers[rank], new_id[labels], tuple(int(sizes[c]) for c in rank)


def _squared_distances(points: Matrix, centers: Matrix) -> Matrix:
    squared: Matrix = (
        np.einsum("ij,ij->i", points, points)[:, None]
        + np.einsum("ij,ij->i", centers, centers)[None, :]
        - 2.0 * points @ centers.T
    )
    return squared
