"""Segments on the built demo workspace, each result checked against pandas."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from huaxiang.cli.main import app
from huaxiang.errors import ConfigError, UsageError
from huaxiang.workspace import Workspace


def members(ws: Workspace) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for customer, segment in ws.engine.rows("select customer_id, segment_id from segment_members"):
        out.setdefault(str(segment), set()).add(str(customer))
    return out


def frame(ws: Workspace, sql: str) -> pd.DataFrame:
    return ws.engine.arrow(sql).to_pandas()


@pytest.fixture
def built(built_demo: Path) -> Workspace:
    ws = Workspace.open(built_demo)
    ws.build_segments()
    return ws


def test_value_behaviour_segments_equal_a_pandas_filter_with_priorities(built: Workspace) -> None:
    t = frame(built, "select customer_id, ltv, repurchase_rate, price_sensitivity, aov, "
                     "recency_days from customer_tags")  # fmt: skip
    rules = [  # the shipped group, in priority order (SPEC.md's seed example)
        ("high_value_loyal", (t.ltv > 2000) & (t.repurchase_rate > 0.7)),
        ("at_risk", (t.recency_days > 90) & t.ltv.between(500, 1000)),
        ("price_sensitive", (t.price_sensitivity == "high") & (t.aov < 500)),
        ("mid_potential", t.ltv.between(1000, 2000) & t.repurchase_rate.between(0.4, 0.6)),
    ]
    taken = pd.Series(False, index=t.index)
    got = members(built)
    for segment, condition in rules:
        mine = condition.fillna(False).astype(bool) & ~taken
        taken |= mine
        assert got.get(segment, set()) == set(t.customer_id[mine]), segment
    assert sum(len(got.get(s, set())) for s, _ in rules) == int(taken.sum()) > 0


def test_rfm_rule_segments_equal_the_spec_thresholds_computed_from_orders(
    built: Workspace,
) -> None:
    """SPEC.md: R within 30 days 1 / 30-90 days 2 / over 90 days 3; F orders in 3 months >= 5
    1 / 2-4 2 / <= 1 3; M spend in 3 months >= 1000 1 / 500-999 2 / <= 499 3; R+F+M 3-5 high
    value, 6-7 potential, 8-9 churn risk. Recomputed here from the clean orders."""
    as_of = built.engine.scalar("select as_of from hx_tag_runs order by built_at desc limit 1")
    assert isinstance(as_of, dt.date)
    orders = frame(built, "select customer_id, ordered_at, amount, returned from orders "
                          "where customer_id is not null")  # fmt: skip
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    kept = orders[~orders.returned.fillna(False).astype(bool) & (orders.ordered_at < end)]
    last = kept.groupby("customer_id").ordered_at.max()
    recency = (pd.Timestamp(as_of) - last.dt.normalize()).dt.days
    recent = kept[kept.ordered_at >= end - pd.DateOffset(months=3)]
    f3 = recent.groupby("customer_id").size().reindex(recency.index, fill_value=0)
    m3 = recent.groupby("customer_id").amount.sum().reindex(recency.index, fill_value=0.0)
    r = pd.cut(recency, [-1e9, 30, 90, 1e9], labels=[1, 2, 3]).astype(int)
    f = f3.map(lambda n: 1 if n >= 5 else 2 if n >= 2 else 3)
    m = m3.map(lambda x: 1 if x >= 1000 else 2 if x >= 500 else 3)
    total = r + f + m
    expected = {
        "rfm_high_value": set(total.index[total.between(3, 5)]),
        "rfm_potential": set(total.index[total.between(6, 7)]),
        "rfm_churn_risk": set(total.index[total.between(8, 9)]),
    }
    got = members(built)
    for segment, ids in expected.items():
        assert got.get(segment, set()) == ids, segment
    assert all(expected.values())


def test_exclusive_groups_hold_each_customer_once(built: Workspace) -> None:
    catalog = built.segment_catalog()
    for group, segments in catalog.groups().items():
        ids = [s.id for s in segments]
        marks = ", ".join("?" for _ in ids)
        twice = built.engine.scalar(
            f"select count(*) from (select customer_id from segment_members "
            f"where segment_id in ({marks}) group by 1 having count(*) > 1)",
            ids,
        )
        assert twice == 0, group


def test_preview_counts_like_pandas(built: Workspace) -> None:
    t = frame(built, "select t.gender, t.city_tier, f.orders_12m from customer_tags t "
                     "join customer_features f using (customer_id)")  # fmt: skip
    result = built.preview_segment("gender = 'female' and orders_12m >= 3")
    expected = int(((t.gender == "female") & (t.orders_12m >= 3)).sum())
    assert (result.customers, result.total) == (expected, len(t))
    assert result.share == pytest.approx(expected / len(t))
    with pytest.raises(UsageError, match="unknown tag, feature or customer field 'gendr'") as info:
        built.preview_segment("gendr = 'female'")
    assert info.value.hint == "did you mean 'gender'?"


def test_analysis_sizes_overlaps_and_findings(built: Workspace) -> None:
    data = built.segment_analysis("en")
    got = members(built)
    total = built.engine.count("customer_tags")
    for row in data["segments"]:
        assert row["customers"] == len(got.get(row["segment"], set()))
        assert row["share"] == pytest.approx(row["customers"] / total)
    anywhere = set().union(*got.values())
    assert data["in_no_segment"] == total - len(anywhere)
    pairs = {(o["a"], o["b"]): o for o in data["overlaps"]}
    a, b = "lifecycle_churned", "rfm_churn_risk"
    both = len(got[a] & got[b])
    assert pairs[(a, b)]["both_"] == both
    assert pairs[(a, b)]["jaccard"] == pytest.approx(both / len(got[a] | got[b]))
    codes = {(f["code"], f["subject"]) for f in data["findings"]}
    assert ("too_coarse", "rfm_level") in codes  # three segments: fewer than five
    small = [r["segment"] for r in data["segments"] if 0 < r["share"] < 0.05]
    assert small and all(
        ("under_5_percent", s) in codes or ("too_small", s) in codes for s in small
    )


def test_comparison_against_the_population(built: Workspace) -> None:
    data = built.compare_segment("high_value_loyal")
    t = frame(built, "select t.customer_id, t.ltv, m.segment_id from customer_tags t left join "
                     "(select * from segment_members where segment_id = 'high_value_loyal') m "
                     "using (customer_id)")  # fmt: skip
    ltv = next(r for r in data["numeric"] if r["name"] == "ltv")
    assert ltv["segment"] == pytest.approx(t.ltv[t.segment_id.notna()].mean())
    assert ltv["against"] == pytest.approx(t.ltv.mean())
    band = next(r for r in data["text"] if r["tag"] == "ltv_band" and r["value"] == "2000+")
    assert band["share_segment"] == pytest.approx(1.0)  # every member spent over 2000
    with pytest.raises(UsageError, match="unknown segment 'high_value_loyl'"):
        built.compare_segment("high_value_loyl")


def test_migration_between_two_builds(built: Workspace) -> None:
    before = members(built)
    path = built.root / "segments" / "value_behaviour.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("rule: ltv > 2000 and", "rule: ltv > 3000 and"), "utf-8")
    built.build_segments()
    after = members(built)
    moved = built.segment_migration("value_behaviour")
    group = ["high_value_loyal", "at_risk", "price_sensitive", "mid_potential"]

    def where(ids: dict[str, set[str]], customer: str) -> str:
        return next((s for s in group if customer in ids.get(s, set())), "(none)")

    seen = set().union(*(before.get(s, set()) | after.get(s, set()) for s in group))
    expected: dict[tuple[str, str], int] = {}
    for customer in seen:
        key = (where(before, customer), where(after, customer))
        expected[key] = expected.get(key, 0) + 1
    assert {(m["from"], m["to"]): m["customers"] for m in moved.matrix} == expected
    assert moved.moved == sum(n for (a, b), n in expected.items() if a != b) > 0
    listed = built.migrated_customers("value_behaviour", "high_value_loyal", None)
    assert {r["customer_id"] for r in listed} == {
        c for c in before["high_value_loyal"] if c not in after.get("high_value_loyal", set())
    }
    out = built.export_migrated_customers(built.root / "moved.csv", "value_behaviour")
    assert len(pd.read_csv(out)) == moved.moved


def test_bad_definitions_name_file_and_line(built: Workspace) -> None:
    (built.root / "segments" / "broken.yaml").write_text(
        "version: 1\nsegments:\n"
        "  - id: typo\n    name: 错别字\n    rule: ltv > 100 and repurchase_rat > 0.5\n"
        "  - id: no_model\n    name: x\n    kind: model\n    model: {of: rfm_grup, values: [a]}\n"
        "  - id: no_cluster\n    name: y\n    kind: model\n    model: {of: cluster, values: [1]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        built.build_segments()
    text = str(info.value)
    assert "segments/broken.yaml, line 5" in text and "repurchase_rat" in text
    assert "did you mean 'repurchase_rate'?" in text
    assert "unknown model output 'rfm_grup'" in text
    assert "no clustering has run yet" in text


def test_cli_build_preview_and_analyse(built: Workspace) -> None:
    root = str(built.root)
    built.close()
    runner = CliRunner()
    out = runner.invoke(app, ["-w", root, "segments", "build", "--json"])
    assert out.exit_code == 0, out.output
    sizes = json.loads(out.stdout)["sizes"]
    assert sizes["high_value_loyal"] > 0
    out = runner.invoke(app, ["-w", root, "segments", "preview", "ltv > 2000", "--json"])
    assert out.exit_code == 0 and json.loads(out.stdout)["customers"] > 0
    # as a process, a bad condition is one message and exit code 2
    huaxiang = Path(sys.executable).with_name("huaxiang")
    done = subprocess.run(
        [str(huaxiang), "-w", root, "segments", "preview", "ltv >"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "cannot parse the expression" in done.stderr and "Traceback" not in done.stderr
    out = runner.invoke(app, ["-w", root, "segments", "analyse", "--json"])
    assert out.exit_code == 0 and json.loads(out.stdout)["findings"]


def test_persona_cards_of_segments_and_clusters(built: Workspace) -> None:
    cards = built.persona_cards(["high_value_loyal", "at_risk"], lang="en")
    got = members(built)
    assert [(c.id, c.kind, c.size) for c in cards] == [
        ("high_value_loyal", "segment", len(got["high_value_loyal"])),
        ("at_risk", "segment", len(got["at_risk"])),
    ]
    assert cards[0].strategy is not None and cards[0].strategy["owner"] == "会员运营组"
    everyone = built.persona_cards()  # every segment with members
    assert {c.id for c in everyone} == {s for s, ids in got.items() if ids}
    run = built.cluster(k=3)
    clustered = built.persona_cards(clusters=True)
    assert [c.size for c in clustered] == [p.size for p in run.clusters]
    assert all(c.kind == "cluster" for c in clustered)
    with pytest.raises(UsageError, match="unknown segment 'high_value'"):
        built.persona_cards(["high_value"])
    root = str(built.root)
    built.close()
    page = Path(root) / "cards.html"
    out = CliRunner().invoke(
        app, ["-w", root, "personas", "high_value_loyal", "--html", str(page), "--lang", "zh"]
    )
    assert out.exit_code == 0, out.output
    html = page.read_text(encoding="utf-8")
    assert "高价值忠诚客户" in html and "https://" not in html
    out = CliRunner().invoke(app, ["-w", root, "personas", "at_risk", "--json"])
    assert out.exit_code == 0 and json.loads(out.stdout)[0]["id"] == "at_risk"
