"""The demo workspace: generated raw files plus a huaxiang.yaml whose sources point at them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from huaxiang.config.template import CONFIG_FILE, add_source
from huaxiang.console import Console, NullConsole
from huaxiang.workspace import Workspace

DEMO_AS_OF = date(2026, 6, 30)  # the default as-of day of the demo data generator


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
    _write_survey_definition(root)
    _write_report_definition(root)
    if not (root / CONFIG_FILE).exists():
        Workspace.init(root, name=root.name, sources=sources, console=console).close()
        # the demo data end on its as-of day; tags describe that day, not the calendar's
        config = root / CONFIG_FILE
        text = config.read_text(encoding="utf-8")
        config.write_text(
            text.replace("  as_of: null ", f"  as_of: {DEMO_AS_OF.isoformat()} ", 1),
            encoding="utf-8",
        )
        return Workspace.open(root, console=console)
    ws = Workspace.open(root, console=console)
    known = {s.name for s in ws.config.sources}
    for source in sources:
        if source["name"] not in known:
            add_source(root / CONFIG_FILE, source)
    ws.close()
    return Workspace.open(root, console=console)


def _write_survey_definition(root: Path) -> None:
    """``surveys/customer_survey.yaml`` for the generated questionnaire (kept if it exists)."""
    from huaxiang.datasets.demo_survey import survey_definition

    path = root / "surveys" / "customer_survey.yaml"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(survey_definition(DEMO_AS_OF), encoding="utf-8")


def _write_report_definition(root: Path) -> None:
    """``report.yaml``: the demo analysis's goal and strategy rows answering the findings the
    demo data plant (kept if it exists)."""
    from importlib import resources

    from huaxiang.report.definition import REPORT_FILE

    path = root / REPORT_FILE
    if not path.exists():
        text = (resources.files("huaxiang.datasets") / "demo_report.yaml").read_text("utf-8")
        path.write_text(text, encoding="utf-8")
