"""Tests for the administrative-division table and the SQL region resolver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huaxiang.clean.regions import (
    COLUMNS,
    TIERS,
    load_divisions,
    region_resolution_sql,
    register_divisions,
    resolve_regions,
)

# GB/T 2260 province-level codes (first two digits).
PROVINCE_PREFIX = {
    "北京市": "11", "天津市": "12", "河北省": "13", "山西省": "14", "内蒙古自治区": "15",
    "辽宁省": "21", "吉林省": "22", "黑龙江省": "23",
    "上海市": "31", "江苏省": "32", "浙江省": "33", "安徽省": "34", "福建省": "35",
    "江西省": "36", "山东省": "37",
    "河南省": "41", "湖北省": "42", "湖南省": "43", "广东省": "44", "广西壮族自治区": "45",
    "海南省": "46",
    "重庆市": "50", "四川省": "51", "贵州省": "52", "云南省": "53", "西藏自治区": "54",
    "陕西省": "61", "甘肃省": "62", "青海省": "63", "宁夏回族自治区": "64",
    "新疆维吾尔自治区": "65",
    "台湾省": "71", "香港特别行政区": "81", "澳门特别行政区": "82",
}  # fmt: skip
SELF_ROWS = {"北京市", "天津市", "上海市", "重庆市", "台湾省", "香港特别行政区", "澳门特别行政区"}
FIRST_TIER = {"北京", "上海", "广州", "深圳"}
NEW_FIRST_TIER = {
    "成都", "重庆", "杭州", "武汉", "苏州", "西安", "南京", "长沙",
    "天津", "郑州", "东莞", "青岛", "昆明", "宁波", "合肥",
}  # fmt: skip
SECOND_TIER = {
    "佛山", "沈阳", "无锡", "济南", "厦门", "福州", "温州", "哈尔滨", "石家庄", "大连",
    "南宁", "泉州", "金华", "贵阳", "常州", "长春", "南昌", "南通", "嘉兴", "徐州",
    "惠州", "太原", "台州", "绍兴", "保定", "中山", "潍坊", "临沂", "珠海", "烟台",
}  # fmt: skip
AREAS = {"华北", "东北", "华东", "华中", "华南", "西南", "西北", "港澳台"}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return load_divisions().to_pylist()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    register_divisions(connection)
    yield connection
    connection.close()


def resolve_on(con: duckdb.DuckDBPyConnection, values: list[str | None]) -> list[dict[str, Any]]:
    """Resolve values on an existing connection (one query for the whole batch)."""
    inputs = pa.table({"id": list(range(len(values))), "txt": pa.array(values, pa.string())})
    con.register("t_inputs", inputs)
    try:
        query = region_resolution_sql("t_inputs", "id", None, "txt")
        out = con.sql(f"SELECT * FROM ({query}) ORDER BY id").fetchall()
    finally:
        con.unregister("t_inputs")
    return [dict(zip(("id", *COLUMNS), row, strict=True)) for row in out]


# ---------------------------------------------------------------- table integrity


def test_columns_and_types() -> None:
    table = load_divisions()
    assert table.column_names == [
        "province", "province_short", "city", "city_short", "city_tier", "area", "code",
    ]  # fmt: skip
    assert all(field.type == pa.string() for field in table.schema)
    assert load_divisions() is table  # cached


def test_codes_unique_six_digits_and_prefix_consistent(rows: list[dict[str, Any]]) -> None:
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes))
    for r in rows:
        code = r["code"]
        assert len(code) == 6 and code.isdigit(), r
        assert code[:2] == PROVINCE_PREFIX[r["province"]], r
        if r["city"] == r["province"]:
            assert code.endswith("0000"), r
        else:
            assert code.endswith("00") and not code.endswith("0000"), r


def test_every_province_present(rows: list[dict[str, Any]]) -> None:
    provinces = {r["province"] for r in rows}
    assert provinces == set(PROVINCE_PREFIX)
    assert len(provinces) == 34
    shorts = {r["province"]: r["province_short"] for r in rows}
    assert len(set(shorts.values())) == 34
    assert all(p.startswith(s) and len(s) >= 2 for p, s in shorts.items())


def test_self_rows_and_counts(rows: list[dict[str, Any]]) -> None:
    assert {r["province"] for r in rows if r["city"] == r["province"]} == SELF_ROWS
    assert 330 <= len(rows) <= 345
    prefectures = [r for r in rows if r["city"] != r["province"]]
    assert len(prefectures) == 333  # 293 地级市 + 7 地区 + 30 自治州 + 3 盟
    suffixes = ("市", "自治州", "地区", "盟")
    assert all(r["city"].endswith(suffixes) for r in prefectures)
    assert sum(r["city"].endswith("自治州") for r in rows) == 30
    assert sum(r["city"].endswith("地区") for r in rows) == 7
    assert sum(r["city"].endswith("盟") for r in rows) == 3


def test_city_names(rows: list[dict[str, Any]]) -> None:
    shorts = [r["city_short"] for r in rows]
    assert len(shorts) == len(set(shorts))
    assert len({r["city"] for r in rows}) == len(rows)
    for r in rows:
        assert len(r["city_short"]) >= 2 and r["city"].startswith(r["city_short"]), r


def test_tiers(rows: list[dict[str, Any]]) -> None:
    by_short = {r["city_short"]: r["city_tier"] for r in rows}
    assert {c for c, t in by_short.items() if t == "一线"} == FIRST_TIER
    assert {c for c, t in by_short.items() if t == "新一线"} == NEW_FIRST_TIER
    assert {c for c, t in by_short.items() if t == "二线"} == SECOND_TIER
    for r in rows:
        if r["area"] == "港澳台":
            assert r["city_tier"] is None
        else:
            assert r["city_tier"] in TIERS, r


def test_areas(rows: list[dict[str, Any]]) -> None:
    assert {r["area"] for r in rows} == AREAS
    area_of: dict[str, set[str]] = {}
    for r in rows:
        area_of.setdefault(r["province"], set()).add(r["area"])
    assert all(len(a) == 1 for a in area_of.values())
    assert area_of["广东省"] == {"华南"} and area_of["新疆维吾尔自治区"] == {"西北"}
    assert area_of["辽宁省"] == {"东北"} and area_of["香港特别行政区"] == {"港澳台"}


def test_known_codes(rows: list[dict[str, Any]]) -> None:
    code = {r["city"]: r["code"] for r in rows}
    assert code["广州市"] == "440100"
    assert code["深圳市"] == "440300"
    assert code["北京市"] == "110000"
    assert code["重庆市"] == "500000"
    assert code["恩施土家族苗族自治州"] == "422800"
    assert code["海南藏族自治州"] == "632500"
    assert code["吉林市"] == "220200"
    assert code["朝阳市"] == "211300"
    assert code["乌鲁木齐市"] == "650100"


def test_register_divisions_replaces(con: duckdb.DuckDBPyConnection) -> None:
    register_divisions(con, "other_div")
    register_divisions(con, "other_div")
    assert con.sql("SELECT count(*) FROM other_div").fetchall() == [(len(load_divisions()),)]
    con.sql("DROP TABLE other_div")


# ---------------------------------------------------------------- resolution

CASES: list[tuple[str | None, str | None, str | None, str]] = [
    # input, province, city, status
    ("广东省广州市天河区", "广东省", "广州市", "ok"),
    ("广州", "广东省", "广州市", "ok"),
    ("广州市", "广东省", "广州市", "ok"),
    ("广东 广州", "广东省", "广州市", "ok"),
    ("上海", "上海市", "上海市", "ok"),
    ("上海市浦东新区", "上海市", "上海市", "ok"),
    ("北京朝阳", "北京市", "北京市", "ok"),
    ("北京市朝阳区", "北京市", "北京市", "ok"),
    ("深圳市南山区", "广东省", "深圳市", "ok"),
    ("恩施州", "湖北省", "恩施土家族苗族自治州", "ok"),
    ("内蒙古呼和浩特", "内蒙古自治区", "呼和浩特市", "ok"),
    ("新疆乌鲁木齐市", "新疆维吾尔自治区", "乌鲁木齐市", "ok"),
    ("广东", "广东省", None, "province_only"),
    ("Guangzhou", None, None, "unresolved"),
    (None, None, None, "empty"),
    ("", None, None, "empty"),
    ("  、 ", None, None, "empty"),
    # 吉林 is both a province and a city
    ("吉林", "吉林省", None, "province_only"),
    ("吉林省", "吉林省", None, "province_only"),
    ("吉林市", "吉林省", "吉林市", "ok"),
    ("吉林省吉林市", "吉林省", "吉林市", "ok"),
    ("吉林吉林", "吉林省", "吉林市", "ok"),
    ("吉林省长春市", "吉林省", "长春市", "ok"),
    # 海南 is a province and the short name of 海南藏族自治州 (青海)
    ("海南", "海南省", None, "province_only"),
    ("海南省海口市", "海南省", "海口市", "ok"),
    ("海南州", "青海省", "海南藏族自治州", "ok"),
    ("青海海南", "青海省", "海南藏族自治州", "ok"),
    ("青海省海南藏族自治州共和县", "青海省", "海南藏族自治州", "ok"),
    ("乌海市海南区", "内蒙古自治区", "乌海市", "ok"),
    # 朝阳: a city in 辽宁 and a district in 北京 / 长春
    ("辽宁朝阳", "辽宁省", "朝阳市", "ok"),
    ("辽宁省朝阳市双塔区", "辽宁省", "朝阳市", "ok"),
    ("朝阳", "辽宁省", "朝阳市", "ok"),
    ("朝阳区", None, None, "unresolved"),
    # overlapping names
    ("陕西安康", "陕西省", "安康市", "ok"),
    ("陕西西安", "陕西省", "西安市", "ok"),
    ("青海西宁", "青海省", "西宁市", "ok"),
    ("天津市河北区", "天津市", "天津市", "ok"),
    ("黑龙江大兴安岭", "黑龙江省", "大兴安岭地区", "ok"),
    ("广州市天河区北京大厦", "广东省", "广州市", "ok"),
    ("中山路", None, None, "unresolved"),
    ("中国广东省深圳市", "广东省", "深圳市", "ok"),
    ("香港", "香港特别行政区", "香港特别行政区", "ok"),
    ("湖北仙桃", "湖北省", None, "province_only"),
]


def test_resolution_cases(con: duckdb.DuckDBPyConnection) -> None:
    results = resolve_on(con, [c[0] for c in CASES])
    got = [
        (c[0], r["province"], r["city"], r["region_status"])
        for c, r in zip(CASES, results, strict=True)
    ]
    assert got == CASES


@pytest.mark.parametrize("case", CASES[:16], ids=lambda c: repr(c[0]))
def test_resolve_regions_python(case: tuple[str | None, str | None, str | None, str]) -> None:
    (result,) = resolve_regions([case[0]])
    assert (result["input"], result["province"], result["city"], result["region_status"]) == case


def test_output_fields() -> None:
    guangzhou, guangdong, unknown = resolve_regions(["广州", "广东", "火星"])
    assert guangzhou == {
        "input": "广州",
        "province": "广东省",
        "city": "广州市",
        "city_tier": "一线",
        "area": "华南",
        "region_code": "440100",
        "region_status": "ok",
    }
    assert guangdong["region_code"] == "440000" and guangdong["area"] == "华南"
    assert guangdong["city_tier"] is None
    assert unknown["region_status"] == "unresolved" and unknown["region_code"] is None


def test_two_columns_and_key_name(con: duckdb.DuckDBPyConnection) -> None:
    con.sql(
        """CREATE OR REPLACE TEMP TABLE customers AS SELECT * FROM (VALUES
            (1, '辽宁', '朝阳'), (2, '北京', '朝阳区'), (3, NULL, '广东深圳'),
            (4, '广东省', NULL), (5, NULL, NULL), (6, '广东', '长沙'), (7, '辽宁', '朝阳'),
            (8, '吉林省', '吉林市'), (9, '青海', '海南'))
            AS v(customer_id, prov, "city name")"""
    )
    query = region_resolution_sql("customers", "customer_id", "prov", "city name")
    rel = con.sql(f"SELECT * FROM ({query}) ORDER BY customer_id")
    assert rel.columns == ["customer_id", *COLUMNS]
    got = {row[0]: (row[2], row[6]) for row in rel.fetchall()}
    assert got == {
        1: ("朝阳市", "ok"),
        2: ("北京市", "ok"),
        3: ("深圳市", "ok"),
        4: (None, "province_only"),
        5: (None, "empty"),
        6: ("长沙市", "ok"),  # city outside the given province: the city still wins
        7: ("朝阳市", "ok"),
        8: ("吉林市", "ok"),
        9: ("海南藏族自治州", "ok"),
    }
    con.sql("DROP TABLE customers")


def test_higher_tier_wins_between_equal_matches(con: duckdb.DuckDBPyConnection) -> None:
    results = resolve_on(con, ["丽水 杭州", "杭州 丽水", "浙江 丽水 杭州"])
    assert [r["city"] for r in results] == ["杭州市", "杭州市", "杭州市"]


def test_given_province_breaks_ties(con: duckdb.DuckDBPyConnection) -> None:
    results = resolve_on(con, ["江苏 苏州 杭州", "浙江 苏州 杭州", "广东 长沙 湘潭"])
    assert [r["city"] for r in results] == ["苏州市", "杭州市", "长沙市"]


def test_requires_a_column() -> None:
    with pytest.raises(ValueError, match="at least one"):
        region_resolution_sql("src", "id", None, None)
    with pytest.raises(ValueError, match="invalid relation"):
        region_resolution_sql("", "id", "p", None)


def test_every_row_resolves_back(
    con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]
) -> None:
    values = [
        text
        for r in rows
        for text in (
            f"{r['province']}{r['city']}",
            f"{r['province_short']}{r['city_short']}",
            f"{r['city']}XX区",
            r["city"],
        )
    ]
    results = resolve_on(con, values)
    expected = [r["code"] for r in rows for _ in range(4)]
    mismatches = [
        (v, res["region_code"], exp)
        for v, res, exp in zip(values, results, expected, strict=True)
        if res["region_code"] != exp or res["region_status"] != "ok"
    ]
    assert mismatches == []


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_property_row_round_trip(
    con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], data: st.DataObject
) -> None:
    row = data.draw(st.sampled_from(rows))
    sep = data.draw(st.sampled_from(["", " ", ",", "/", "\u3000"]))
    texts = [
        f"{row['province']}{sep}{row['city']}",
        f"{row['province_short']}{sep}{row['city_short']}",
        f"{row['city']}XX区",
    ]
    results = resolve_on(con, texts)
    assert [r["region_code"] for r in results] == [row["code"]] * 3, texts
    assert {r["region_status"] for r in results} == {"ok"}


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.text(max_size=40)), max_size=8))
def test_property_any_text_gives_one_row(
    con: duckdb.DuckDBPyConnection, values: list[str | None]
) -> None:
    results = resolve_on(con, values)
    assert [r["id"] for r in results] == list(range(len(values)))
    for value, r in zip(values, results, strict=True):
        assert r["region_status"] in {"ok", "province_only", "unresolved", "empty"}
        if r["region_status"] == "ok":
            assert r["city"] is not None and r["region_code"] is not None
        if value is None or value.strip() == "":
            assert r["region_status"] == "empty"
