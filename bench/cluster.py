"""Benchmark: cluster the customers of a large demo workspace.

Target (issue: segments): K-means on 1M customers in under 60 s including the choice of k
(silhouette on a sample, the model fitted on all customers), on 2 cores.

The run is timed as a whole (``run_clustering``: the feature matrix in SQL, k chosen over 2..8,
the final fit, the assignment and the run record written), then its two heavy parts again on
their own: the feature matrix, and the model (choice of k + final fit).

Generating 1M demo customers takes ~2 minutes and ingest + clean + tags a few more; the
workspace is kept, and ``--root`` reuses it (tags are built if it has none).

    .venv/bin/python bench/cluster.py                       # 1,000,000 customers
    .venv/bin/python bench/cluster.py --customers 100000
    .venv/bin/python bench/cluster.py --root DIR            # an existing workspace
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--root", type=Path, help="a workspace to reuse (built if needed)")
    parser.add_argument("--sample", type=int, default=20_000, help="rows for the silhouette")
    args = parser.parse_args()

    from huaxiang.demo import create_demo_workspace
    from huaxiang.models.kmeans import choose_and_fit
    from huaxiang.segments.clusters import feature_matrix, run_clustering
    from huaxiang.workspace import Workspace

    root = args.root
    if root is None:
        root = Path(tempfile.mkdtemp(prefix="huaxiang-bench-")) / "ws"
        start = time.perf_counter()
        create_demo_workspace(root, customers=args.customers, seed=7).close()
        print(f"demo data: {args.customers:,} customers in {time.perf_counter() - start:.0f} s")
    with Workspace.open(root) as ws:
        e = ws.engine
        if not e.table_exists("customers"):
            start = time.perf_counter()
            ws.ingest()
            ws.clean()
            print(f"ingest + clean: {time.perf_counter() - start:.0f} s")
        if not e.table_exists("hx_tag_runs"):
            start = time.perf_counter()
            ws.build_tags()
            print(f"tags: {time.perf_counter() - start:.0f} s")
        print(f"workspace: {root} (reuse it with --root)")
        orders = e.count("orders")

        start = time.perf_counter()
        run = run_clustering(e, sample=args.sample)
        seconds = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024

        start = time.perf_counter()
        matrix = feature_matrix(e)
        matrix_seconds = time.perf_counter() - start
        e.execute("drop table if exists temp.hx_cluster_input")
        start = time.perf_counter()
        choose_and_fit(
            matrix.values, sample=args.sample, weights=[f.weight for f in matrix.features]
        )
        model_seconds = time.perf_counter() - start

    print(
        f"data: {run.customers + run.unassigned:,} customers ({run.customers:,} clustered, "
        f"{run.unassigned:,} never bought), {orders:,} orders; {len(run.features)} features"
    )
    print(f"clustering: {seconds:.1f} s, peak RSS {rss:.2f} GB")
    print(
        f"  parts: feature matrix {matrix_seconds:.1f} s, choice of k + final fit "
        f"{model_seconds:.1f} s, rest (profiles, writing) "
        f"{max(seconds - matrix_seconds - model_seconds, 0.0):.1f} s"
    )
    curve = ", ".join(f"{k}: {s:.3f}" for k, s in sorted(run.silhouette.items()))
    print(f"silhouette on {run.sample:,} customers: {curve} -> k = {run.k}")
    for cluster in run.clusters:
        print(f"  {cluster.cluster_id}  {cluster.size:>9,}  {cluster.name.zh} / {cluster.name.en}")
    print(f"target: < {TARGET_SECONDS:.0f} s -> {seconds / TARGET_SECONDS:.2f} of budget")


if __name__ == "__main__":
    main()
