"""Persona cards (客户画像卡): what a segment or a cluster is like, generated from the warehouse.

A card holds, for one group of customers against the whole population (every row of
``customer_tags``): size and share; core features (the tag values most over-represented, by
lift); behaviour habits (active time slot, channels, categories, purchase rhythm); needs and pain
points (feedback keywords and survey answers); value (LTV, AOV, repurchase rate, RFM mix, the
model's probability alive and CLV when it has run); the strategy, owner and goal it is given.

Every figure is an aggregate computed by a handful of set-based queries (all categorical tags in
one scan, a grouping set each), so a card is as private as it is fast. Shares of a tag are among
the customers with a known value (null and "unknown" are missing, not a value). Texts users read are
bilingual ``{"zh": ..., "en": ...}`` so one card renders in either language.

An empty group gives a card with size 0, empty sections and a note, not an error: a listing of
every segment should not fail because one of them is empty today.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from huaxiang.compiler.plan import Plan
from huaxiang.definitions.models import Tag, Text
from huaxiang.engine.duckdb_engine import Engine, quote_ident
from huaxiang.errors import EngineError, UsageError
from huaxiang.personas import keywords as kw
from huaxiang.personas.render import headline
from huaxiang.personas.survey import survey_answers

Label = dict[str, str]
Distributions = dict[str, list[dict[str, Any]]]  # tag -> its values' records
KINDS = ("segment", "cluster")
HABIT_TAGS = ("active_time_slot", "channel_preference", "category_preference")
VALUE_TAGS = ("ltv", "aov", "repurchase_rate")
MODEL_COLUMNS = ("p_alive", "clv_12m")  # written by the lifetime-value model when it has run
UNKNOWN = frozenset({"", "unknown", "未知", "不详", "n/a"})
MEMBERS = "hx_persona_members"
KEYWORD_SAMPLE = 10_000  # feedback texts segmented per card: enough for stable keywords
MIN_MENTIONS = 3  # a keyword fewer members used is not shown: it could point at one person
HABIT_TOP = 3
KEYWORDS_TOP = 8


def label(zh: str, en: str) -> Label:
    return {"zh": zh, "en": en}


def _text(text: Text) -> Label:
    return label(text.get("zh"), text.get("en"))


@dataclass(frozen=True)
class PersonaCard:
    id: str
    kind: str
    name: Label
    lang: str
    size: int
    population: int
    share: float
    value_label: Label
    headline: Label
    core_features: list[dict[str, Any]]
    habits: dict[str, Any]
    needs: dict[str, Any]
    value: dict[str, Any]
    strategy: dict[str, Any] | None
    notes: list[Label]

    def as_dict(self) -> dict[str, Any]:
        """The card as plain JSON-ready data (a deep copy)."""
        return dataclasses.asdict(self)


def build_card(
    engine: Engine,
    plan: Plan,
    members: str,
    *,
    ident: str,
    name: Text,
    kind: str,
    strategy: dict[str, Any] | None = None,
    lang: str = "zh",
    min_share: float = 0.1,
    top: int = 6,
    survey_kinds: dict[str, str] | None = None,
) -> PersonaCard:
    """The persona card of the customers ``members`` (SQL returning a column ``customer_id``).

    Core features are the categorical tag values with a share of at least ``min_share`` among
    the members and a lift (share in the group / share in the population) above 1: per tag its
    value of highest lift, the ``top`` highest lifts. ``strategy`` is a segment strategy as plain
    data (core, channels, content, offer, owner, goal) or None; ``lang`` is the card's default
    language (every text in it is bilingual). An empty group gives a card of size 0 with a note;
    a members query that fails or has no ``customer_id`` column is a UsageError.
    ``survey_kinds``: what :func:`~huaxiang.personas.survey.prepare_answers` returned when a
    batch of cards shares one preparation of the survey answers.
    """
    if kind not in KINDS:
        raise UsageError(f"unknown persona kind {kind!r}", hint="use segment or cluster")
    if not engine.table_exists("customer_tags"):
        raise UsageError("no tags built yet", hint="build the tags first: huaxiang tags build")
    try:
        engine.execute(
            f"create or replace temp table {MEMBERS} as select distinct customer_id "
            f"from ({members}) as members "
            "where customer_id in (select customer_id from customer_tags)"
        )
    except EngineError as exc:
        raise UsageError(
            f"the members query of {ident!r} failed: {exc.message}",
            hint="it must be a SELECT returning a column customer_id",
        ) from None
    try:
        return _card(engine, plan, ident, name, kind, strategy, lang, min_share, top, survey_kinds)
    finally:
        engine.execute(f"drop table if exists temp.{MEMBERS}")


def _card(
    engine: Engine,
    plan: Plan,
    ident: str,
    name: Text,
    kind: str,
    strategy: dict[str, Any] | None,
    lang: str,
    min_share: float,
    top: int,
    survey_kinds: dict[str, str] | None,
) -> PersonaCard:
    population = engine.count("customer_tags")
    size = engine.count(MEMBERS)
    notes: list[Label] = []
    candidates: list[dict[str, Any]] = []
    features: list[dict[str, Any]] = []
    habits: dict[str, Any] = {}
    needs = _no_needs()
    value: dict[str, Any] = {}
    if size == 0:
        notes.append(label("该群体目前没有客户", "the group has no customers at present"))
    else:
        types = dict(
            engine.rows(
                "select column_name, data_type from information_schema.columns "
                "where table_name = 'customer_tags'"
            )
        )
        categorical = [t for t in plan.tags if types.get(t) in ("VARCHAR", "BOOLEAN")]
        values = _distributions(engine, plan, categorical)
        candidates = _over_represented(values, min_share)
        features = [_public(r) for r in candidates[:top]]
        stats = _numeric_stats(engine, types)
        habits = _habits(values, stats)
        value = _value(values, stats)
        needs = _needs(engine, notes, survey_kinds)
    return PersonaCard(
        id=ident,
        kind=kind,
        name=_text(name),
        lang=lang,
        size=size,
        population=population,
        share=round(size / population, 4) if population else 0.0,
        value_label=_value_label(value),
        headline=headline(candidates, habits, value) if size else label("暂无数据", "no data"),
        core_features=features,
        habits=habits,
        needs=needs,
        value=value,
        strategy=strategy,
        notes=notes,
    )


# -- categorical tags ----------------------------------------------------------------------------
def _distributions(engine: Engine, plan: Plan, tags: list[str]) -> Distributions:
    """Per tag, its known values with count, share among the members and in the population,
    most common among the members first. One scan: a grouping set per tag."""
    if not tags:
        return {}
    cols = [quote_ident(t) for t in tags]
    which = " ".join(f"when grouping({c}) = 0 then '{t}'" for c, t in zip(cols, tags, strict=True))
    rows = engine.rows(
        f"""
        select case {which} end as tag,
               coalesce({", ".join(f"cast({c} as varchar)" for c in cols)}) as tag_value,
               count(*) as population, count(*) filter (where member) as members
        from (select *, customer_id in (select customer_id from {MEMBERS}) as member
              from customer_tags)
        group by grouping sets ({", ".join(f"({c})" for c in cols)})
        """
    )
    counts: dict[str, dict[str, tuple[int, int]]] = {}
    for tag, tag_value, pop, mem in rows:
        if tag_value is not None and str(tag_value).strip().lower() not in UNKNOWN:
            counts.setdefault(tag, {})[tag_value] = (int(mem), int(pop))
    out: Distributions = {}
    for tag_id, by_value in counts.items():
        tag = plan.tags[tag_id]
        seg_total = sum(m for m, _ in by_value.values())
        pop_total = sum(p for _, p in by_value.values())
        records: list[dict[str, Any]] = []
        for v, (mem, pop) in by_value.items():
            share = mem / seg_total if seg_total else 0.0
            share_pop = pop / pop_total
            records.append(
                {
                    "tag": tag_id,
                    "tag_name": _text(tag.name),
                    "layer": tag.layer,
                    "value": v,
                    "value_name": _value_name(tag, v),
                    "customers": mem,
                    "share": round(share, 4),
                    "share_population": round(share_pop, 4),
                    "lift": round(share / share_pop, 4),
                    "_lift": share / share_pop,  # unrounded, for ranking only
                }
            )
        records.sort(key=lambda r: (-r["customers"], r["value"]))
        out[tag_id] = records
    return out


def _value_name(tag: Tag, value: str) -> Label:
    names = tag.value_names
    # a YAML key `true:` is stored as "True"; DuckDB writes a boolean as "true"
    text = names.get(value) or names.get(value.capitalize())
    return _text(text) if text else label(value, value)


_SHORT = ("value", "value_name", "customers", "share", "share_population", "lift")


def _public(record: dict[str, Any], keys: tuple[str, ...] | None = None) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_") and (not keys or k in keys)}


def _over_represented(values: Distributions, min_share: float) -> list[dict[str, Any]]:
    """Per tag its value of highest lift among those held by ``min_share`` of the members and
    above the population's share, highest lift first. One value per tag: the card shows six
    dimensions of the group, not three bands of one."""
    best = []
    for records in values.values():
        kept = [r for r in records if r["share"] >= min_share and r["_lift"] > 1]
        if kept:
            best.append(max(kept, key=lambda r: (r["_lift"], r["share"])))
    best.sort(key=lambda r: (-r["_lift"], -r["share"], r["tag"], r["value"]))
    return best


# -- numbers -------------------------------------------------------------------------------------
def _numeric_stats(engine: Engine, types: dict[str, str]) -> dict[str, float | None]:
    """Means and medians for the members (``x``) and the population (``x_population``)."""
    member = f"customer_id in (select customer_id from {MEMBERS})"
    parts: list[str] = []
    for col in (*VALUE_TAGS, "purchase_interval_days", *MODEL_COLUMNS):
        if col not in types or types[col] in ("VARCHAR", "BOOLEAN"):
            continue
        c = quote_ident(col)
        parts += [
            f"avg({c}) filter (where member) as {col}_mean",
            f"median({c}) filter (where member) as {col}_median",
            f"avg({c}) as {col}_mean_population",
            f"median({c}) as {col}_median_population",
        ]
    stats: dict[str, Any] = {}
    if parts:
        sql = f"select {', '.join(parts)} from (select *, {member} as member from customer_tags)"
        stats.update(engine.dicts(sql)[0])
    if engine.table_exists("customer_features") and "orders_12m" in engine.columns(
        "customer_features"
    ):
        # a tag build writes customer_features and customer_tags for the same customers
        stats.update(
            engine.dicts(
                f"""
                select avg(orders_12m) filter (where {member}) / 12 as orders_per_month,
                       avg(orders_12m) / 12 as orders_per_month_population
                from customer_features
                """
            )[0]
        )
    return {k: None if v is None else float(v) for k, v in stats.items()}


def _pair(stats: dict[str, float | None], key: str, digits: int = 2) -> dict[str, Any] | None:
    if f"{key}_population" not in stats:
        return None
    seg, pop = stats[key], stats[f"{key}_population"]
    return {
        "members": None if seg is None else round(seg, digits),
        "population": None if pop is None else round(pop, digits),
    }


def _habits(values: Distributions, stats: dict[str, float | None]) -> dict[str, Any]:
    habits: dict[str, Any] = {}
    for tag in HABIT_TAGS:
        if values.get(tag):
            habits[tag] = {
                "tag_name": values[tag][0]["tag_name"],
                "values": [_public(r, _SHORT) for r in values[tag][:HABIT_TOP]],
            }
    rhythm = {
        "orders_per_month": _pair(stats, "orders_per_month"),
        "median_interval_days": _pair(stats, "purchase_interval_days_median", 1),
    }
    habits["rhythm"] = {k: v for k, v in rhythm.items() if v is not None}
    return habits


def _value(values: Distributions, stats: dict[str, float | None]) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for col in VALUE_TAGS:
        mean, median = _pair(stats, f"{col}_mean", 4), _pair(stats, f"{col}_median", 4)
        if mean is not None and median is not None:
            value[col] = {
                "mean": mean["members"],
                "median": median["members"],
                "mean_population": mean["population"],
                "median_population": median["population"],
                "index": _ratio(mean["members"], mean["population"]),
            }
    value["rfm_mix"] = [_public(r, _SHORT) for r in values.get("rfm_group", []) if r["customers"]]
    for col in MODEL_COLUMNS:  # present only when the model has run: absent is not zero
        mean = _pair(stats, f"{col}_mean", 4)
        if mean is not None and mean["population"] is not None:  # a model tag before a run
            value[col] = {"mean": mean["members"], "mean_population": mean["population"]}
    return value


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 4) if a is not None and b else None


# -- needs and pain points -----------------------------------------------------------------------
def _no_needs() -> dict[str, Any]:
    return {"feedback_customers": 0, "keywords": [], "survey_responses": 0, "survey": []}


def _needs(
    engine: Engine, notes: list[Label], survey_kinds: dict[str, str] | None
) -> dict[str, Any]:
    needs = _no_needs()
    members_sql = f"select customer_id from {MEMBERS}"
    if engine.table_exists("feedback"):
        needs["feedback_customers"] = kw.feedback_customers(engine, members_sql)
    if needs["feedback_customers"]:
        texts = [
            r[0]
            for r in engine.rows(
                f"""
                select f.text from feedback f join {MEMBERS} m on f.customer_id = m.customer_id
                where nullif(trim(f.text), '') is not null
                order by hash(f.customer_id, f.text) limit {KEYWORD_SAMPLE}
                """
            )
        ]
        words = dict(kw.extract_keywords(texts, top=KEYWORDS_TOP * 2))
        shares = kw.keyword_shares(engine, members_sql, list(words), with_population=True)
        kept = [s for s in shares if s["customers"] >= MIN_MENTIONS]
        kept.sort(key=lambda s: -s["customers"])  # stable: the TF-IDF order breaks ties
        needs["keywords"] = [
            {
                "keyword": s["keyword"],
                "weight": round(words[s["keyword"]], 4),
                "customers": s["customers"],
                "share": round(s["share"], 4),
                "share_population": round(s["share_population"], 4),
            }
            for s in kept[:KEYWORDS_TOP]
        ]
    else:
        notes.append(label("该群体没有反馈文本", "no feedback texts from this group"))
    if engine.table_exists("survey_responses"):
        needs["survey_responses"] = int(
            engine.scalar(
                "select count(*) from survey_responses "
                f"where customer_id in (select customer_id from {MEMBERS})"
            )
        )
        needs["survey"] = survey_answers(engine, MEMBERS, survey_kinds)
    responses = needs["survey_responses"]
    if not responses:
        notes.append(label("该群体没有问卷回答", "no survey answers from this group"))
    elif not needs["survey"]:
        zh = f"问卷回答太少（{responses} 份），不予展示"
        notes.append(label(zh, f"too few survey answers ({responses}) to show"))
    return needs


# -- value type ------------------------------------------------------------------------------------
_LABELS = {
    ("high", "high"): label("高价值忠诚客户", "high-value loyal customers"),
    ("high", "low"): label("高价值待巩固客户", "high-value customers to consolidate"),
    ("high", "mid"): label("高价值客户", "high-value customers"),
    ("mid", "high"): label("高潜力增长型客户", "high-potential growth customers"),
    ("low", "high"): label("高潜力增长型客户", "high-potential growth customers"),
    ("mid", "mid"): label("稳定型客户", "steady customers"),
    ("mid", "low"): label("待激活客户", "customers to activate"),
    ("low", "mid"): label("价值待提升客户", "customers with value to raise"),
    ("low", "low"): label("低价值客户", "low-value customers"),
}


def _level(index: float | None) -> str:
    """Against the population: 20% above is high, 20% below is low."""
    if index is None:
        return "mid"
    return "high" if index >= 1.2 else "low" if index <= 0.8 else "mid"


def _value_label(value: dict[str, Any]) -> Label:
    """The value type from the group's mean LTV and repurchase rate against the population's."""
    ltv, rep = value.get("ltv"), value.get("repurchase_rate")
    if ltv is None and rep is None:
        return label("暂无数据", "no data")
    return _LABELS[(_level(ltv and ltv["index"]), _level(rep and rep["index"]))]
