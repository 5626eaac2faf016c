"""The predicted-value part of the :class:`~huaxiang.workspace.Workspace` facade: fit the
buy-till-you-die models on the workspace's orders, score the customers, refresh the tags that
read the scores."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Protocol

from huaxiang.compiler.plan import Plan
from huaxiang.console import Console
from huaxiang.engine.duckdb_engine import Engine
from huaxiang.store.opstore import OperationalStore
from huaxiang.tagging.build import TagBuild
from huaxiang.value import ValueFit, ValueScore, fit_value, score_value, value_runs


class ValueCore(Protocol):
    root: Path
    console: Console

    @property
    def engine(self) -> Engine: ...

    @property
    def store(self) -> OperationalStore: ...

    @property
    def state_dir(self) -> Path: ...

    def as_of(self, as_of: dt.date | None = None) -> dt.date: ...

    def build_tags(
        self, as_of: dt.date | None = None, *, plan: Plan | None = None, full: bool = False
    ) -> TagBuild: ...


class ValueMixin:
    def value_fit(
        self: ValueCore,
        *,
        model: str = "bgnbd",
        unit: str = "week",
        holdout: str | None = None,
        as_of: dt.date | None = None,
        penalizer: float = 0.0,
    ) -> ValueFit:
        """Fit the transaction model (bgnbd, mbgnbd or pareto) and Gamma-Gamma on the clean
        orders up to the as-of day; with ``holdout`` ("26w", "90d") also check the model on
        the last stretch of history first."""
        run_id = self.store.start_run("value-fit")
        try:
            result = fit_value(
                self.engine,
                self.state_dir / "models",
                self.console,
                as_of=self.as_of(as_of),
                model=model,
                unit=unit,
                holdout=holdout,
                penalizer=penalizer,
            )
        except BaseException:
            self.store.finish_run(run_id, "failed")
            raise
        self.store.finish_run(run_id, "ok", {"value_run": result.run_id, "model": model})
        self.store.audit("value-fit", {"run_id": result.run_id, "model": model})
        return result

    def value_score(
        self: ValueCore, run: str | None = None, *, refresh_tags: bool = True
    ) -> tuple[ValueScore, TagBuild | None]:
        """Score every customer with a fitted run (default: the latest) into
        ``customer_value``; then, when tags have been built before, rebuild the tags (only
        the prediction tags and those using them are computed again)."""
        run_id = self.store.start_run("value-score")
        try:
            score = score_value(self.engine, self.console, run)
        except BaseException:
            self.store.finish_run(run_id, "failed")
            raise
        self.store.finish_run(run_id, "ok", {"value_run": score.run_id})
        tags = None
        if refresh_tags and self.engine.table_exists("hx_tag_runs"):
            tags = self.build_tags()
        return score, tags

    def value_runs(self: ValueCore) -> list[dict[str, Any]]:
        return value_runs(self.engine)
