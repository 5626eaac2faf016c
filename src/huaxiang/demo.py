"""The demo workspace: generated raw files plus a huaxiang.yaml whose sources point at them."""

from __future__ import annotations

from pathlib import Path

from huaxiang.config.template import CONFIG_FILE, add_source
from huaxiang.console import Console, NullConsole
from huaxiang.workspace import Workspace


def create_demo_workspace(
    directory: Path, *, customers: int = 20_000, seed: int = 7, console: Console | None = None
) -> Workspace:
    """Write the demo data set into ``directory`` (creating the workspace if needed)."""
    from huaxiang.datasets.demo import generate_demo

    console = console or NullConsole()
    root = directory.resolve()
    root.mkdir(parents=True, exist_ok=True)
    with console.progress(f"generating demo data ({customers:,} customers)", total=None) as task:

        def progress(label: str, done: int, total: int) -> None:
            task.update(completed=done, total=total)

        sources = generate_demo(root, customers=customers, seed=seed, progress=progress)
    if not (root / CONFIG_FILE).exists():
        return Workspace.init(root, name=root.name, sources=sources, console=console)
    ws = Workspace.open(root, console=console)
    known = {s.name for s in ws.config.sources}
    for source in sources:
        if source["name"] not in known:
            add_source(root / CONFIG_FILE, source)
    ws.close()
    return Workspace.open(root, console=console)
