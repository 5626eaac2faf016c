"""Customers simulated from the BG/NBD and Pareto/NBD stories, for parameter-recovery tests,
benchmarks and trying a model on data whose truth is known.

Each customer makes a first purchase at time 0 and is observed until ``T``; the result has the
columns a fitter reads (frequency, recency, T). The simulation runs purchase by purchase over
all still-active customers at once, so a million customers take a second or two.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from huaxiang.errors import UsageError


def _ages(T: Any, n: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    ages = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    if np.any(ages < 0) or not np.all(np.isfinite(ages)):
        raise UsageError("T must be finite and non-negative")
    return ages


def simulate_beta_geo(
    n: int,
    T: Any,
    r: float,
    alpha: float,
    a: float,
    b: float,
    *,
    seed: int = 0,
    modified: bool = False,
) -> pd.DataFrame:
    """``n`` BG/NBD customers (MBG/NBD with ``modified``) observed for ``T`` (a number or one
    per customer): Poisson purchases at rate lambda ~ Gamma(r, rate alpha), and after each
    repeat purchase (``modified``: also after the first) dropout with p ~ Beta(a, b)."""
    rng = np.random.default_rng(seed)
    ages = _ages(T, n)
    rate = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    frequency = np.zeros(n)
    recency = np.zeros(n)
    now = np.zeros(n)
    active = np.ones(n, dtype=bool)
    if modified:
        active &= rng.random(n) >= p
    while active.any():
        idx = np.flatnonzero(active)
        now[idx] += rng.exponential(1 / rate[idx])
        bought = now[idx] <= ages[idx]
        done = idx[~bought]
        active[done] = False
        hit = idx[bought]
        frequency[hit] += 1
        recency[hit] = now[hit]
        active[hit[rng.random(len(hit)) < p[hit]]] = False
    return pd.DataFrame({"frequency": frequency, "recency": recency, "T": ages})


def simulate_pareto_nbd(
    n: int, T: Any, r: float, alpha: float, s: float, beta: float, *, seed: int = 0
) -> pd.DataFrame:
    """``n`` Pareto/NBD customers observed for ``T``: Poisson purchases at rate
    lambda ~ Gamma(r, rate alpha) until an exponential lifetime with rate mu ~ Gamma(s, beta)."""
    rng = np.random.default_rng(seed)
    ages = _ages(T, n)
    rate = rng.gamma(r, 1 / alpha, n)
    death = rng.exponential(1 / rng.gamma(s, 1 / beta, n))
    horizon = np.minimum(death, ages)
    frequency = rng.poisson(rate * horizon).astype(float)
    # given their number, purchase times in (0, horizon) are uniform: the last is the maximum
    # of `frequency` uniforms, horizon * U^(1/frequency)
    with np.errstate(divide="ignore"):
        last = horizon * rng.random(n) ** (1 / np.maximum(frequency, 1))
    recency = np.where(frequency > 0, last, 0.0)
    return pd.DataFrame({"frequency": frequency, "recency": recency, "T": ages})
