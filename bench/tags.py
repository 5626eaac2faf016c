"""Benchmark: build the default tag catalog, then rebuild it after one definition changed.

Targets (issue: tag system): the full default catalog over 1M customers / 10M orders / 20M
events in under 30 s with peak RSS under 6 GB; a rebuild after one tag definition changed
computes only what depends on it.

The demo generator writes ~10 orders and ~5 events per customer. To reach the target's event
volume without generating and ingesting gigabytes of JSON, ``--events-per-customer`` copies the
clean events table in the warehouse, each copy shifted back by whole weeks (same customers, same
event mix, older dates), until it holds that many events per customer. The figures printed name
the sizes they ran on.

Baselines in the same run: a hand-written DuckDB query computing three of the catalog's
features in one GROUP BY (the least any tag build must do), and the full build for the rebuild.

    .venv/bin/python bench/tags.py                       # 1,000,000 customers (generate + clean)
    .venv/bin/python bench/tags.py --workspace DIR       # an existing, cleaned workspace
    .venv/bin/python bench/tags.py --workspace DIR --events-per-customer 20   # changes DIR!
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from huaxiang.engine.duckdb_engine import Engine

TARGET_SECONDS = 30.0
TARGET_RSS_GB = 6.0
AS_OF = dt.date(2026, 6, 30)
# the rebuild: one tag with a new rule (its users follow), the rest kept
CHANGED_FILE = "value.yaml"
CHANGED_RULE = ("edges: [200, 500]", "edges: [150, 450]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--workspace", type=Path)
    parser.add_argument(
        "--events-per-customer",
        type=float,
        help="grow the events table to this many per customer (default 20 on a generated "
        "workspace, untouched on --workspace)",
    )
    args = parser.parse_args()
    root = args.workspace
    density = args.events_per_customer
    if root is None:
        density = 20.0 if density is None else density
        root = Path(tempfile.mkdtemp(prefix="huaxiang-bench-")) / "ws"
        huaxiang = str(Path(sys.executable).with_name("huaxiang"))
        subprocess.run(
            [huaxiang, "-q", "demo-data", str(root), "--customers", str(args.customers)], check=True
        )
        subprocess.run([huaxiang, "-q", "-w", str(root), "ingest"], check=True)
        subprocess.run([huaxiang, "-q", "-w", str(root), "clean"], check=True)
    catalog = Path(__file__).parents[1] / "src" / "huaxiang" / "definitions" / "catalog"
    for kind in ("features", "tags"):
        shutil.rmtree(root / kind, ignore_errors=True)
        shutil.copytree(catalog / kind, root / kind)

    from huaxiang.workspace import Workspace

    with Workspace.open(root) as ws:
        e = ws.engine
        if density:
            grow_events(e, density)
        sizes = {t: e.count(t) for t in ("customers", "orders", "events") if e.table_exists(t)}
        start = time.perf_counter()
        e.rows(
            "select count(*) from (select customer_id, count(*) filter (where ordered_at >= "
            "date '2026-01-01'), sum(amount), max(ordered_at) from orders "
            "where ordered_at < date '2026-07-01' group by customer_id)"
        )
        baseline = time.perf_counter() - start
        result = ws.build_tags(AS_OF, full=True)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
        path = root / "tags" / CHANGED_FILE
        path.write_text(path.read_text(encoding="utf-8").replace(*CHANGED_RULE, 1), "utf-8")
        rebuild = ws.build_tags(AS_OF)
    print(
        f"data: {sizes.get('customers', 0):,} customers, {sizes.get('orders', 0):,} orders, "
        f"{sizes.get('events', 0):,} events"
    )
    print(
        f"tag build: {result.tags} tags, {result.features} features in {result.seconds:.1f} s, "
        f"peak RSS {rss:.2f} GB"
    )
    print(f"baseline one GROUP BY of 3 order features: {baseline:.2f} s")
    print(f"ratio build / baseline: {result.seconds / baseline:.1f}x")
    print(
        f"target: < {TARGET_SECONDS:.0f} s -> {result.seconds / TARGET_SECONDS:.2f} of budget; "
        f"RSS < {TARGET_RSS_GB:.0f} GB -> {rss / TARGET_RSS_GB:.2f} of budget"
    )
    print(
        f"rebuild after one tag changed: {rebuild.computed_tags} tags, "
        f"{rebuild.computed_features} features computed in {rebuild.seconds:.1f} s; "
        f"ratio rebuild / full build: {rebuild.seconds / result.seconds:.2f}"
    )


def grow_events(engine: Engine, per_customer: float) -> None:
    """Copy the events table, shifted back one week per copy, to ``per_customer`` events."""
    from huaxiang.warehouse import CLEANS_DDL

    customers = engine.count("customers")
    have = engine.count("events")
    copies = int(per_customer * customers // max(have, 1))
    with engine.transaction():
        if copies > 1:
            engine.execute(
                "insert into events select e.* replace (e.occurred_at - to_weeks(k) as "
                f"occurred_at) from events e, range(1, {copies}) t(k)"
            )
            print(f"events grown {copies}x in the warehouse: {engine.count('events'):,} rows")
        # the clean data changed: record it the way a cleaning run does, so that tag builds
        # know their previous columns are stale (and the rebuild below can reuse the new ones)
        engine.execute(CLEANS_DDL)
        engine.execute("insert into hx_cleans values ('clean-bench-' || uuid(), now()::timestamp)")


if __name__ == "__main__":
    main()
