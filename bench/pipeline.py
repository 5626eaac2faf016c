"""Benchmark: ingest + clean + identity resolution on the demo data set.

Target (issue: foundation): 1M customers / ~10M orders in under 90 s with peak RSS under 6 GB on
2 cores. Baseline, measured in the same run on the same files: a plain pandas ``read_csv`` +
``drop_duplicates`` of every CSV source (it parses nothing, checks nothing, resolves nothing).

    .venv/bin/python bench/pipeline.py                  # 1,000,000 customers
    .venv/bin/python bench/pipeline.py --customers 100000

Each side runs in its own process so that its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 90.0
TARGET_RSS_GB = 6.0


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def run_huaxiang(root: str) -> None:
    from huaxiang.workspace import Workspace

    with Workspace.open(Path(root)) as ws:
        start = time.perf_counter()
        loads = ws.ingest()
        ingested = time.perf_counter()
        result = ws.clean()
        done = time.perf_counter()
        rows = sum(r.rows_read for r in loads)
        print(
            json.dumps(
                {
                    "seconds": done - start,
                    "ingest_s": ingested - start,
                    "clean_s": done - ingested,
                    "rows": rows,
                    "customers": result.identity.customers if result.identity else 0,
                    "balanced": result.balanced,
                    "rss_gb": _peak_rss_gb(),
                }
            )
        )


def run_pandas(root: str) -> None:
    import pandas as pd

    from huaxiang.workspace import Workspace

    with Workspace.open(Path(root)) as ws:
        csvs = [
            (Path(root) / s.path, s.encoding)
            for s in ws.config.sources
            if s.path and s.path.endswith(".csv")
        ]
    start = time.perf_counter()
    rows = 0
    for path, encoding in csvs:
        enc = "gb18030" if encoding in ("gbk", "gb18030") else "utf-8-sig"
        frame = pd.read_csv(path, encoding=enc, dtype=str, on_bad_lines="skip")
        rows += len(frame.drop_duplicates())
    print(
        json.dumps({"seconds": time.perf_counter() - start, "rows": rows, "rss_gb": _peak_rss_gb()})
    )


def _child(mode: str, root: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, f"--{mode}", root], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--huaxiang", metavar="ROOT")
    parser.add_argument("--pandas", metavar="ROOT")
    args = parser.parse_args()
    if args.huaxiang:
        return run_huaxiang(args.huaxiang)
    if args.pandas:
        return run_pandas(args.pandas)

    from huaxiang.demo import create_demo_workspace

    with tempfile.TemporaryDirectory(prefix="huaxiang-bench-") as tmp:
        start = time.perf_counter()
        create_demo_workspace(Path(tmp) / "ws", customers=args.customers, seed=args.seed).close()
        print(f"demo data: {args.customers:,} customers in {time.perf_counter() - start:.1f} s")
        # the 1.8 GB just written would otherwise be flushed to disk while the first side runs
        os.sync()
        ours = _child("huaxiang", str(Path(tmp) / "ws"))
        base = _child("pandas", str(Path(tmp) / "ws"))
    print(
        f"huaxiang ingest + clean + identity: {ours['seconds']:.1f} s "
        f"(ingest {ours['ingest_s']:.1f} s, clean {ours['clean_s']:.1f} s), "
        f"{ours['rows'] / ours['seconds']:,.0f} rows/s, peak RSS {ours['rss_gb']:.2f} GB, "
        f"{int(ours['customers']):,} golden customers, balanced={bool(ours['balanced'])}"
    )
    print(
        f"pandas read_csv + drop_duplicates (CSV sources only): {base['seconds']:.1f} s, "
        f"{base['rows'] / base['seconds']:,.0f} rows/s, peak RSS {base['rss_gb']:.2f} GB"
    )
    print(
        f"ratio huaxiang / pandas time: {ours['seconds'] / base['seconds']:.2f}x "
        f"(huaxiang also parses, checks, de-duplicates, resolves identities and reports)"
    )
    print(
        f"target: < {TARGET_SECONDS:.0f} s -> {ours['seconds'] / TARGET_SECONDS:.2f} of budget; "
        f"RSS < {TARGET_RSS_GB:.0f} GB -> {ours['rss_gb'] / TARGET_RSS_GB:.2f} of budget"
    )


if __name__ == "__main__":
    main()
