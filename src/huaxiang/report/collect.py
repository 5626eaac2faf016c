"""The numbers of the analysis report, read from the warehouse through the facade: sources and
their provenance, data quality, segments, persona cards, customer value and migration.

Every section is plain data (dicts, lists, numbers) so the same collection renders to HTML,
PDF and Excel, and a test can check a number without parsing a page. Aggregates only: no
customer row leaves this module.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huaxiang.errors import HuaxiangError

if TYPE_CHECKING:
    from huaxiang.personas import PersonaCard
    from huaxiang.workspace import Workspace

# Value histograms: this many equal-width bins between 0 and the 99th percentile (the long tail
# above it goes into the last bin, so one whale does not squash every other bar)
VALUE_BINS = 20


def sources(ws: Workspace) -> list[dict[str, Any]]:
    """Every loaded source with its description from huaxiang.yaml and its provenance."""
    described = {s.name: s for s in ws.config.sources}
    rows = ws.engine.dicts(
        "select source, table_name, path, format, encoding, left(sha256, 12) as sha256, "
        "loaded_at, rows_read, rows_accepted, rows_quarantined, rows_merged "
        "from hx_loads where status = 'loaded' order by table_name, source"
    )
    for row in rows:
        source = described.get(row["source"])
        row["description"] = source.description if source else None
        row["file"] = Path(row.pop("path")).name if row.get("path") else None
        row["loaded_at"] = row["loaded_at"].isoformat(sep=" ", timespec="seconds")
    return rows


def quality(ws: Workspace) -> dict[str, Any] | None:
    """The cleaning run's report (tables, identity, completeness, findings), if there was one."""
    path = ws.reports_dir / "quality.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    keep = ("tables", "balanced", "identity", "completeness", "warnings", "findings")
    return {k: data.get(k) for k in keep}


def segments(ws: Workspace, lang: str) -> dict[str, Any] | None:
    """Sizes, shares and strategies of the latest segment build, and the overlaps."""
    if not ws.engine.table_exists("segment_members"):
        return None
    analysis = ws.segment_analysis(lang)
    definitions = {d["id"]: d for d in ws.segment_definitions(lang)}
    rows = []
    for seg in analysis["segments"]:
        d = definitions.get(seg["segment"], {})
        rows.append(
            {
                "id": seg["segment"],
                "name": seg.get("name") or seg["segment"],
                "group": seg.get("group"),
                "customers": seg["customers"],
                "share": seg["share"],
                "condition": d.get("condition"),
                "strategy": d.get("strategy"),
                "channels": d.get("channels") or [],
                "owner": d.get("owner"),
                "goal": d.get("goal"),
            }
        )
    return {
        "customers": analysis["customers"],
        "rows": rows,
        "in_no_segment": analysis["in_no_segment"],
        "overlaps": analysis["overlaps"],
        "findings": analysis["findings"],
        "runs": len(ws.segment_runs()),
    }


def personas(
    ws: Workspace, lang: str, cards: list[PersonaCard] | None = None
) -> list[dict[str, Any]]:
    """The persona card of every segment of the latest build (``cards``: drawn already)."""
    if not ws.engine.table_exists("segment_members"):
        return []
    if cards is None:
        cards = ws.persona_cards(lang=lang)
    return [card.as_dict() for card in cards]


def value(ws: Workspace, lang: str) -> dict[str, Any]:
    """RFM mix, lifetime value to date and (when a model has scored) predicted value."""
    e = ws.engine
    out: dict[str, Any] = {"rfm": [], "ltv": None, "clv": None}
    if e.table_exists("customer_tags"):
        columns = set(e.columns("customer_tags"))
        if "rfm_group" in columns:
            names = ws.tag_value_names("rfm_group", lang)
            out["rfm"] = [
                {"value": v, "name": names.get(v, v), "customers": n}
                for v, n in e.rows(
                    "select rfm_group, count(*) from customer_tags "
                    "where rfm_group is not null group by 1 order by 2 desc, 1"
                )
            ]
        if "ltv" in columns:
            out["ltv"] = distribution(ws, "customer_tags", "ltv")
    if e.table_exists("customer_value"):
        out["clv"] = distribution(ws, "customer_value", "clv_12m")
        if out["clv"] is not None:
            alive = e.rows(
                "select avg(p_alive), count(*) filter (where p_alive < 0.5), "
                "max(fit_run), max(as_of) from customer_value"
            )[0]
            out["clv"].update(
                mean_p_alive=alive[0], likely_lost=alive[1], fit_run=alive[2], as_of=alive[3]
            )
    return out


def distribution(ws: Workspace, table: str, column: str) -> dict[str, Any] | None:
    """A value column's histogram, quantiles and how concentrated it is (share of the total
    held by the top 20% of customers)."""
    e = ws.engine
    stats = e.rows(
        f"""
        select count(*), sum(v), avg(v), quantile_cont(v, 0.5), quantile_cont(v, 0.99)
        from (select {column} as v from {table} where {column} is not null and {column} >= 0)
        """
    )[0]
    n, total, mean, median, p99 = stats
    if not n or not total:
        return None
    width = (p99 or 0) / VALUE_BINS or 1.0
    bins = e.rows(
        f"""
        select least(floor({column} / ?)::int, ?) as bin, count(*)
        from {table} where {column} is not null and {column} >= 0 group by 1 order by 1
        """,
        [width, VALUE_BINS - 1],
    )
    top = e.rows(
        f"""
        select sum(v) from (
            select {column} as v from {table} where {column} is not null and {column} >= 0
            order by v desc limit ?)
        """,
        [max(1, round(0.2 * n))],
    )[0][0]
    return {
        "customers": n,
        "total": float(total),
        "mean": float(mean),
        "median": float(median),
        "p99": float(p99),
        "top20_share": float(top) / float(total),
        "bins": [
            {"from": b * width, "to": (b + 1) * width, "customers": c, "open": b == VALUE_BINS - 1}
            for b, c in bins
        ],
    }


def migration(ws: Workspace) -> list[dict[str, Any]]:
    """Flows between the last two segment builds, per exclusive group (empty before the second
    build)."""
    if len(ws.segment_runs()) < 2:
        return []
    out = []
    for group in ws.segment_catalog().groups():
        try:
            m = ws.segment_migration(group)
        except HuaxiangError:
            continue
        out.append(
            {
                "group": group,
                "since": m.since,
                "until": m.until,
                "flows": m.flows,
                "moved": m.moved,
                "unchanged": m.unchanged,
            }
        )
    return out


def meta(ws: Workspace, lang: str) -> dict[str, Any]:
    e = ws.engine
    customers = e.count("customers") if e.table_exists("customers") else 0
    tag_runs = ws.tag_runs()
    return {
        "workspace": ws.config.name,
        "lang": lang,
        "generated_at": dt.datetime.now().isoformat(sep=" ", timespec="seconds"),
        "as_of": tag_runs[0]["as_of"].isoformat() if tag_runs else None,
        "customers": customers,
        "tag_run": tag_runs[0]["run_id"] if tag_runs else None,
        "segment_run": (ws.segment_runs() or [{}])[0].get("run_id"),
    }
