"""Benchmark: build the default tag catalog over a demo workspace.

Target (issue: tag system): the full default catalog over 1M customers / 10M orders / 20M events
in under 30 s with peak RSS under 6 GB. The demo generator writes ~10 orders and ~5 events per
customer; the figure printed names the sizes it actually ran on. Baseline in the same run: a
hand-written DuckDB query computing three of the catalog's features (orders in 6 months, spend,
last order) in one GROUP BY, which is the least any tag build must do.

    .venv/bin/python bench/tags.py                       # 1,000,000 customers (generate + clean)
    .venv/bin/python bench/tags.py --workspace DIR       # an existing, cleaned workspace
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

TARGET_SECONDS = 30.0
TARGET_RSS_GB = 6.0
AS_OF = dt.date(2026, 6, 30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--workspace", type=Path)
    args = parser.parse_args()
    root = args.workspace
    if root is None:
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
        sizes = {t: e.count(t) for t in ("customers", "orders", "events") if e.table_exists(t)}
        start = time.perf_counter()
        e.rows(
            "select count(*) from (select customer_id, count(*) filter (where ordered_at >= "
            "date '2026-01-01'), sum(amount), max(ordered_at) from orders "
            "where ordered_at < date '2026-07-01' group by customer_id)"
        )
        baseline = time.perf_counter() - start
        result = ws.build_tags(AS_OF)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
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


if __name__ == "__main__":
    main()
