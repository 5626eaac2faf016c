"""Benchmark: generating the demo data set.

Target: 1,000,000 customers (about 10,000,000 orders and 5,000,000 events) in under 120 s on two
cores, peak RSS well under 6 GB.

    .venv/bin/python bench/demo_data.py                     # 1,000,000 customers
    .venv/bin/python bench/demo_data.py --customers 100000
    .venv/bin/python bench/demo_data.py --keep out/demo     # keep the files

Prints the wall time per step, rows per second for customers and orders, the peak RSS of this
process (``resource.getrusage``) and the ratio against the target.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 120.0
TARGET_RSS_GB = 6.0


def _peak_rss_gb() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def run(dest: Path, customers: int, seed: int) -> dict[str, float | int]:
    from huaxiang.datasets.demo import generate_demo

    steps: dict[str, float] = {}
    start = time.perf_counter()
    last = start
    current = ""

    def progress(step: str, done: int, total: int) -> None:
        nonlocal last, current
        now = time.perf_counter()
        if step != current:
            if current:
                steps[current] = steps.get(current, 0.0) + now - last
            current, last = step, now

    generate_demo(dest, customers=customers, seed=seed, progress=progress)
    seconds = time.perf_counter() - start
    planted = json.loads((dest / "data" / "planted.json").read_text("utf-8"))
    orders = planted["orders"]["rows"]
    events = planted["events"]["lines"]
    crm_rows = planted["crm_customers"]["rows"]
    size = sum(f.stat().st_size for f in (dest / "data").iterdir())
    for step, s in steps.items():
        print(f"  {step:<16} {s:7.2f} s")
    return {
        "customers": customers,
        "seconds": round(seconds, 2),
        "crm_rows": crm_rows,
        "orders": orders,
        "events": events,
        "customers_per_s": round(customers / seconds),
        "orders_per_s": round(orders / seconds),
        "bytes_written": size,
        "peak_rss_gb": round(_peak_rss_gb(), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, default=None, help="write here and keep the files")
    args = parser.parse_args(argv)

    if args.keep is not None:
        result = run(args.keep, args.customers, args.seed)
    else:
        with tempfile.TemporaryDirectory(prefix="huaxiang-demo-bench-") as tmp:
            result = run(Path(tmp), args.customers, args.seed)
    # scale the target linearly for smaller runs
    target = TARGET_SECONDS * args.customers / 1_000_000
    print(f"customers        {result['customers']:>14,}")
    print(f"orders           {result['orders']:>14,}")
    print(f"events           {result['events']:>14,}")
    print(f"wall time        {result['seconds']:>14.2f} s")
    print(f"customers/s      {result['customers_per_s']:>14,}")
    print(f"orders/s         {result['orders_per_s']:>14,}")
    print(f"written          {result['bytes_written'] / 1e9:>14.2f} GB")
    print(f"peak RSS         {result['peak_rss_gb']:>14.2f} GB (limit {TARGET_RSS_GB:.0f} GB)")
    print(f"time / target    {result['seconds'] / target:>14.2f} (target {target:.1f} s)")
    print(json.dumps(result))
    ok = result["seconds"] <= target and result["peak_rss_gb"] <= TARGET_RSS_GB
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
