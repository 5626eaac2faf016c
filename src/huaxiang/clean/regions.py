"""Resolve free-text Chinese region strings to province, city and city tier.

The resolver is a single DuckDB ``SELECT`` so that it runs set-based over millions of
customer rows.  It works on the *distinct* normalised strings only and joins the result
back, so the cost depends on the number of distinct region strings, not on row count.

How a string is resolved
------------------------
1. Normalise: the province and city columns are joined with ``|``; every run of
   characters that is not a Han character, a Latin letter or a digit becomes ``|``.
   An input with nothing left is ``empty``.
2. Every substring of the text is looked up (equi-join) in a name list: province full
   and short names (``广东省``/``广东``), city full names (``广州市``), ``<short>州`` for
   autonomous prefectures (``恩施州``) and city short names of at least two characters.
   A short name directly followed by 区/路/街/道 is a district or a street
   (``朝阳区``, ``中山路``, ``河北区``) and is ignored.
3. Overlaps: a province mention inside a longer city mention is dropped (``海南`` in
   ``海南藏族自治州``, ``吉林`` in ``吉林市``).  A city mention overlapped by a longer
   city mention, or by a longer or equally long province mention, is dropped
   (``吉林省`` → province only, ``陕西安康`` is not ``西安``).  The one exception: a
   city short name that is also a province short name is kept when the city's own
   province is mentioned elsewhere (``青海海南`` → 海南藏族自治州, ``吉林吉林`` → 吉林市).
4. The earliest remaining province mention is *the given province* when it appears
   before every city mention.  Municipalities, Hong Kong, Macau and Taiwan resolve
   through their province mention (``北京朝阳`` → 北京市).
5. Candidates are ranked: lies in the given province, longer match, full name before
   short name, higher tier, earlier position, code.  No candidate but a province
   mention gives ``province_only``; nothing at all gives ``unresolved``.
"""

from __future__ import annotations

import functools
import importlib.resources
import io

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv

__all__ = [
    "COLUMNS",
    "TIERS",
    "load_divisions",
    "region_resolution_sql",
    "register_divisions",
    "resolve_regions",
]

#: City tiers from highest to lowest.
TIERS: tuple[str, ...] = ("一线", "新一线", "二线", "三线", "四线", "五线")
#: Output columns of the resolution query besides the key.
COLUMNS: tuple[str, ...] = (
    "province",
    "city",
    "city_tier",
    "area",
    "region_code",
    "region_status",
)
_CSV_COLUMNS = ("province", "province_short", "city", "city_short", "city_tier", "area", "code")
_MAX_TEXT = 64  # characters of a region string that are looked at
_NOT_AFTER_SHORT = "区路街道"  # a short name followed by one of these is not a region


@functools.cache
def load_divisions() -> pa.Table:
    """Return the shipped administrative-division table (one row per prefecture)."""
    data = importlib.resources.files("huaxiang.datasets").joinpath("admin_divisions.csv")
    convert = pa_csv.ConvertOptions(
        column_types={name: pa.string() for name in _CSV_COLUMNS},
        strings_can_be_null=True,
        include_columns=list(_CSV_COLUMNS),
    )
    table: pa.Table = pa_csv.read_csv(io.BytesIO(data.read_bytes()), convert_options=convert)
    return table


def register_divisions(con: duckdb.DuckDBPyConnection, name: str = "hx_divisions") -> None:
    """Create (or replace) table ``name`` in ``con`` holding the division rows."""
    view = "__hx_divisions_arrow"
    con.register(view, load_divisions())
    try:
        con.sql(f"CREATE OR REPLACE TABLE {_relation(name)} AS SELECT * FROM {_ident(view)}")
    finally:
        con.unregister(view)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _relation(name: str) -> str:
    if not name or any(not part for part in name.split(".")):
        raise ValueError(f"invalid relation name: {name!r}")
    return ".".join(_ident(part) for part in name.split("."))


def region_resolution_sql(
    source: str,
    key: str,
    province_col: str | None,
    city_col: str | None,
    divisions: str = "hx_divisions",
) -> str:
    """Return a DuckDB SELECT resolving every row of ``source`` to a region.

    The result has the key column (under its own name) followed by :data:`COLUMNS`.
    ``region_status`` is ``ok``, ``province_only``, ``unresolved`` or ``empty``.
    """
    cols = [c for c in (province_col, city_col) if c is not None]
    if not cols:
        raise ValueError("at least one of province_col and city_col is required")
    raw = "concat_ws('|', " + ", ".join(f"CAST({_ident(c)} AS VARCHAR)" for c in cols) + ")"
    text = (
        f"left(trim(regexp_replace({raw}, '[^\\p{{Han}}A-Za-z0-9]+', '|', 'g'), '|'), {_MAX_TEXT})"
    )
    tiers = "[" + ", ".join(f"'{t}'" for t in TIERS) + "]"
    overlap = "{a}.pos < {b}.pos + {b}.len AND {b}.pos < {a}.pos + {a}.len"
    return f"""
WITH hx_src AS (
    SELECT {_ident(key)} AS hx_key, coalesce({text}, '') AS t FROM {_relation(source)}
), hx_div AS (
    SELECT *, coalesce(list_position({tiers}, city_tier), 99) AS tier_rank
    FROM {_relation(divisions)}
), hx_provs AS (
    SELECT province, any_value(area) AS area, left(min(code), 2) || '0000' AS code
    FROM hx_div GROUP BY province
), hx_names AS (
    SELECT DISTINCT 'p' AS kind, province AS prov, NULL AS code, province AS name,
        false AS is_short FROM hx_div
    UNION ALL
    SELECT DISTINCT 'p', province, NULL, province_short, true FROM hx_div
    WHERE province_short <> province
    UNION ALL
    SELECT 'c', province, code, city, false FROM hx_div WHERE city <> province
    UNION ALL
    SELECT 'c', province, code, city_short || '州', false FROM hx_div
    WHERE city LIKE '%自治州' AND length(city_short) >= 2
    UNION ALL
    SELECT 'c', province, code, city_short, true FROM hx_div
    WHERE city <> province AND length(city_short) >= 2 AND city_short <> city
), hx_texts AS (
    SELECT DISTINCT t FROM hx_src WHERE t <> ''
), hx_starts AS (
    SELECT DISTINCT left(name, 1) AS ch, length(name) AS len FROM hx_names
), hx_grams AS (
    SELECT g.t, g.pos, l.len, substr(g.t, g.pos, l.len) AS gram
    FROM (SELECT t, unnest(range(1, length(t) + 1)) AS pos FROM hx_texts) AS g
    JOIN hx_starts AS l ON l.ch = substr(g.t, g.pos, 1)
    WHERE g.pos + l.len - 1 <= length(g.t)
), hx_hits AS (
    SELECT g.t, g.pos, g.len, n.kind, n.prov, n.code, n.is_short
    FROM hx_grams AS g JOIN hx_names AS n ON n.name = g.gram
    WHERE NOT (n.is_short AND contains('{_NOT_AFTER_SHORT}', substr(g.t, g.pos + g.len, 1))
        AND g.pos + g.len <= length(g.t))
), hx_prov_hits AS (
    SELECT h.* FROM hx_hits AS h WHERE h.kind = 'p' AND NOT EXISTS (
        SELECT 1 FROM hx_hits AS c WHERE c.t = h.t AND c.kind = 'c' AND c.len > h.len
            AND {overlap.format(a="c", b="h")})
), hx_city_hits AS (
    SELECT h.* FROM hx_hits AS h WHERE h.kind = 'c' AND NOT EXISTS (
        SELECT 1 FROM hx_hits AS c WHERE c.t = h.t AND c.kind = 'c' AND c.len > h.len
            AND {overlap.format(a="c", b="h")}
    ) AND NOT EXISTS (
        SELECT 1 FROM hx_prov_hits AS p WHERE p.t = h.t AND p.len >= h.len
            AND {overlap.format(a="p", b="h")}
            AND (p.len > h.len OR NOT EXISTS (
                SELECT 1 FROM hx_prov_hits AS q WHERE q.t = h.t AND q.prov = h.prov
                    AND NOT ({overlap.format(a="q", b="h")}))))
), hx_prov_pick AS (
    SELECT t, prov, pos, len, is_short FROM hx_prov_hits
    QUALIFY row_number() OVER (PARTITION BY t ORDER BY pos, len DESC) = 1
), hx_first_city AS (
    SELECT t, min(pos) AS pos FROM hx_city_hits GROUP BY t
), hx_cands AS (
    SELECT t, code, pos, len, is_short FROM hx_city_hits
    UNION ALL
    SELECT p.t, d.code, p.pos, p.len, p.is_short
    FROM hx_prov_pick AS p JOIN hx_div AS d ON d.province = p.prov AND d.city = d.province
), hx_best AS (
    SELECT c.t, c.code FROM hx_cands AS c
    JOIN hx_div AS d ON d.code = c.code
    LEFT JOIN hx_prov_pick AS pp ON pp.t = c.t
    LEFT JOIN hx_first_city AS fc ON fc.t = c.t
    QUALIFY row_number() OVER (PARTITION BY c.t ORDER BY
        coalesce(pp.pos <= coalesce(fc.pos, pp.pos) AND d.province = pp.prov, false) DESC,
        c.len DESC, c.is_short, d.tier_rank, c.pos, c.code) = 1
), hx_res AS (
    SELECT x.t, coalesce(d.province, pp.prov) AS province, d.city, d.city_tier,
        coalesce(d.area, pv.area) AS area, coalesce(d.code, pv.code) AS region_code
    FROM hx_texts AS x
    LEFT JOIN hx_best AS b ON b.t = x.t
    LEFT JOIN hx_div AS d ON d.code = b.code
    LEFT JOIN hx_prov_pick AS pp ON pp.t = x.t
    LEFT JOIN hx_provs AS pv ON pv.province = pp.prov
)
SELECT s.hx_key AS {_ident(key)}, r.province, r.city, r.city_tier, r.area, r.region_code,
    CASE WHEN s.t = '' THEN 'empty' WHEN r.city IS NOT NULL THEN 'ok'
        WHEN r.province IS NOT NULL THEN 'province_only' ELSE 'unresolved' END
        AS region_status
FROM hx_src AS s LEFT JOIN hx_res AS r ON r.t = s.t
"""


def resolve_regions(values: list[str | None]) -> list[dict[str, str | None]]:
    """Resolve a small list of region strings on an in-memory DuckDB.

    Returns one dict per input, in input order, with key ``input`` plus :data:`COLUMNS`.
    """
    con = duckdb.connect()
    try:
        register_divisions(con)
        inputs = pa.table(
            {
                "hx_row": pa.array(range(len(values)), pa.int64()),
                "hx_value": pa.array(values, pa.string()),
            }
        )
        con.register("hx_input", inputs)
        query = region_resolution_sql("hx_input", "hx_row", None, "hx_value")
        rows = con.sql(f"SELECT * FROM ({query}) ORDER BY hx_row").fetchall()
    finally:
        con.close()
    return [{"input": values[row[0]], **dict(zip(COLUMNS, row[1:], strict=True))} for row in rows]
