"""What a segmentation looks like: sizes and shares, overlaps, granularity, comparisons.

Everything reads ``segment_members`` (the latest build) and the customers' tags and features;
per-customer work stays in SQL, Python only arranges the aggregates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from huaxiang.compiler.plan import Plan
from huaxiang.definitions.segments import SegmentCatalog
from huaxiang.engine.duckdb_engine import Engine, quote_ident, quote_str
from huaxiang.errors import UsageError

# SPEC.md: 5-8 core segments, each at least 5% of the customers
CORE_MIN, CORE_MAX = 5, 8
MIN_SHARE = 0.05
MAX_SHARE = 0.5  # one segment holding half the customers does not discriminate
MIN_CUSTOMERS = 30  # below this a segment is a list of people, not a group


@dataclass(frozen=True)
class Finding:
    """A granularity warning: what, where, in both languages, with the numbers behind it."""

    code: str
    subject: str  # a segment id, a group, or "*" for the ungrouped segments
    en: str
    zh: str

    def text(self, lang: str) -> str:
        return self.zh if lang.startswith("zh") else self.en


def require_members(engine: Engine) -> None:
    if not engine.table_exists("segment_members"):
        raise UsageError("no segments are built yet", hint="run huaxiang segments build first")


def segment_sizes(engine: Engine, catalog: SegmentCatalog) -> dict[str, Any]:
    """Per segment: customers and share of all customers; the customers in no segment."""
    require_members(engine)
    total = engine.count("customer_tags")
    counts = dict(engine.rows("select segment_id, count(*) from segment_members group by 1"))
    rows = [
        {
            "segment": s.id,
            "group": s.group,
            "customers": int(counts.get(s.id, 0)),
            "share": int(counts.get(s.id, 0)) / total if total else 0.0,
        }
        for s in catalog.segments.values()
    ]
    outside = int(
        engine.scalar(
            "select count(*) from customer_tags anti join segment_members using (customer_id)"
        )
    )
    return {"customers": total, "segments": rows, "in_no_segment": outside}


def segment_overlaps(engine: Engine) -> list[dict[str, Any]]:
    """Every pair of segments sharing customers: the count and the Jaccard index."""
    require_members(engine)
    return engine.dicts(
        "with sizes as (select segment_id, count(*) as n from segment_members group by 1) "
        "select a.segment_id as a, b.segment_id as b, count(*) as both_, "
        "count(*) / (sa.n + sb.n - count(*)) as jaccard "
        "from segment_members a join segment_members b "
        "on a.customer_id = b.customer_id and a.segment_id < b.segment_id "
        "join sizes sa on sa.segment_id = a.segment_id "
        "join sizes sb on sb.segment_id = b.segment_id "
        "group by a.segment_id, b.segment_id, sa.n, sb.n order by both_ desc, a, b"
    )


def granularity(
    catalog: SegmentCatalog, sizes: dict[str, Any], contested: dict[str, dict[str, Any]]
) -> list[Finding]:
    """SPEC.md's granularity rules applied per exclusive group (and to the ungrouped core
    segments as one set), plus customers who met two segments' conditions of one group."""
    by_id = {r["segment"]: r for r in sizes["segments"]}
    findings: list[Finding] = []
    sets = {g: [s.id for s in members] for g, members in catalog.groups().items()}
    ungrouped = [s.id for s in catalog.segments.values() if s.group is None]
    if ungrouped:
        sets["*"] = ungrouped
    for group, ids in sets.items():
        core = [i for i in ids if catalog.segments[i].core]
        where_en = f"group {group}" if group != "*" else "the ungrouped segments"
        where_zh = f"分组 {group}" if group != "*" else "未分组细分"
        if len(core) < CORE_MIN:
            findings.append(Finding(
                "too_coarse", group,
                f"{where_en} has {len(core)} core segments (aim for {CORE_MIN}-{CORE_MAX})",
                f"{where_zh} 只有 {len(core)} 个核心细分（建议 {CORE_MIN}-{CORE_MAX} 个）",
            ))  # fmt: skip
        elif len(core) > CORE_MAX:
            findings.append(Finding(
                "too_fine", group,
                f"{where_en} has {len(core)} core segments (aim for {CORE_MIN}-{CORE_MAX})",
                f"{where_zh} 有 {len(core)} 个核心细分（建议 {CORE_MIN}-{CORE_MAX} 个）",
            ))  # fmt: skip
    for sid, row in by_id.items():
        share, n = row["share"], row["customers"]
        if n < MIN_CUSTOMERS:
            findings.append(Finding(
                "too_small", sid,
                f"{sid} has {n} customers: too few to act on as a group",
                f"{sid} 仅 {n} 位客户，过细，难以作为群体运营",
            ))  # fmt: skip
        elif share < MIN_SHARE:
            findings.append(Finding(
                "under_5_percent", sid,
                f"{sid} holds {share:.1%} of customers (at least {MIN_SHARE:.0%} is advised)",
                f"{sid} 占比 {share:.1%}，低于建议的 {MIN_SHARE:.0%}",
            ))  # fmt: skip
        if share > MAX_SHARE:
            findings.append(Finding(
                "too_broad", sid,
                f"{sid} holds {share:.1%} of customers: it hardly separates anyone",
                f"{sid} 占比 {share:.1%}，区分度不足",
            ))  # fmt: skip
    for group, info in contested.items():
        pairs = "; ".join(f"{p['kept']} > {p['over']}: {p['customers']}" for p in info["pairs"])
        findings.append(Finding(
            "contested", group,
            f"{info['customers']} customers met the conditions of two or more segments of "
            f"exclusive group {group}; each went to the first by priority ({pairs})",
            f"{info['customers']} 位客户同时满足互斥分组 {group} 中两个及以上细分的条件，"
            f"已按优先级归入第一个（{pairs}）",
        ))  # fmt: skip
    return findings


def compare_segment(
    engine: Engine, plan: Plan, segment: str, other: str | None = None, *, top: int = 5
) -> dict[str, Any]:
    """``segment`` against ``other`` (a segment) or the whole population, tag by tag.

    Numeric tags and features: the mean on each side and their ratio. Text tags: the values
    whose share differs most, with both shares and the lift.
    """
    require_members(engine)
    a = f"(select customer_id from segment_members where segment_id = {quote_str(segment)})"
    b = (
        f"(select customer_id from segment_members where segment_id = {quote_str(other)})"
        if other is not None
        else "(select customer_id from customer_tags)"
    )
    numeric, text = _typed_columns(engine, plan)
    out: dict[str, Any] = {"segment": segment, "against": other or "*", "numeric": [], "text": []}
    if numeric:
        means = ", ".join(
            f"avg({quote_ident(c)}) filter (where s.side = 'a'), "
            f"avg({quote_ident(c)}) filter (where s.side = 'b')"
            for c, _ in numeric
        )
        row = engine.rows(
            f"select count(*) filter (where s.side = 'a'), count(*) filter (where s.side = 'b'), "
            f"{means} from (select customer_id, 'a' as side from {a} union all "
            f"select customer_id, 'b' from {b}) s join customer_tags t using (customer_id) "
            "join customer_features f using (customer_id)"
        )[0]
        out["customers"] = {"segment": int(row[0]), "against": int(row[1])}
        for i, (c, source) in enumerate(numeric):
            ma, mb = row[2 + 2 * i], row[3 + 2 * i]
            ratio = ma / mb if ma is not None and mb not in (None, 0) else None
            out["numeric"].append(
                {"name": c, "kind": source, "segment": ma, "against": mb, "ratio": ratio}
            )
    for c in text:
        out["text"].extend(_value_lifts(engine, c, a, b, top))
    out["text"].sort(key=lambda r: -abs(r["share_segment"] - r["share_against"]))
    return out


def _value_lifts(engine: Engine, tag: str, a: str, b: str, top: int) -> list[dict[str, Any]]:
    col = quote_ident(tag)
    rows = engine.dicts(
        f"with va as (select {col}::varchar as v, count(*) as n from customer_tags "
        f"semi join {a} x using (customer_id) group by 1), "
        f"vb as (select {col}::varchar as v, count(*) as n from customer_tags "
        f"semi join {b} x using (customer_id) group by 1) "
        "select coalesce(va.v, vb.v) as value, "
        "coalesce(va.n, 0) / nullif(sum(va.n) over (), 0) as share_segment, "
        "coalesce(vb.n, 0) / nullif(sum(vb.n) over (), 0) as share_against "
        "from va full join vb on va.v is not distinct from vb.v"
    )
    for r in rows:
        r["tag"] = tag
        r["share_segment"] = float(r["share_segment"] or 0)
        r["share_against"] = float(r["share_against"] or 0)
        r["lift"] = r["share_segment"] / r["share_against"] if r["share_against"] else None
    rows.sort(key=lambda r: -abs(r["share_segment"] - r["share_against"]))
    return rows[:top]


def _typed_columns(engine: Engine, plan: Plan) -> tuple[list[tuple[str, str]], list[str]]:
    """Numeric columns of tags then features (name, 'tag' | 'feature'), and text tags."""
    numeric_types = ("INTEGER", "BIGINT", "DOUBLE", "DECIMAL", "FLOAT", "HUGEINT", "SMALLINT")
    numeric: list[tuple[str, str]] = []
    text: list[str] = []
    for table, kind in (("customer_tags", "tag"), ("customer_features", "feature")):
        for name, sql_type in engine.rows(
            "select column_name, data_type from duckdb_columns() "
            "where table_name = ? and column_name <> 'customer_id' order by column_index",
            [table],
        ):
            if kind == "feature" and name in plan.tags:
                continue
            if str(sql_type).startswith(numeric_types):
                numeric.append((str(name), kind))
            elif kind == "tag" and str(sql_type) in ("VARCHAR", "BOOLEAN"):
                text.append(str(name))
    return numeric, text
