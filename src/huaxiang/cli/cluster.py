"""``huaxiang cluster``: K-means on the customers' behaviour, k chosen by silhouette."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from huaxiang.cli.common import JsonOpt, LangOpt, WorkspaceOpt, emit_json, open_workspace
from huaxiang.cli.render import _n, _rich
from huaxiang.console import Console
from huaxiang.segments.clusters import ClusterRun


def cluster(
    features: Annotated[
        str | None,
        typer.Option(
            "--features",
            help="Comma-separated features (default: recency, frequency, monetary, aov, "
            "price_sensitivity, channel_shares, category_shares).",
        ),
    ] = None,
    k: Annotated[
        int | None, typer.Option("--k", help="Number of clusters (default: chosen).")
    ] = None,
    k_min: Annotated[int, typer.Option("--k-min", help="Smallest k tried.")] = 2,
    k_max: Annotated[int, typer.Option("--k-max", help="Largest k tried.")] = 8,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same data, same ids).")] = 7,
    sample: Annotated[
        int, typer.Option("--sample", help="Customers the silhouette is computed on.")
    ] = 20_000,
    promote: Annotated[
        bool, typer.Option("--promote", help="Write the clusters as segments/clusters.yaml.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="With --promote: replace an existing file.")
    ] = False,
    lang: LangOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cluster the buyers with K-means (k by silhouette), name the clusters from their
    profiles, and optionally promote them to segments."""
    chosen = [f.strip() for f in features.split(",") if f.strip()] if features else None
    with open_workspace(workspace) as ws:
        result = ws.cluster(chosen, k=k, k_min=k_min, k_max=k_max, seed=seed, sample=sample)
        written = ws.promote_clusters(overwrite=overwrite) if promote else None
        if as_json:
            emit_json(asdict(result) | ({"promoted": str(written)} if written else {}))
            return
        render(ws.console, result, ws.language(lang))
        if written is not None:
            ws.console.info(f"clusters written as segments to {written}")


def render(console: Console, run: ClusterRun, lang: str) -> None:
    curve = ", ".join(
        f"k={k}: {s:.3f}" + (" *" if k == run.k else "") for k, s in run.silhouette.items()
    )
    console.info(f"silhouette ({run.sample:,} customers): {curve}")
    table = Table(
        title=f"{run.k} clusters of {run.customers:,} buyers ({run.run_id})", title_justify="left"
    )
    for col in ("id", "name", "customers", "share", "profile"):
        table.add_column(col, justify="right" if col in ("id", "customers", "share") else "left")
    for c in run.clusters:
        name = c.name.zh if lang.startswith("zh") else c.name.en
        text = c.description.zh if lang.startswith("zh") else c.description.en
        table.add_row(str(c.cluster_id), escape(name), _n(c.size), f"{c.share:.1%}", escape(text))
    _rich(console).print(table)
    console.info(
        f"{run.unassigned:,} customers never bought by {run.as_of} and have no cluster; "
        f"{run.seconds:.1f} s"
    )
