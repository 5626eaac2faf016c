"""The per-customer features K-means clusters on, computed in the warehouse.

Who is clustered: the customers with a purchase on or before the tag build's as-of day (their
``recency_days`` tag is set). Customers who never bought have no recency, frequency or basket to
compare and imputing one would make them a cluster of their own by construction, so they are
left out: counted as unassigned, and absent from ``customer_clusters``.

The features (names as users give them):

- ``recency``, ``frequency``, ``monetary``, ``aov``: days since the last purchase
  (``recency_days`` tag), orders and spend in 12 months (``orders_12m``, ``spend_12m``
  features), average order value (``aov`` tag); log-scaled (``ln(1 + x)``, negatives as 0),
  because their distributions have long right tails that would otherwise make the largest
  customers clusters of their own.
- ``price_sensitivity``: the share of the customer's orders that used a coupon or a discount.
- ``channel:<channel>``, ``category:<category>``: the share of the customer's orders in that
  channel or category. ``channel_shares`` and ``category_shares`` stand for the most used
  channels and categories (by orders in the 12 months before the as-of day).

The channel shares weigh as much as one feature in all (each of n columns 1 / sqrt(n) after
standardisation), and so do the category shares: a channel mix is one trait, not four, and
left unweighted the near one-hot shares of customers with few orders outvote value and
recency.

Shares are over the customer's orders (returns excluded) in the 12 months before the as-of day,
or over all their earlier orders when they bought nothing in those 12 months, so that a lapsed
customer keeps the habits they had rather than a row of zeros.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

from huaxiang.engine.duckdb_engine import Engine, quote_ident, quote_str
from huaxiang.errors import DataError, UsageError
from huaxiang.models.kmeans import Matrix

DEFAULT_FEATURES: tuple[str, ...] = (
    "recency",
    "frequency",
    "monetary",
    "aov",
    "price_sensitivity",
    "channel_shares",
    "category_shares",
)
TOP_CHANNELS = 4  # columns that channel_shares stands for
TOP_CATEGORIES = 5
INPUT_TABLE = "hx_cluster_input"  # temporary: the raw values, for the cluster profiles

# name -> (table, definition it reads, SQL over customer_tags t / customer_features f, zh, en)
_BASE: dict[str, tuple[str, str, str, str, str]] = {
    "recency": (
        "customer_tags",
        "recency_days",
        "t.recency_days",
        "最近购买距今天数",
        "Days since last purchase",
    ),
    "frequency": (
        "customer_features",
        "orders_12m",
        "coalesce(f.orders_12m, 0)",
        "近12个月订单数",
        "Orders in 12 months",
    ),
    "monetary": (
        "customer_features",
        "spend_12m",
        "coalesce(f.spend_12m, 0)",
        "近12个月消费金额",
        "Spend in 12 months",
    ),
    "aov": ("customer_tags", "aov", "t.aov", "客单价", "Average order value"),
}
_SHARE_OF = {"channel": ("渠道", "channel"), "category": ("品类", "category")}
_GROUPS = {
    "channel_shares": ("channel", TOP_CHANNELS),
    "category_shares": ("category", TOP_CATEGORIES),
}


@dataclass(frozen=True)
class Feature:
    name: str
    zh: str
    en: str
    log: bool  # clustered as ln(1 + value)
    value: str | None = None  # the channel or category a share is of
    weight: float = 1.0  # of the standardised column in the distance


@dataclass(frozen=True)
class FeatureMatrix:
    """The clustered customers, one row each in ``customer_id`` order, and their features."""

    features: list[Feature]
    customer_ids: pa.ChunkedArray
    values: Matrix  # as clustered: log-scaled where Feature.log
    tag_run_id: str
    as_of: dt.date
    unassigned: int  # customers without a purchase on or before as_of


def latest_tag_build(engine: Engine) -> tuple[str, dt.date]:
    """The run id and as-of day of the latest tag build; UsageError when there is none."""
    row = None
    if engine.table_exists("hx_tag_runs") and engine.table_exists("customer_tags"):
        row = engine.rows("select run_id, as_of from hx_tag_runs order by built_at desc limit 1")
    if not row:
        raise UsageError(
            "clustering needs the customer tags, and no tags have been built yet",
            hint="run huaxiang tags build first",
        )
    return str(row[0][0]), row[0][1]


def known_features(engine: Engine, as_of: dt.date) -> list[str]:
    """Every feature name clustering accepts on this warehouse's data."""
    return _known(_ranked(engine, as_of))


def _known(ranked: dict[str, list[str]]) -> list[str]:
    shares = [f"{kind}:{v}" for kind, values in ranked.items() for v in values]
    return [*_BASE, "price_sensitivity", *_GROUPS, *shares]


def resolve_features(engine: Engine, as_of: dt.date, names: list[str] | None) -> list[Feature]:
    """The features ``names`` stand for (the default set when None), groups expanded."""
    wanted = list(DEFAULT_FEATURES if names is None else names)
    ranked = _ranked(engine, as_of)
    known = _known(ranked)
    unknown = [n for n in wanted if n not in known]
    if unknown or not wanted:
        close = difflib.get_close_matches(unknown[0], known, n=1) if unknown else []
        raise UsageError(
            f"unknown cluster feature(s): {', '.join(unknown)}" if unknown else "no features",
            hint=(f"did you mean {close[0]!r}? " if close else "")
            + f"known features: {', '.join(known)}",
        )
    out: list[Feature] = []
    for name in wanted:
        if name in _BASE:
            zh, en = _BASE[name][3:]
            out.append(Feature(name, zh, en, log=True))
        elif name == "price_sensitivity":
            out.append(Feature(name, "促销订单占比", "Share of orders on promotion", log=False))
        elif name in _GROUPS:
            kind, top = _GROUPS[name]
            out += [_share(kind, v) for v in ranked[kind][:top]]
        else:
            kind, _, value = name.partition(":")
            out.append(_share(kind, value))
    unique = list({f.name: f for f in out}.values())  # a share named twice counts once
    kinds = Counter(f.name.partition(":")[0] for f in unique if f.value is not None)
    return [
        replace(f, weight=1 / math.sqrt(kinds[f.name.partition(":")[0]]))
        if f.value is not None
        else f
        for f in unique
    ]


def feature_matrix(engine: Engine, features: list[str] | None = None) -> FeatureMatrix:
    """The clustered customers' features as of the latest tag build, as a numpy matrix.

    The raw (unscaled) values stay in the temporary table ``hx_cluster_input`` for profiling
    the clusters; drop it when done.
    """
    tag_run_id, as_of = latest_tag_build(engine)
    chosen = resolve_features(engine, as_of, features)
    _check_definitions(engine, chosen)
    engine.execute(f"create or replace temp table {INPUT_TABLE} as {input_query(chosen, as_of)}")
    scaled = ", ".join(
        f"ln(1 + greatest({quote_ident(f.name)}, 0))" if f.log else quote_ident(f.name)
        for f in chosen
    )
    table = engine.arrow(f"select customer_id, {scaled} from {INPUT_TABLE} order by customer_id")
    values = (
        np.column_stack(
            [table.column(i + 1).to_numpy().astype(np.float64) for i in range(len(chosen))]
        )
        if table.num_rows
        else np.empty((0, len(chosen)))
    )
    missing = np.isnan(values).sum(axis=0)
    if missing.any():
        column = int(missing.argmax())
        raise DataError(
            f"{int(missing[column]):,} clustered customers have no value for the feature "
            f"{chosen[column].name!r}",
            hint="check its tag / feature definition, or cluster without it",
        )
    unassigned = engine.count("customer_tags", "recency_days is null")
    return FeatureMatrix(chosen, table.column(0), values, tag_run_id, as_of, unassigned)


def input_query(features: list[Feature], as_of: dt.date) -> str:
    """One row per customer who bought on or before ``as_of``: customer_id and the raw value
    of each feature (a column named after it)."""
    shares = [f for f in features if f.name not in _BASE]
    columns = [
        f"{_BASE[f.name][2] if f.name in _BASE else _column('s', f.name)}::double "
        f"as {quote_ident(f.name)}"
        for f in features
    ]
    joined = "left join customer_features f using (customer_id)"
    if shares:
        joined += f"\nleft join ({_shares_query(shares, as_of)}) s using (customer_id)"
    return (
        f"select t.customer_id, {', '.join(columns)}\nfrom customer_tags t\n{joined}\n"
        "where t.recency_days is not null"
    )


def _shares_query(shares: list[Feature], as_of: dt.date) -> str:
    """Per customer, each share over the 12-month window, or all orders when it is empty:
    one pass over orders, two counts per share (a FILTER each)."""
    end = f"date '{as_of.isoformat()}' + interval 1 day"
    counts = ["count(*) filter (where recent) as n_recent", "count(*) as n_all"]
    ratios = []
    for i, f in enumerate(shares):
        condition = (
            "coalesce(coupon_used, false) or coalesce(discount, 0) > 0"
            if f.value is None
            else f"{f.name.partition(':')[0]} = {quote_str(f.value)}"
        )
        counts += [
            f"count(*) filter (where recent and ({condition})) as r{i}",
            f"count(*) filter (where {condition}) as a{i}",
        ]
        ratios.append(
            f"case when n_recent > 0 then r{i} / n_recent else a{i} / n_all end "
            f"as {quote_ident(f.name)}"
        )
    return (
        f"select customer_id, {', '.join(ratios)} from (\n"
        f"  select customer_id, {', '.join(counts)} from (\n"
        f"    select *, ordered_at >= {end} - interval 12 month as recent from orders\n"
        f"    where customer_id is not null and ordered_at < {end}\n"
        "      and not coalesce(returned, false)\n"
        "  ) group by customer_id\n)"
    )


def _ranked(engine: Engine, as_of: dt.date) -> dict[str, list[str]]:
    """Channels and categories of the orders before as_of, the most used in the last 12
    months first (then the most used before)."""
    if not engine.table_exists("orders"):
        return {kind: [] for kind in _SHARE_OF}
    end = f"date '{as_of.isoformat()}' + interval 1 day"
    out = {}
    for kind in _SHARE_OF:
        rows = engine.rows(
            f"select {kind} from orders where {kind} is not null and ordered_at < {end} "
            "and not coalesce(returned, false) group by all order by "
            f"count(*) filter (where ordered_at >= {end} - interval 12 month) desc, "
            f"count(*) desc, {kind}"
        )
        out[kind] = [str(r[0]) for r in rows]
    return out


def _share(kind: str, value: str) -> Feature:
    zh, en = _SHARE_OF[kind]
    return Feature(
        f"{kind}:{value}",
        f"{zh}{value}订单占比",
        f"Share of orders: {en} {value}",
        log=False,
        value=value,
    )


def _check_definitions(engine: Engine, features: list[Feature]) -> None:
    """The tags and features the base columns read must exist (a workspace can drop them)."""
    needed = {("customer_tags", "recency_days")} | {
        _BASE[f.name][:2] for f in features if f.name in _BASE
    }
    have = {t: set(engine.columns(t)) for t in ("customer_tags", "customer_features")}
    missing = sorted(column for table, column in needed if column not in have[table])
    if missing:
        raise UsageError(
            f"clustering needs the tag(s)/feature(s) {', '.join(missing)}, which the latest "
            "tag build does not have",
            hint="restore them from the default catalog under tags/ or features/ and run "
            "huaxiang tags build",
        )
    if any(f.name not in _BASE for f in features) and not engine.table_exists("orders"):
        raise UsageError("share features need the orders table", hint="load orders first")


def _column(alias: str, name: str) -> str:
    return f"coalesce({alias}.{quote_ident(name)}, 0)"
