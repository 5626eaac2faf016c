"""The segment part of the :class:`~huaxiang.workspace.Workspace` facade.

Segments, their analytics and migrations, clustering and persona cards. Kept in its own
module so that the facade stays one class without one file growing past reading size; the
methods use only what the Workspace offers (``WorkspaceCore``).
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any, Protocol

from huaxiang.compiler.plan import Plan
from huaxiang.compiler.segments import check_segments
from huaxiang.config.models import WorkspaceConfig
from huaxiang.console import Console
from huaxiang.definitions.models import Text
from huaxiang.definitions.segments import SegmentCatalog, load_segments
from huaxiang.engine.duckdb_engine import Engine, quote_str
from huaxiang.errors import UsageError
from huaxiang.personas import PersonaCard, build_card, render_html
from huaxiang.personas.survey import drop_answers, prepare_answers
from huaxiang.segments import analytics
from huaxiang.segments.build import Preview, SegmentBuild, build_segments, preview_condition
from huaxiang.segments.clusters import (
    ClusterRun,
    cluster_runs,
    latest_cluster_run,
    promote_clusters,
    run_clustering,
)
from huaxiang.segments.migration import (
    Migration,
    migrated_customers,
    segment_migration,
    segment_runs,
)
from huaxiang.store.opstore import OperationalStore
from huaxiang.tagging.export import write_table
from huaxiang.tagging.history import RunRef


class WorkspaceCore(Protocol):
    root: Path
    config: WorkspaceConfig
    console: Console

    @property
    def engine(self) -> Engine: ...

    @property
    def store(self) -> OperationalStore: ...

    def tag_plan(self) -> Plan: ...

    def language(self, lang: str | None = None) -> str: ...


class SegmentsMixin:
    # -- definitions and builds -------------------------------------------------------------
    def segment_catalog(self: WorkspaceCore) -> SegmentCatalog:
        """Every segment definition under segments/ (ConfigError lists all problems)."""
        return load_segments(self.root)

    def segment_definitions(self: WorkspaceCore, lang: str | None = None) -> list[dict[str, Any]]:
        """The segment table (细分结果表 without the numbers): id, name, group, condition,
        strategy, owner and goal of every segment."""
        language = self.language(lang)
        rows = []
        for s in load_segments(self.root).segments.values():
            goal = s.strategy.goal
            rows.append(
                {
                    "id": s.id,
                    "name": s.name.get(language),
                    "group": s.group,
                    "priority": s.priority if s.group else None,
                    "condition": s.rule
                    or (f"{s.model.of} in {s.model.values}" if s.model else None),
                    "strategy": s.strategy.core.get(language) if s.strategy.core else None,
                    "channels": s.strategy.channels,
                    "owner": s.strategy.owner,
                    "goal": f"{goal.metric} {goal.target}"
                    + (f" by {goal.deadline}" if goal.deadline else "")
                    if goal
                    else None,
                }
            )
        return rows

    def validate_segments(self: WorkspaceCore) -> dict[str, Any]:
        """Check the segment definitions against the tags, features and customer fields."""
        catalog = load_segments(self.root)
        clusters = self.engine.table_exists("customer_clusters")
        check_segments(catalog, self.tag_plan(), clusters=clusters)
        return {
            "segments": len(catalog.segments),
            "groups": {g: [s.id for s in m] for g, m in catalog.groups().items()},
        }

    def build_segments(self: WorkspaceCore) -> SegmentBuild:
        """Compute every segment's members from the latest tags; snapshot them."""
        catalog = load_segments(self.root)
        run_id = self.store.start_run("segments")
        try:
            result = build_segments(self.engine, self.tag_plan(), catalog, self.console)
        except BaseException:
            self.store.finish_run(run_id, "failed")
            raise
        self.store.finish_run(run_id, "ok", {"segment_run": result.run_id})
        self.store.audit("segments.build", {"run_id": result.run_id, "sizes": result.sizes})
        return result

    def preview_segment(self: WorkspaceCore, condition: str) -> Preview:
        """How many customers a condition such as ``ltv > 2000 and repurchase_rate > 0.7``
        selects, against the latest tags (nothing is written)."""
        return preview_condition(self.engine, self.tag_plan(), condition)

    def segment_runs(self: WorkspaceCore) -> list[dict[str, Any]]:
        return segment_runs(self.engine)

    # -- analytics --------------------------------------------------------------------------
    def segment_analysis(self: WorkspaceCore, lang: str | None = None) -> dict[str, Any]:
        """Sizes and shares, customers in no segment, pairwise overlaps and the granularity
        findings of the latest build."""
        catalog = load_segments(self.root)
        sizes = analytics.segment_sizes(self.engine, catalog)
        contested = _latest_contested(self.engine)
        language = self.language(lang)
        names = {s.id: s.name.get(language) for s in catalog.segments.values()}
        for row in sizes["segments"]:
            row["name"] = names.get(row["segment"], row["segment"])
        findings = analytics.granularity(catalog, sizes, contested)
        return sizes | {
            "overlaps": analytics.segment_overlaps(self.engine),
            "findings": [
                {"code": f.code, "subject": f.subject, "message": f.text(language)}
                for f in findings
            ],
        }

    def compare_segment(
        self: WorkspaceCore, segment: str, other: str | None = None
    ) -> dict[str, Any]:
        """A segment against the population (or another segment), per tag and feature."""
        catalog = load_segments(self.root)
        for name in (segment, other):
            if name is not None and name not in catalog.segments:
                raise _unknown_segment(name, catalog)
        return analytics.compare_segment(self.engine, self.tag_plan(), segment, other)

    def segment_migration(
        self: WorkspaceCore, scope: str, since: RunRef = None, until: RunRef = None
    ) -> Migration:
        """From -> to counts within a group (or one segment) between two builds."""
        return segment_migration(self.engine, load_segments(self.root), scope, since, until)

    def migrated_customers(
        self: WorkspaceCore,
        scope: str,
        from_segment: str | None = None,
        to_segment: str | None = None,
        since: RunRef = None,
        until: RunRef = None,
    ) -> list[dict[str, Any]]:
        """The customers behind one from -> to pair of :meth:`segment_migration`."""
        catalog = load_segments(self.root)
        return migrated_customers(
            self.engine, catalog, scope, from_segment, to_segment, since, until
        )

    def export_migrated_customers(
        self: WorkspaceCore,
        path: Path,
        scope: str,
        from_segment: str | None = None,
        to_segment: str | None = None,
        since: RunRef = None,
        until: RunRef = None,
    ) -> Path:
        catalog = load_segments(self.root)
        found = migrated_customers(
            self.engine, catalog, scope, from_segment, to_segment, since, until
        )
        columns = ["customer_id", "from", "to"]
        rows = [[r[c] for c in columns] for r in found]
        return write_table(path, columns, rows, sheet=f"{scope} moves"[:31], records=found)

    # -- clustering -------------------------------------------------------------------------
    def cluster(
        self: WorkspaceCore,
        features: list[str] | None = None,
        *,
        k: int | None = None,
        k_min: int = 2,
        k_max: int = 8,
        seed: int = 7,
        sample: int = 20_000,
    ) -> ClusterRun:
        """K-means on the buyers' standardised features (default: log R, F, M, AOV, price
        sensitivity, channel and category shares); k by silhouette over ``k_min..k_max``
        unless given. Writes ``customer_clusters`` and a run record."""
        if k is None and not 2 <= k_min <= k_max:
            raise UsageError(
                f"--k-min {k_min} and --k-max {k_max} make no range",
                hint="k-min >= 2 and k-min <= k-max",
            )
        run_id = self.store.start_run("cluster")
        try:
            result = run_clustering(
                self.engine,
                features=features,
                k=k,
                k_range=range(k_min, k_max + 1),
                seed=seed,
                sample=sample,
                console=self.console,
            )
        except BaseException:
            self.store.finish_run(run_id, "failed")
            raise
        self.store.finish_run(run_id, "ok", {"cluster_run": result.run_id, "k": result.k})
        self.store.audit("cluster", {"run_id": result.run_id, "k": result.k})
        return result

    def cluster_runs(self: WorkspaceCore) -> list[dict[str, Any]]:
        return cluster_runs(self.engine)

    def latest_clusters(self: WorkspaceCore) -> ClusterRun:
        return latest_cluster_run(self.engine)

    def promote_clusters(self: WorkspaceCore, *, overwrite: bool = False) -> Path:
        """Write the latest clusters as segments (segments/clusters.yaml, group ``clusters``)
        so that they are built, analysed and described like any other segment."""
        return promote_clusters(
            latest_cluster_run(self.engine), self.root / "segments", overwrite=overwrite
        )

    # -- persona cards ----------------------------------------------------------------------
    def persona_cards(
        self: WorkspaceCore,
        segments: list[str] | None = None,
        *,
        clusters: bool = False,
        lang: str | None = None,
    ) -> list[PersonaCard]:
        """Persona cards of the given segments (default: every segment with members in the
        latest build) and, with ``clusters``, of every cluster of the latest clustering."""
        language = self.language(lang)
        plan = self.tag_plan()
        catalog = load_segments(self.root)
        cards: list[PersonaCard] = []
        # the survey's answers are unpacked once for all the cards (reading the JSON is the cost)
        has_survey = self.engine.table_exists("survey_responses")
        kinds = prepare_answers(self.engine) if has_survey else None
        try:
            if segments or not clusters:
                analytics.require_members(self.engine)
                for name in segments or []:
                    if name not in catalog.segments:
                        raise _unknown_segment(name, catalog)
                populated = {
                    str(r[0])
                    for r in self.engine.rows("select distinct segment_id from segment_members")
                }
                chosen = segments or [s for s in catalog.segments if s in populated]
                for sid in chosen:
                    segment = catalog.segments[sid]
                    cards.append(
                        build_card(
                            self.engine,
                            plan,
                            "select customer_id from segment_members where segment_id = "
                            + quote_str(sid),
                            ident=sid,
                            name=segment.name,
                            kind="segment",
                            strategy=segment.strategy.model_dump(mode="json"),
                            lang=language,
                            survey_kinds=kinds,
                        )
                    )
            if clusters:
                run = latest_cluster_run(self.engine)
                for c in run.clusters:
                    cards.append(
                        build_card(
                            self.engine,
                            plan,
                            f"select customer_id from customer_clusters where cluster_id = "
                            f"{int(c.cluster_id)}",
                            ident=f"cluster_{c.cluster_id}",
                            name=Text(zh=c.name.zh, en=c.name.en),
                            kind="cluster",
                            lang=language,
                            survey_kinds=kinds,
                        )
                    )
        finally:
            if has_survey:
                drop_answers(self.engine)
        return cards

    def export_personas(
        self: WorkspaceCore,
        path: Path,
        cards: list[PersonaCard],
        lang: str | None = None,
    ) -> Path:
        """Write cards as one self-contained HTML page (.html) or as JSON (.json)."""
        language = self.language(lang)
        suffix = path.suffix.lower()
        if suffix in (".html", ".htm"):
            path.write_text(render_html(cards, language), encoding="utf-8")
        elif suffix == ".json":
            data = [c.as_dict() for c in cards]
            path.write_text(
                json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
            )
        else:
            raise UsageError(
                f"cannot write persona cards as {path.suffix or 'a file without a suffix'}",
                hint="use .html or .json",
            )
        return path


def _latest_contested(engine: Engine) -> dict[str, dict[str, Any]]:
    if not engine.table_exists("hx_segment_runs"):
        return {}
    value = engine.scalar("select contested from hx_segment_runs order by built_at desc limit 1")
    return json.loads(value) if isinstance(value, str) else {}


def _unknown_segment(name: str, catalog: SegmentCatalog) -> UsageError:
    close = difflib.get_close_matches(name, list(catalog.segments), n=1)
    return UsageError(
        f"unknown segment {name!r}",
        hint=f"did you mean {close[0]!r}?" if close else "see: huaxiang segments list",
    )
