"""Customer clusters: K-means over the customers' features, kept in the warehouse.

A run clusters the customers who bought on or before the latest tag build's as-of day (see
``cluster_features``: customers who never bought are counted as unassigned and left out) and
writes, in one transaction:

- ``customer_clusters(customer_id VARCHAR, cluster_id INTEGER)``: the latest run's assignment,
  one row per clustered customer (replaced by every run);
- ``hx_cluster_runs``: one row per run: k, seed, features, the silhouette curve, centres,
  standardisation, suggested names, sizes and profiles (JSON), and the tag build it used.

The clusters can then be promoted to segments: a ``segments/*.yaml`` file with one ``model``
segment per cluster (``model: {of: cluster, values: [id]}``) to edit and act on.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from huaxiang.console import Console, NullConsole
from huaxiang.definitions.segments import CLUSTER
from huaxiang.engine.duckdb_engine import Engine, quote_ident
from huaxiang.errors import DataError, UsageError
from huaxiang.models.kmeans import KMeansResult, choose_and_fit
from huaxiang.segments.cluster_features import (
    DEFAULT_FEATURES,
    INPUT_TABLE,
    FeatureMatrix,
    feature_matrix,
)
from huaxiang.segments.cluster_names import Label, describe, suggest_names

__all__ = [
    "DEFAULT_FEATURES",
    "ClusterProfile",
    "ClusterRun",
    "cluster_run",
    "cluster_runs",
    "feature_matrix",
    "latest_cluster_run",
    "promote_clusters",
    "run_clustering",
]

RUNS_DDL = (
    "create table if not exists hx_cluster_runs (run_id varchar primary key, "
    "built_at timestamp, tag_run_id varchar, as_of date, k integer, seed integer, "
    "sample integer, customers bigint, unassigned bigint, features json, silhouette json, "
    "centroids json, standardisation json, names json, sizes json, profiles json, "
    "seconds double)"
)
_ASSIGNED = "hx_cluster_assignments"  # the Arrow table of labels, registered while writing


@dataclass(frozen=True)
class ClusterProfile:
    cluster_id: int
    size: int
    share: float  # of the clustered customers
    name: Label
    description: Label
    means: dict[str, float]  # raw feature -> mean over the cluster (days, orders, CNY, shares)
    scores: dict[str, float]  # feature -> centre in standard deviations from the overall mean


@dataclass(frozen=True)
class ClusterRun:
    run_id: str
    built_at: dt.datetime
    tag_run_id: str
    as_of: dt.date
    k: int
    seed: int
    sample: int  # customers the silhouette curve was computed on
    features: list[str]
    silhouette: dict[int, float]
    clusters: list[ClusterProfile]  # cluster 1 first (the largest)
    customers: int  # clustered (bought on or before as_of)
    unassigned: int  # never bought by as_of: not clustered, not in customer_clusters
    seconds: float  # features, model and profiles (the write follows)

    @property
    def names(self) -> dict[int, Label]:
        return {c.cluster_id: c.name for c in self.clusters}

    @property
    def sizes(self) -> dict[int, int]:
        return {c.cluster_id: c.size for c in self.clusters}


def run_clustering(
    engine: Engine,
    *,
    features: list[str] | None = None,
    k: int | None = None,
    k_range: Iterable[int] = range(2, 9),
    seed: int = 7,
    sample: int = 20_000,
    console: Console | None = None,
) -> ClusterRun:
    """Cluster the customers on ``features`` (default: ``DEFAULT_FEATURES``), k chosen by
    silhouette over ``k_range`` unless given, and write ``customer_clusters`` and a row of
    ``hx_cluster_runs`` in one transaction."""
    console = console or NullConsole()
    started = time.perf_counter()
    with console.progress("clustering customers", total=3) as task:
        try:
            matrix = feature_matrix(engine, features)
            if not len(matrix.values):
                raise DataError(
                    f"no customer bought on or before {matrix.as_of}: nothing to cluster",
                    hint="check the orders, then run huaxiang tags build",
                )
            task.advance()
            model = choose_and_fit(
                matrix.values,
                k_range=k_range,
                k=k,
                seed=seed,
                sample=sample,
                weights=[f.weight for f in matrix.features],
            )
            task.advance()
            labels = pa.table({"customer_id": matrix.customer_ids, "cluster_id": model.labels})
            engine.register(_ASSIGNED, labels)
            try:
                run = ClusterRun(
                    run_id=f"clusters-{dt.datetime.now():%Y%m%d-%H%M%S-%f}",
                    built_at=dt.datetime.now(),
                    tag_run_id=matrix.tag_run_id,
                    as_of=matrix.as_of,
                    k=model.k,
                    seed=seed,
                    sample=model.sample_size,
                    features=[f.name for f in matrix.features],
                    silhouette=model.silhouette,
                    clusters=_profiles(engine, matrix, model),
                    customers=model.rows,
                    unassigned=matrix.unassigned,
                    seconds=round(time.perf_counter() - started, 3),
                )
                with engine.transaction():
                    engine.execute(
                        "create or replace table customer_clusters as select customer_id, "
                        f"cluster_id::integer as cluster_id from {_ASSIGNED}"
                    )
                    _record(engine, run, model)
            finally:
                engine.unregister(_ASSIGNED)
            task.advance()
        finally:
            engine.execute(f"drop table if exists temp.{INPUT_TABLE}")
    return run


def cluster_runs(engine: Engine) -> list[dict[str, Any]]:
    """Every clustering run, newest first (id, time, as-of day, k, customers, silhouette)."""
    if not engine.table_exists("hx_cluster_runs"):
        return []
    rows = engine.dicts(
        "select run_id, built_at, as_of, k, customers, unassigned, silhouette "
        "from hx_cluster_runs order by built_at desc, run_id desc"
    )
    for row in rows:
        row["silhouette"] = json.loads(row["silhouette"]).get(str(row["k"]))
    return rows


def latest_cluster_run(engine: Engine) -> ClusterRun:
    """The newest clustering run; UsageError when there is none."""
    runs = cluster_runs(engine)
    if not runs:
        raise UsageError("customers have not been clustered yet", hint="run huaxiang cluster")
    return cluster_run(engine, str(runs[0]["run_id"]))


def cluster_run(engine: Engine, run_id: str) -> ClusterRun:
    """One clustering run by its id."""
    rows = (
        engine.dicts("select * from hx_cluster_runs where run_id = ?", [run_id])
        if engine.table_exists("hx_cluster_runs")
        else []
    )
    if not rows:
        known = [str(r["run_id"]) for r in cluster_runs(engine)[:5]]
        raise UsageError(
            f"no clustering run {run_id!r}",
            hint=f"the latest runs: {', '.join(known)}" if known else "run huaxiang cluster",
        )
    row = {key: json.loads(v) if key in _JSON else v for key, v in rows[0].items()}
    clusters = [
        ClusterProfile(
            cluster_id=int(cid),
            size=int(row["sizes"][cid]),
            share=float(profile["share"]),
            name=Label(**row["names"][cid]),
            description=Label(**profile["description"]),
            means=profile["means"],
            scores=profile["scores"],
        )
        for cid, profile in sorted(row["profiles"].items(), key=lambda item: int(item[0]))
    ]
    return ClusterRun(
        run_id=row["run_id"],
        built_at=row["built_at"],
        tag_run_id=row["tag_run_id"],
        as_of=row["as_of"],
        k=row["k"],
        seed=row["seed"],
        sample=row["sample"],
        features=row["features"],
        silhouette={int(k): float(v) for k, v in row["silhouette"].items()},
        clusters=clusters,
        customers=row["customers"],
        unassigned=row["unassigned"],
        seconds=row["seconds"],
    )


def promote_clusters(
    run: ClusterRun | Engine,
    path: Path,
    *,
    group: str = "clusters",
    overwrite: bool = False,
) -> Path:
    """Write a segments file with one ``model`` segment per cluster of ``run`` (or of the
    latest run, given an engine): ids ``cluster_<id>``, the suggested names and descriptions,
    all in one exclusivity ``group``. ``path`` is the file, or a folder for ``clusters.yaml``.
    Returns the file written."""
    if isinstance(run, Engine):
        run = latest_cluster_run(run)
    target = path / "clusters.yaml" if path.is_dir() or not path.suffix else path
    if target.exists() and not overwrite:
        raise UsageError(
            f"{target} exists", hint="choose another file, or overwrite it (edits are lost)"
        )
    segments = [
        {
            "id": f"cluster_{c.cluster_id}",
            "name": _Inline(c.name.as_dict()),
            "description": c.description.as_dict(),
            "kind": "model",
            "model": _Inline({"of": CLUSTER, "values": [c.cluster_id]}),
            "group": group,
            "priority": c.cluster_id,
        }
        for c in run.clusters
    ]
    curve = ", ".join(f"k={k}: {s:.3f}" for k, s in sorted(run.silhouette.items()))
    header = (
        f"# Segments from clustering run {run.run_id} (as of {run.as_of}, k = {run.k}).\n"
        f"# Silhouette by k: {curve}.\n"
        f"# {run.unassigned:,} customers who had not bought by then are in no cluster.\n"
        "# Names are suggestions: edit them, and add a strategy to each segment.\n"
    )
    body = yaml.dump(
        {"version": 1, "segments": segments},
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=10_000,  # a description stays on its line
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(header + body, encoding="utf-8")
    return target


class _Inline(dict[str, Any]):
    """A mapping written on one line, as people write names and model references."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Inline,
    lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True),
)

_JSON = {"features", "silhouette", "centroids", "standardisation", "names", "sizes", "profiles"}


def _profiles(engine: Engine, matrix: FeatureMatrix, model: KMeansResult) -> list[ClusterProfile]:
    """Size and raw feature means per cluster (SQL over the raw values), suggested names."""
    names = [f.name for f in matrix.features]
    means = ", ".join(f"avg(i.{quote_ident(n)})" for n in names)
    rows = engine.rows(
        f"select a.cluster_id, count(*), {means} from {_ASSIGNED} a "
        f"join {INPUT_TABLE} i using (customer_id) group by all order by a.cluster_id"
    )
    scores = {
        j + 1: dict(zip(names, (float(v) for v in model.centers[j]), strict=True))
        for j in range(model.k)
    }
    suggested = suggest_names(scores)
    out = []
    for cid, size, *values in rows:
        raw = dict(zip(names, (float(v) for v in values), strict=True))
        share = size / model.rows
        out.append(
            ClusterProfile(
                int(cid),
                int(size),
                share,
                suggested[cid],
                describe(size, share, raw),
                raw,
                scores[cid],
            )
        )
    return out


def _record(engine: Engine, run: ClusterRun, model: KMeansResult) -> None:
    features = run.features
    centroids = {
        str(j + 1): dict(zip(features, map(float, model.centers_raw[j]), strict=True))
        for j in range(model.k)
    }
    standardisation = {
        "mean": dict(zip(features, map(float, model.mean), strict=True)),
        "std": dict(zip(features, map(float, model.std), strict=True)),
        "weights": dict(zip(features, map(float, model.weights), strict=True)),
    }
    profiles = {
        str(c.cluster_id): {
            "share": c.share,
            "means": c.means,
            "scores": c.scores,
            "description": c.description.as_dict(),
        }
        for c in run.clusters
    }
    engine.execute(RUNS_DDL)
    engine.execute(
        "insert into hx_cluster_runs (run_id, built_at, tag_run_id, as_of, k, seed, sample, "
        "customers, unassigned, features, silhouette, centroids, standardisation, names, sizes, "
        "profiles, seconds) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run.run_id,
            run.built_at,
            run.tag_run_id,
            run.as_of,
            run.k,
            run.seed,
            run.sample,
            run.customers,
            run.unassigned,
            _json(features),
            _json({str(k): s for k, s in run.silhouette.items()}),
            _json(centroids),
            _json(standardisation),
            _json({str(cid): name.as_dict() for cid, name in run.names.items()}),
            _json({str(cid): size for cid, size in run.sizes.items()}),
            _json(profiles),
            run.seconds,
        ],
    )


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
