"""What every customer model shares: the optimisation, its checks, standard errors, summaries,
saving and loading. A model writes only its log-likelihood (and, when it has one, the
analytic gradient), its starting point and its predictions.

- Parameters are positive, so the optimiser works on their logarithms (no bounds to hit, and
  the steps are relative). L-BFGS-B minimises the mean negative log-likelihood plus an optional
  L2 penalty on the parameters (``penalizer_coef``, as in lifetimes), then a few Newton steps
  on the exact Hessian polish the optimum to the last digits.
- Models without an analytic gradient get central differences, evaluated for all parameter
  offsets in one vectorised call.
- Standard errors come from the inverse Hessian of the log-likelihood in log parameters,
  carried to the natural parameters by the delta method (se(theta) = theta * se(log theta)).
- Parameters that run away (a log beyond +-18), a Hessian that is not positive definite, or an
  optimiser that stopped early end in a :class:`~huaxiang.errors.ModelWarning` that says why.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from huaxiang.errors import DataError, ModelWarning, UsageError
from huaxiang.models.inputs import column
from huaxiang.models.units import Unit, check_unit

Array = npt.NDArray[np.float64]
# the likelihoods make many small BLAS calls (dot products): with more than one thread on a
# busy machine each one waited for the others (a 16k dot product 70x slower than one thread)
THREADS = 1
RUNAWAY = 18.0  # |log parameter| beyond this: the parameter is running off to 0 or infinity
_STEP = 1e-5  # central-difference step in log parameters
_Z95 = 1.959963984540054


class NotFittedError(UsageError):
    """A prediction was asked of a model that has not been fitted or loaded."""


class BaseFitter:
    """Fit with ``fit``; learned values end in ``_``: ``params_``, ``log_likelihood_``,
    ``standard_errors_``, ``n_customers_``, ``converged_``, ``warnings_``."""

    PARAMS: ClassVar[tuple[str, ...]] = ()
    COLUMNS: ClassVar[tuple[str, ...]] = ()  # the columns ``fit`` reads from a frame

    def __init__(self, penalizer_coef: float = 0.0, *, unit: str | None = None) -> None:
        if not (penalizer_coef >= 0 and math.isfinite(penalizer_coef)):
            raise UsageError(f"penalizer_coef must be >= 0, not {penalizer_coef!r}")
        self.penalizer_coef = float(penalizer_coef)
        self.unit: Unit | None = check_unit(unit)
        self.params_: pd.Series | None = None
        self.standard_errors_: pd.Series | None = None
        self.log_likelihood_: float = math.nan
        self.n_customers_ = 0
        self.n_iter_ = 0
        self.converged_ = False
        self.warnings_: list[str] = []

    # -- what a model provides -------------------------------------------------------------
    def _prepare(self, cols: dict[str, Array], weights: Array) -> None:
        """Keep what the likelihood needs (arrays, their unique values) on ``self``."""
        raise NotImplementedError

    ANALYTIC: ClassVar[bool] = False  # True: the model writes _loglik_grad

    def _loglik(self, params: Array) -> Array:
        """Total weighted log-likelihood for each row of ``params`` (shape (m, k)) -> (m,);
        a model with an analytic gradient gets it from :meth:`_loglik_grad`."""
        if not self.ANALYTIC:
            raise NotImplementedError
        return np.array([self._loglik_grad(row)[0] for row in params])

    def _loglik_grad(self, params: Array) -> tuple[float, Array]:
        """(log-likelihood, its gradient in the natural parameters), for ``ANALYTIC`` models;
        the others are differentiated numerically."""
        raise NotImplementedError

    def _start(self) -> Array:
        """Starting parameters (natural scale)."""
        raise NotImplementedError

    def _diagnose(self, params: dict[str, float]) -> list[str]:
        """Model-specific reasons to distrust a fit."""
        return []

    # -- fitting --------------------------------------------------------------------------
    def _fit(
        self,
        cols: dict[str, Array],
        weights: Array | None,
        initial_params: Sequence[float] | None,
    ) -> Self:
        n = len(next(iter(cols.values())))
        w = np.ones(n) if weights is None else column("weights", weights, n)
        if weights is not None and (np.any(w < 0) or not np.all(np.isfinite(w))):
            raise DataError("weights must be finite and non-negative")
        cols, w = compress(cols, w)
        self._prepare(cols, w)
        self._total_weight = float(w.sum())
        self.warnings_ = []
        start = self._start() if initial_params is None else np.asarray(initial_params, float)
        if start.shape != (len(self.PARAMS),) or np.any(start <= 0):
            raise UsageError(
                f"initial_params must be {len(self.PARAMS)} positive numbers "
                f"({', '.join(self.PARAMS)})"
            )
        # trial points of the line search can be absurd (overflowing terms): the objective
        # then reports +inf-like values and the search steps back, so numpy's warnings are noise
        with np.errstate(all="ignore"), threadpool_limits(THREADS):
            result = minimize(
                self._objective,
                np.log(start),
                jac=True,
                method="L-BFGS-B",
                options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20},
            )
            x, self.n_iter_ = result.x, int(result.nit)
            x, hessian = self._polish(x)
        self.converged_ = bool(result.success) or self._stationary(x)
        params = np.exp(x)
        self.params_ = pd.Series(params, index=list(self.PARAMS), dtype=float)
        self.log_likelihood_ = float(self._loglik(params[None, :])[0])
        self.n_customers_ = round(self._total_weight)
        self.standard_errors_ = pd.Series(
            _standard_errors(hessian, params), index=list(self.PARAMS), dtype=float
        )
        reasons = self._checks(x, hessian, result)
        reasons += self._diagnose(dict(zip(self.PARAMS, map(float, params), strict=True)))
        for reason in reasons:
            self.warnings_.append(reason)
            warnings.warn(f"{type(self).__name__}: {reason}", ModelWarning, stacklevel=3)
        return self

    def _objective(self, log_params: Array) -> tuple[float, Array]:
        """Mean negative log-likelihood + penalty, and its gradient in log parameters."""
        params = np.exp(np.clip(log_params, -50, 50))
        if self.ANALYTIC:
            ll, grad = self._loglik_grad(params)
            grad = grad * params
        else:
            ll, grad = self._numeric_gradient(log_params)
        if not math.isfinite(ll):
            return 1e300, np.zeros_like(log_params)
        pen = self.penalizer_coef
        value = -ll / self._total_weight + pen * float(np.sum(params**2))
        gradient = -grad / self._total_weight + pen * 2 * params**2
        return value, gradient

    def _numeric_gradient(self, log_params: Array) -> tuple[float, Array]:
        k = len(log_params)
        points = np.vstack(
            [log_params, log_params + _STEP * np.eye(k), log_params - _STEP * np.eye(k)]
        )
        values = self._loglik(np.exp(points))
        return float(values[0]), (values[1 : k + 1] - values[k + 1 :]) / (2 * _STEP)

    def _hessian(self, log_params: Array) -> Array:
        """The Hessian of the penalised total negative log-likelihood in log parameters."""
        k = len(log_params)
        scale = self._total_weight
        if self.ANALYTIC:
            h = 1e-5
            rows = []
            for i in range(k):
                e = h * np.eye(k)[i]
                rows.append(
                    (self._objective(log_params + e)[1] - self._objective(log_params - e)[1])
                    / (2 * h)
                )
            hess = np.array(rows) * scale
            return (hess + hess.T) / 2
        h = 1e-4
        eye = np.eye(k) * h
        points = [log_params]
        for i in range(k):
            points += [log_params + eye[i], log_params - eye[i]]
        pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
        for i, j in pairs:
            points += [
                log_params + eye[i] + eye[j],
                log_params + eye[i] - eye[j],
                log_params - eye[i] + eye[j],
                log_params - eye[i] - eye[j],
            ]
        stacked = np.array(points)
        natural = np.exp(stacked)
        f = -self._loglik(natural) + scale * self.penalizer_coef * np.sum(natural**2, axis=1)
        hess = np.empty((k, k))
        for i in range(k):
            hess[i, i] = (f[1 + 2 * i] - 2 * f[0] + f[2 + 2 * i]) / h**2
        base = 1 + 2 * k
        for n, (i, j) in enumerate(pairs):
            pp, pm, mp, mm = f[base + 4 * n : base + 4 * n + 4]
            hess[i, j] = hess[j, i] = (pp - pm - mp + mm) / (4 * h**2)
        return hess

    def _polish(self, x: Array) -> tuple[Array, Array]:
        """Newton steps from the L-BFGS-B optimum while they lower the objective (the Hessian
        of the first point serves them all: the steps are tiny)."""
        value, grad = self._objective(x)
        hessian = self._hessian(x)
        for _ in range(8):
            try:
                step = np.linalg.solve(hessian / self._total_weight, grad)
            except np.linalg.LinAlgError:
                break
            if not np.all(np.isfinite(step)) or np.max(np.abs(step)) > 1.0:
                break
            candidate = x - step
            new_value, new_grad = self._objective(candidate)
            if not new_value <= value:
                break
            x, value, grad = candidate, new_value, new_grad
            if np.max(np.abs(step)) < 1e-12:
                break
        return x, hessian

    def _stationary(self, x: Array) -> bool:
        return bool(np.max(np.abs(self._objective(x)[1])) < 1e-6)

    def _checks(self, x: Array, hessian: Array, result: Any) -> list[str]:
        reasons = []
        runaway = [
            f"{name} towards {'0' if v < 0 else 'infinity'}"
            for name, v in zip(self.PARAMS, x, strict=True)
            if abs(v) > RUNAWAY
        ]
        if runaway:
            reasons.append(
                f"parameters ran off ({', '.join(runaway)}): the data do not determine them; "
                "predictions are limits and the standard errors mean nothing"
            )
        elif not self.converged_:
            reasons.append(f"the optimiser did not converge ({result.message})")
        if not runaway and not _positive_definite(hessian):
            reasons.append(
                "the likelihood is flat or curved the wrong way at the optimum: some parameters "
                "are not determined by the data (standard errors are missing)"
            )
        return reasons

    # -- results --------------------------------------------------------------------------
    def _params(self) -> dict[str, float]:
        if self.params_ is None:
            raise NotFittedError(
                f"this {type(self).__name__} has not been fitted",
                hint="call .fit(...) or load a saved model with .load(path)",
            )
        return {str(k): float(v) for k, v in self.params_.items()}

    @property
    def confidence_intervals_(self) -> pd.DataFrame:
        """95% intervals, from the normal approximation on the log scale (so they stay positive)."""
        params = pd.Series(self._params())
        se = self.standard_errors_ if self.standard_errors_ is not None else params * math.nan
        spread = np.exp(_Z95 * se / params)
        return pd.DataFrame(
            {"lower 95% bound": params / spread, "upper 95% bound": params * spread}
        )

    def summary(self) -> pd.DataFrame:
        """coef, se(coef) and 95% bounds per parameter."""
        params = pd.Series(self._params())
        frame = pd.DataFrame({"coef": params, "se(coef)": self.standard_errors_})
        return frame.join(self.confidence_intervals_)

    def __repr__(self) -> str:
        if self.params_ is None:
            return f"<{type(self).__name__}: not fitted>"
        text = ", ".join(f"{k}={v:.4g}" for k, v in self._params().items())
        return f"<{type(self).__name__}: fitted on {self.n_customers_:,} customers, {text}>"

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": type(self).__name__,
            "params": self._params(),
            "standard_errors": _plain(self.standard_errors_),
            "log_likelihood": self.log_likelihood_,
            "n_customers": self.n_customers_,
            "penalizer_coef": self.penalizer_coef,
            "unit": self.unit,
            "converged": self.converged_,
            "warnings": list(self.warnings_),
        }

    def save(self, path: str | Path) -> None:
        """Write the fitted model as JSON (parameters, not data)."""
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        if data.get("model") != cls.__name__:
            raise UsageError(f"this is a saved {data.get('model')}, not a {cls.__name__}")
        model = cls(float(data.get("penalizer_coef", 0.0)), unit=data.get("unit"))
        missing = [p for p in cls.PARAMS if p not in data.get("params", {})]
        if missing:
            raise DataError(f"the saved model lacks parameter(s) {', '.join(missing)}")
        model.params_ = pd.Series({p: float(data["params"][p]) for p in cls.PARAMS}, dtype=float)
        errors = data.get("standard_errors") or {}
        model.standard_errors_ = pd.Series(
            {p: _number(errors.get(p)) for p in cls.PARAMS}, dtype=float
        )
        model.log_likelihood_ = float(data.get("log_likelihood", math.nan))
        model.n_customers_ = int(data.get("n_customers", 0))
        model.converged_ = bool(data.get("converged", True))
        model.warnings_ = list(data.get("warnings", []))
        return model

    @classmethod
    def load(cls, path: str | Path) -> Self:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise UsageError(f"cannot read a saved model from {str(path)!r}: {exc}") from None
        return cls.from_dict(data)


def distinct_rows(*columns: Array) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(group of each row, one row of each group) over the distinct tuples of ``columns``
    (hash-based: no sort of the rows)."""
    n = len(columns[0])
    codes = np.zeros(n, dtype=np.int64)
    for values in columns:
        col, uniques = pd.factorize(values)
        codes, _ = pd.factorize(codes * len(uniques) + col)
    one_row = np.empty(int(codes.max()) + 1 if n else 0, dtype=np.int64)
    one_row[codes] = np.arange(n)  # any row of a group will do: their values are equal
    return codes, one_row


def compress(cols: dict[str, Array], weights: Array) -> tuple[dict[str, Array], Array]:
    """Identical rows merged into one with the sum of their weights: customers share few
    distinct (frequency, recency, T) when times are whole days, and the likelihood is a sum."""
    codes, one_row = distinct_rows(*cols.values())
    if len(one_row) > 0.8 * len(weights):
        return cols, weights  # hardly any duplicates: not worth it
    merged = np.bincount(codes, weights=weights, minlength=len(one_row)).astype(float)
    return {k: v[one_row] for k, v in cols.items()}, merged


def _standard_errors(hessian: Array, params: Array) -> Array:
    if not _positive_definite(hessian):
        return np.full(len(params), math.nan)
    cov_log = np.linalg.inv(hessian)
    return params * np.sqrt(np.diag(cov_log))


def _positive_definite(matrix: Array) -> bool:
    if not np.all(np.isfinite(matrix)):
        return False
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        return False
    return True


def _number(value: Any) -> float:
    """A saved number; null (an undetermined standard error) reads as NaN."""
    return math.nan if value is None else float(value)


def _plain(series: pd.Series | None) -> dict[str, float | None]:
    if series is None:
        return {}
    return {str(k): (None if math.isnan(v) else float(v)) for k, v in series.items()}
