"""Benchmark: the analysis report (HTML and PDF) on a built workspace.

Target (issue: surveys, feedback and the analysis report): the report of a 1M-customer workspace
in under 60 s, PDF included. Baseline, measured in the same run on the same warehouse: one
DuckDB export of ``customer_tags`` joined to ``customer_value`` to CSV, i.e. a single pass over
the per-customer data the report summarises (it aggregates, draws and lays out nothing).

    .venv/bin/huaxiang demo /tmp/r1m --customers 1000000      # once: a built 1M workspace
    .venv/bin/python bench/report.py /tmp/r1m                  # PDF (default) and HTML
    .venv/bin/python bench/report.py /tmp/r1m --formats pdf

Each side runs in its own process (cold caches, own peak RSS).
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
from typing import Any

TARGET_SECONDS = 60.0


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def run_report(root: str, fmt: str, out: str) -> None:
    from huaxiang.workspace import Workspace

    start = time.perf_counter()
    with Workspace.open(Path(root)) as ws:
        result = ws.report(fmt, path=Path(out))
        customers = ws.engine.count("customers")
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "steps": result.seconds,
                "customers": customers,
                "bytes": Path(out).stat().st_size,
                "rss_gb": _peak_rss_gb(),
            }
        )
    )


def run_export(root: str, out: str) -> None:
    from huaxiang.workspace import Workspace

    start = time.perf_counter()
    with Workspace.open(Path(root)) as ws:
        join = (
            "left join customer_value v using (customer_id)"
            if ws.engine.table_exists("customer_value")
            else ""
        )
        ws.engine.execute(
            f"copy (select * from customer_tags t {join}) to '{out}' (header, delimiter ',')"
        )
    print(json.dumps({"seconds": time.perf_counter() - start, "rss_gb": _peak_rss_gb()}))


def _child(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workspace", help="a built workspace (huaxiang demo DIR ...)")
    parser.add_argument("--formats", default="pdf,html")
    parser.add_argument("--child-report", nargs=2, metavar=("FORMAT", "OUT"))
    parser.add_argument("--child-export", metavar="OUT")
    args = parser.parse_args()
    if args.child_report:
        return run_report(args.workspace, *args.child_report)
    if args.child_export:
        return run_export(args.workspace, args.child_export)
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="huaxiang-report-") as tmp:
        base = _child(args.workspace, "--child-export", str(Path(tmp) / "tags.csv"))
        print(f"baseline: customer_tags + customer_value to CSV: {base['seconds']:.1f} s")
        for fmt in args.formats.split(","):
            ours = _child(args.workspace, "--child-report", fmt, str(Path(tmp) / f"r.{fmt}"))
            seconds = float(ours["seconds"])
            print(
                f"report --format {fmt}: {seconds:.1f} s for {ours['customers']:,} customers, "
                f"{ours['bytes'] / 1e6:.1f} MB, peak RSS {ours['rss_gb']:.2f} GB; "
                f"steps {ours['steps']}"
            )
            print(
                f"  ratio report / baseline export: {seconds / base['seconds']:.2f}x; "
                f"target < {TARGET_SECONDS:.0f} s -> {seconds / TARGET_SECONDS:.2f} of budget"
            )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
