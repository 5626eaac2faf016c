"""Special functions in the forms the buy-till-you-die models need without overflow.

The Pareto/NBD likelihood and the BG/NBD conditional expectation contain Gauss hypergeometric
functions whose parameters grow with a customer's purchase count; evaluated as written they
overflow beyond a few hundred purchases (lifetimes' Pareto/NBD returns inf there). Each is
rewritten with Euler's transformation into a factor taken in log space times a series that
stays between 1 and 1 / (1 - z).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import hyp2f1

Array = npt.NDArray[np.float64]


def log_hyp2f1_a_plus_one(a: Array, b: Array, z: Array) -> Array:
    """log 2F1(a, b; a + 1; z) for a > 0, b > 0 and 0 <= z < 1.

    Euler: 2F1(a, b; c; z) = (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z); with c = a + 1 the
    second function is 2F1(1, a + 1 - b; a + 1; z), whose series terms are positive when
    b < a + 1 and are bounded by z^k, so it lies in [1, 1 / (1 - z)]. When b >= a + 1 the
    original function is evaluated instead: there b is small next to nothing that can overflow.
    """
    a, b, z = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float), np.asarray(z, float))
    out = np.empty(a.shape)
    euler = b < a + 1
    if euler.any():
        ae, be, ze = a[euler], b[euler], z[euler]
        out[euler] = (1 - be) * np.log1p(-ze) + np.log(hyp2f1(1.0, ae + 1 - be, ae + 1, ze))
    rest = ~euler
    if rest.any():
        out[rest] = np.log(hyp2f1(a[rest], b[rest], a[rest] + 1, z[rest]))
    return out


def log_diff_exp(x: Array, y: Array) -> Array:
    """log(exp(x) - exp(y)) for x >= y (-inf where they are equal)."""
    with np.errstate(divide="ignore"):
        return x + np.log(-np.expm1(np.minimum(y - x, 0.0)))


def one_minus_pow_over(k: Array | float, u: Array) -> Array:
    """(1 - u^k) / k for u > 0, continuous at k = 0 (where it is -log u)."""
    log_u = np.log(u)
    k = np.asarray(k, float)
    small = np.abs(k) < 1e-10
    safe_k = np.where(small, 1.0, k)
    return np.where(small, -log_u, -np.expm1(k * log_u) / safe_k)
