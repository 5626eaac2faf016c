"""Benchmark: segment previews and a build of the default segments on a tagged workspace.

Target (issue: segments): ``huaxiang segments preview "EXPR"`` returns the count and share in
well under a second on 1M customers. Baseline in the same run: the same count written by hand
as one DuckDB query over customer_tags (the least any preview must do). Also printed: the time
of a full build of the shipped segment catalog (membership, snapshot, run record).

    .venv/bin/python bench/segments.py --workspace DIR   # a cleaned workspace with tags built
    .venv/bin/python bench/segments.py --customers 100000    # generate, ingest, clean, tag first

A workspace without segment definitions gets the shipped ones copied into segments/.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 1.0
CONDITIONS = (
    # one tag; two tags; a tag, a feature and a customer field
    "ltv > 2000",
    "ltv > 2000 and repurchase_rate > 0.7",
    "gender = 'female' and orders_12m >= 3 and city_tier = '一线'",
)
BASELINE = "select count(*) from customer_tags where ltv > 2000 and repurchase_rate > 0.7"


def _timed(fn: object, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(root: Path) -> None:
    from huaxiang.workspace import Workspace

    segments = root / "segments"
    if not any(segments.glob("*.yaml")):
        shipped = Path(__file__).parents[1] / "src/huaxiang/definitions/catalog/segments"
        shutil.copytree(shipped, segments, dirs_exist_ok=True)
    with Workspace.open(root) as ws:
        customers = ws.engine.count("customer_tags")
        plan = ws.tag_plan()  # loaded once, as a long-lived front end (the web app) would
        from huaxiang.segments.build import preview_condition

        baseline = _timed(lambda: ws.engine.rows(BASELINE))
        print(f"{customers:,} customers; hand-written count: {baseline * 1000:.0f} ms")
        for condition in CONDITIONS:
            engine_only = _timed(lambda c=condition: preview_condition(ws.engine, plan, c))
            facade = _timed(lambda c=condition: ws.preview_segment(c), repeat=3)
            hit = ws.preview_segment(condition)
            print(
                f"preview {condition!r}: {hit.customers:,} ({hit.share:.1%}); "
                f"{engine_only * 1000:.0f} ms with the plan loaded "
                f"({engine_only / baseline:.1f}x the hand-written count), "
                f"{facade * 1000:.0f} ms through the facade (reads the definitions too); "
                f"target < {TARGET_SECONDS:.0f} s -> {facade / TARGET_SECONDS:.2f} of budget"
            )
        start = time.perf_counter()
        build = ws.build_segments()
        print(
            f"segments build: {len(build.sizes)} segments over {build.customers:,} customers in "
            f"{time.perf_counter() - start:.1f} s ({build.unassigned:,} in no segment)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--workspace", type=Path)
    args = parser.parse_args()
    if args.workspace:
        run(args.workspace)
        return
    from huaxiang.demo import create_demo_workspace

    with tempfile.TemporaryDirectory(prefix="huaxiang-bench-") as tmp:
        root = Path(tmp) / "ws"
        with create_demo_workspace(root, customers=args.customers) as ws:
            ws.ingest()
            ws.clean()
            ws.build_tags()
        run(root)


if __name__ == "__main__":
    main()
