"""Customer clusters on the built demo workspace (3,000 customers, tags built).

The feature matrix is checked against pandas computing the same columns from the tables;
the run against the warehouse it wrote; the promoted file against the segment loader and a
segment build.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from huaxiang.definitions.segments import load_segments
from huaxiang.engine.duckdb_engine import Engine
from huaxiang.errors import UsageError
from huaxiang.segments.cluster_names import Label, suggest_names
from huaxiang.segments.clusters import (
    DEFAULT_FEATURES,
    cluster_runs,
    feature_matrix,
    latest_cluster_run,
    promote_clusters,
    run_clustering,
)
from huaxiang.workspace import Workspace


@pytest.fixture
def ws(built_demo: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(built_demo)
    try:
        yield workspace
    finally:
        workspace.close()


def frame(engine: Engine, sql: str) -> pd.DataFrame:
    return engine.arrow(sql).to_pandas()


def buyers(engine: Engine) -> set[str]:
    return {
        r[0]
        for r in engine.rows("select customer_id from customer_tags where recency_days is not null")
    }


def test_every_buyer_is_assigned_once_and_a_rerun_gives_the_same_clusters(ws: Workspace) -> None:
    e = ws.engine
    run = run_clustering(e)
    assigned = frame(e, "select customer_id, cluster_id from customer_clusters")
    assert assigned.customer_id.is_unique
    assert set(assigned.customer_id) == buyers(e)
    non_buyers = e.count("customer_tags", "recency_days is null")
    assert run.unassigned == non_buyers > 0
    assert run.customers == len(assigned) == e.count("customer_tags") - non_buyers

    # sizes: the run's, the recorded ones and the table agree, and add up to the assigned
    counts = assigned.cluster_id.value_counts().to_dict()
    assert run.sizes == counts
    recorded = latest_cluster_run(e)
    assert recorded == run
    assert sum(recorded.sizes.values()) == len(assigned)
    assert sorted(counts) == list(range(1, run.k + 1))
    assert list(run.sizes.values()) == sorted(counts.values(), reverse=True)  # 1 = largest
    assert sorted(run.silhouette) == list(range(2, 9))
    assert run.silhouette[run.k] == max(run.silhouette.values())
    assert sum(c.share for c in run.clusters) == pytest.approx(1.0)

    names = [c.name for c in run.clusters]
    assert len({n.zh for n in names}) == len({n.en for n in names}) == run.k

    again = run_clustering(e)
    reassigned = frame(e, "select customer_id, cluster_id from customer_clusters")
    merged = assigned.merge(reassigned, on="customer_id", suffixes=("", "_again"))
    assert len(merged) == len(assigned)
    assert (merged.cluster_id == merged.cluster_id_again).all()
    assert again.run_id != run.run_id
    assert (again.k, again.silhouette, again.clusters) == (run.k, run.silhouette, run.clusters)
    assert [r["run_id"] for r in cluster_runs(e)] == [again.run_id, run.run_id]


def test_the_feature_matrix_equals_pandas_on_the_same_tables(ws: Workspace) -> None:
    e = ws.engine
    matrix = feature_matrix(e)
    names = [f.name for f in matrix.features]
    assert names[:5] == ["recency", "frequency", "monetary", "aov", "price_sensitivity"]
    assert sum(n.startswith("channel:") for n in names) == 4
    assert sum(n.startswith("category:") for n in names) == 5
    ids = matrix.customer_ids.to_pylist()
    assert ids == sorted(buyers(e))
    column = {name: matrix.values[:, i] for i, name in enumerate(names)}

    features = frame(e, "select customer_id, spend_12m from customer_features")
    tags = frame(e, "select customer_id, recency_days, aov from customer_tags")
    people = tags.merge(features, on="customer_id").set_index("customer_id").loc[ids]
    assert np.allclose(column["monetary"], np.log1p(people.spend_12m.fillna(0)), rtol=1e-12)
    assert np.allclose(column["recency"], np.log1p(people.recency_days), rtol=1e-12)
    assert np.allclose(column["aov"], np.log1p(people.aov), rtol=1e-12)

    # shares: the 12 months before the as-of day, or all earlier orders without any in them
    orders = frame(e, "select customer_id, ordered_at, channel, coupon_used, discount, returned "
                      "from orders")  # fmt: skip
    end = pd.Timestamp(matrix.as_of + dt.timedelta(days=1))
    kept = orders[
        orders.customer_id.notna() & (orders.ordered_at < end) & ~orders.returned.fillna(False)
    ].copy()
    kept["recent"] = kept.ordered_at >= end - pd.DateOffset(months=12)
    kept["promo"] = kept.coupon_used.fillna(False) | (kept.discount.fillna(0) > 0)
    top_channel = names[5].partition(":")[2]
    kept["in_channel"] = kept.channel == top_channel
    expected_channel = _share(kept, "in_channel").reindex(ids)
    expected_promo = _share(kept, "promo").reindex(ids)
    assert np.allclose(column[names[5]], expected_channel, rtol=1e-12)
    assert np.allclose(column["price_sensitivity"], expected_promo, rtol=1e-12)
    # the rule is not vacuous: some buyers had no order in the 12 months
    assert (kept.groupby("customer_id").recent.sum().reindex(ids) == 0).sum() > 0


def _share(orders: pd.DataFrame, flag: str) -> pd.Series:
    """Per customer: the share of ``flag`` among the recent orders, or among all without."""
    counts = (
        orders.assign(hit=orders[flag], recent_hit=orders[flag] & orders.recent)
        .groupby("customer_id")[["recent", "hit", "recent_hit"]]
        .agg("sum")
    )
    total = orders.groupby("customer_id").size()
    return (counts.recent_hit / counts.recent).where(counts.recent > 0, counts.hit / total)


def test_promoted_clusters_load_as_segments_and_build_to_the_clusters(ws: Workspace) -> None:
    run = run_clustering(ws.engine, k=4)
    path = promote_clusters(ws.engine, ws.root / "segments" / "clusters.yaml")
    catalog = load_segments(ws.root)
    promoted = {i: s for i, s in catalog.segments.items() if i.startswith("cluster_")}
    assert sorted(promoted) == [f"cluster_{c}" for c in range(1, 5)]
    for cluster in run.clusters:
        segment = promoted[f"cluster_{cluster.cluster_id}"]
        assert segment.kind == "model"
        assert segment.model is not None
        assert (segment.model.of, segment.model.values) == ("cluster", [cluster.cluster_id])
        assert (segment.name.zh, segment.name.en) == (cluster.name.zh, cluster.name.en)
        assert segment.group == "clusters"
    with pytest.raises(UsageError, match="exists"):
        promote_clusters(run, path)
    assert promote_clusters(run, path, overwrite=True) == path

    ws.build_segments()
    members = frame(ws.engine, "select customer_id, segment_id from segment_members "
                               "where segment_id like 'cluster_%'")  # fmt: skip
    clusters = frame(ws.engine, "select customer_id, 'cluster_' || cluster_id as segment_id "
                                "from customer_clusters")  # fmt: skip
    assert set(members.itertuples(index=False)) == set(clusters.itertuples(index=False))


def test_chosen_features_and_unknown_ones(ws: Workspace) -> None:
    run = run_clustering(ws.engine, features=["recency", "monetary", "channel:APP"], k=3)
    assert run.features == ["recency", "monetary", "channel:APP"]
    assert set(run.clusters[0].means) == set(run.features)
    with pytest.raises(UsageError, match="unknown cluster feature") as error:
        run_clustering(ws.engine, features=["recency", "monetry"])
    assert "did you mean 'monetary'" in str(error.value)
    assert all(name in str(error.value) for name in DEFAULT_FEATURES)


def test_clustering_before_any_tag_build_says_what_to_run(engine: Engine) -> None:
    with pytest.raises(UsageError, match="no tags have been built") as error:
        run_clustering(engine)
    assert "huaxiang tags build" in str(error.value)
    with pytest.raises(UsageError, match="not been clustered"):
        latest_cluster_run(engine)
    assert cluster_runs(engine) == []


def test_suggested_names_follow_the_profile_and_are_unique() -> None:
    scores = {
        1: {"recency": -1.0, "monetary": 1.2, "frequency": 0.8, "aov": 0.3},
        2: {"recency": 1.5, "monetary": -1.0, "frequency": -1.0, "aov": 0.0},
        3: {"recency": 0.9, "monetary": -0.2, "frequency": -0.9, "aov": 0.1},
        4: {"recency": -0.2, "monetary": 0.0, "frequency": 0.9, "aov": -0.8},
        5: {"recency": 0.0, "monetary": 0.0, "frequency": 0.0, "aov": 0.0, "channel:门店": 2.0},
    }
    names = suggest_names(scores)
    assert names == {
        1: Label("高价值忠诚", "High-value loyal"),
        2: Label("沉睡流失1", "Dormant 1"),
        3: Label("沉睡流失2", "Dormant 2"),
        4: Label("高频低额", "Frequent small-basket"),
        5: Label("偏好门店", "Prefers 门店"),
    }
