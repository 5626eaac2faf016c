"""The facade every front end uses: open a workspace folder, run steps, read results.

The CLI, notebooks and (later) the web app and journey runner call these methods and render
what they return; none of them touches the engine, the store or the files directly.
"""

from __future__ import annotations

import datetime as dt
import difflib
import shutil
from pathlib import Path
from typing import Any

from huaxiang.clean.report import write_quality_report
from huaxiang.clean.run import CleanResult, run_clean
from huaxiang.compiler.plan import Plan, resolve
from huaxiang.compiler.sql import standalone_query
from huaxiang.config.loader import load_model
from huaxiang.config.models import SourceConfig, WorkspaceConfig, resolve_path
from huaxiang.config.template import CONFIG_FILE, add_source, render
from huaxiang.console import Console, NullConsole
from huaxiang.definitions.loader import load_catalog
from huaxiang.engine.duckdb_engine import Engine
from huaxiang.errors import UsageError, WorkspaceError
from huaxiang.ingest.loader import LoadResult, load, preview, source_path
from huaxiang.ingest.scan import FileScanner
from huaxiang.schema import TABLES
from huaxiang.store.opstore import OperationalStore
from huaxiang.tagging.build import TagBuild, build_tags, default_as_of, model_columns
from huaxiang.tagging.dictionary import dictionary
from huaxiang.tagging.export import write_dictionary, write_table
from huaxiang.tagging.history import Moves, RunRef, moved_customers, tag_moves, tag_runs
from huaxiang.workspace_feedback import FeedbackMixin
from huaxiang.workspace_report import ReportMixin
from huaxiang.workspace_segments import SegmentsMixin
from huaxiang.workspace_surveys import SurveysMixin
from huaxiang.workspace_value import ValueMixin

STATE_DIR = ".huaxiang"
DEFINITION_DIRS = ("tags", "features", "segments", "surveys", "journeys")


class Workspace(SegmentsMixin, ValueMixin, FeedbackMixin, SurveysMixin, ReportMixin):
    def __init__(self, root: Path, config: WorkspaceConfig, console: Console | None = None):
        self.root = root
        self.config = config
        self.console: Console = console or NullConsole()
        self._engine: Engine | None = None
        self._store: OperationalStore | None = None

    # -- lifecycle --------------------------------------------------------------------------
    @classmethod
    def init(
        cls,
        root: Path,
        *,
        name: str | None = None,
        locale: str = "zh-CN",
        sources: list[dict[str, Any]] | None = None,
        console: Console | None = None,
    ) -> Workspace:
        root = root.resolve()
        config_path = root / CONFIG_FILE
        if config_path.exists():
            raise WorkspaceError(
                f"{config_path} already exists",
                hint="open it with --workspace, or choose another folder",
            )
        if locale not in ("zh-CN", "en"):
            raise UsageError(f"unknown locale {locale!r}", hint="zh-CN or en")
        root.mkdir(parents=True, exist_ok=True)
        for d in DEFINITION_DIRS:
            (root / d).mkdir(exist_ok=True)
        _copy_default_catalog(root)
        (root / STATE_DIR).mkdir(exist_ok=True)
        config_path.write_text(render(name or root.name, locale, sources), encoding="utf-8")
        ws = cls.open(root, console=console)
        ws.store.audit("workspace.init", {"name": ws.config.name})
        return ws

    @classmethod
    def open(cls, root: Path, *, console: Console | None = None) -> Workspace:
        root = root.resolve()
        config_path = root / CONFIG_FILE
        if not config_path.exists():
            raise WorkspaceError(
                f"{root} is not a huaxiang workspace (no {CONFIG_FILE})",
                hint=f"create one with: huaxiang init {root}",
            )
        config = load_model(config_path, WorkspaceConfig, display=str(config_path))
        return cls(root, config, console)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        if self._store is not None:
            self._store.close()
            self._store = None

    # -- parts ------------------------------------------------------------------------------
    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            e = self.config.engine
            self._engine = Engine(
                resolve_path(self.root, e.path), threads=e.threads, memory_limit=e.memory_limit
            )
        return self._engine

    @property
    def store(self) -> OperationalStore:
        if self._store is None:
            url = self.config.store.url
            self._store = (
                OperationalStore(url)
                if url
                else OperationalStore.sqlite(self.state_dir / "state.sqlite")
            )
        return self._store

    @property
    def reports_dir(self) -> Path:
        path = self.state_dir / "reports"
        path.mkdir(parents=True, exist_ok=True)
        return path

    # -- ingestion --------------------------------------------------------------------------
    def ingest(self, names: list[str] | None = None) -> list[LoadResult]:
        """Load the workspace's sources (all, or the named ones)."""
        sources = self.config.sources
        if names:
            unknown = [n for n in names if self.config.source(n) is None]
            if unknown:
                raise UsageError(
                    f"no source named {', '.join(unknown)}",
                    hint=f"sources: {', '.join(s.name for s in sources) or '(none)'}",
                )
            sources = [s for s in sources if s.name in names]
        if not sources:
            raise UsageError(
                "the workspace lists no sources",
                hint="add one with: huaxiang ingest FILE --as customers",
            )
        results = []
        run_id = self.store.start_run("ingest")
        paths = [p for p in (source_path(s, self.root) for s in sources) if p is not None]
        with (
            FileScanner(paths) as scans,
            self.console.progress("ingesting", total=len(sources)) as task,
        ):
            for source in sources:
                result = load(self.engine, source, self.root, scans)
                results.append(result)
                self.console.info(
                    f"{source.name}: {result.status}, {result.rows_read:,} rows read"
                    + (f", {result.rows_rejected:,} unreadable" if result.rows_rejected else "")
                )
                task.advance()
        summary = {"loads": [r.as_dict() | {"mapping": None} for r in results]}
        self.store.finish_run(run_id, "ok", summary)
        self.store.audit("ingest", {"run_id": run_id, "sources": [r.source for r in results]})
        return results

    def source_for_file(
        self,
        path: Path,
        table: str,
        *,
        name: str | None = None,
        sheet: str | int | None = None,
        encoding: str = "auto",
        fmt: str = "auto",
    ) -> SourceConfig:
        if table not in TABLES:
            raise UsageError(f"unknown table {table!r}", hint=f"one of: {', '.join(TABLES)}")
        path = path.resolve()
        try:
            shown = str(path.relative_to(self.root))
        except ValueError:
            shown = str(path)
        stem = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in path.stem)[:64]
        data: dict[str, Any] = {
            "name": name or stem or "source",
            "table": table,
            "path": shown,
            "format": fmt,
            "encoding": encoding,
            "sheet": sheet,
        }
        try:
            return SourceConfig.model_validate(data)
        except Exception as exc:
            raise UsageError(f"cannot use this file as a source: {exc}") from None

    def preview_file(self, source: SourceConfig) -> dict[str, Any]:
        return preview(self.engine, source, self.root)

    def ingest_file(self, source: SourceConfig, *, remember: bool = True) -> LoadResult:
        """Load one file; by default add it to huaxiang.yaml so later runs include it."""
        existing = self.config.source(source.name)
        if existing is not None:
            if existing.path != source.path:
                raise UsageError(
                    f"a source named {source.name!r} already exists for {existing.path}",
                    hint="choose another --name",
                )
            source = existing  # the configured source, with its mapping and options
        result = load(self.engine, source, self.root)
        if remember and existing is None:
            add_source(
                self.root / CONFIG_FILE,
                source.model_dump(
                    exclude_defaults=True,
                    include={"name", "table", "path", "format", "encoding", "sheet", "mapping"},
                )
                | {"table": source.table},
            )
            self.config = load_model(self.root / CONFIG_FILE, WorkspaceConfig)
        self.store.audit("ingest.file", {"source": source.name, "load_id": result.load_id})
        return result

    # -- cleaning ---------------------------------------------------------------------------
    def clean(self) -> CleanResult:
        """Clean every loaded table, resolve identities, write the quality report."""
        run_id = self.store.start_run("clean")
        loaded = self.engine.table_exists("hx_loads") and self.engine.count(
            "hx_loads", "status = 'loaded'"
        )
        if not loaded:
            self.console.warn("nothing is loaded yet: run huaxiang ingest first")
        try:
            result = run_clean(self.engine, self.config, self.console)
        except BaseException:
            self.store.finish_run(run_id, "failed")
            raise
        paths = write_quality_report(result, self.reports_dir, self.config)
        self.store.finish_run(run_id, "ok", {"tables": result.tables, "balanced": result.balanced})
        self.store.audit("clean", {"run_id": run_id, "report": str(paths[0])})
        return result

    def build(self) -> CleanResult:
        """Ingest every source, then clean: the whole foundation in one call."""
        self.ingest()
        return self.clean()

    @property
    def quality_report(self) -> Path:
        return self.reports_dir / "quality.html"

    # -- reading ----------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        e = self.engine
        tables = {t: e.count(t) for t in TABLES if e.table_exists(t)}
        loads = (
            e.dicts(
                "select source, table_name, status, rows_read, rows_accepted, rows_quarantined, "
                "rows_merged, loaded_at::varchar as loaded_at from hx_loads "
                "where status = 'loaded' order by table_name, source"
            )
            if e.table_exists("hx_loads")
            else []
        )
        quarantined = e.count("quarantine") if e.table_exists("quarantine") else 0
        return {
            "workspace": str(self.root),
            "name": self.config.name,
            "tables": tables,
            "loads": loads,
            "quarantined": quarantined,
            "quality_report": str(self.quality_report) if self.quality_report.exists() else None,
        }

    # -- tags -------------------------------------------------------------------------------
    def tag_plan(self) -> Plan:
        """Every feature and tag definition, checked (ConfigError lists all problems)."""
        return resolve(load_catalog(self.root))

    def validate_tags(self) -> dict[str, Any]:
        plan = self.tag_plan()
        return {
            "features": len(plan.features),
            "tags": len(plan.tags),
            "levels": [len(level) for level in plan.levels],
        }

    def as_of(self, as_of: dt.date | None = None) -> dt.date:
        return as_of or self.config.tagging.as_of or default_as_of(self.engine)

    def build_tags(
        self, as_of: dt.date | None = None, *, plan: Plan | None = None, full: bool = False
    ) -> TagBuild:
        """Compute the tags; after a definition change only what depends on it (``full``:
        everything)."""
        plan = plan or self.tag_plan()
        run_id = self.store.start_run("tags")
        try:
            result = build_tags(self.engine, plan, self.console, as_of=self.as_of(as_of), full=full)
        except BaseException:
            self.store.finish_run(run_id, "failed")
            raise
        self.store.finish_run(
            run_id, "ok", {"tag_run": result.run_id, "as_of": result.as_of.isoformat()}
        )
        self.store.audit("tags.build", {"run_id": result.run_id, "tags": result.tags})
        return result

    def tag_sql(self, tag_ids: list[str], as_of: dt.date | None = None) -> str:
        """The SQL that computes ``tag_ids`` from the clean tables, as one readable query."""
        plan = self.tag_plan()
        for tag_id in tag_ids:
            if tag_id not in plan.tags:
                close = difflib.get_close_matches(tag_id, list(plan.tags), n=1)
                raise UsageError(
                    f"unknown tag {tag_id!r}",
                    hint=f"did you mean {close[0]!r}?" if close else "see: huaxiang tags list",
                )
        when = as_of or self.config.tagging.as_of or dt.date.today()
        return standalone_query(plan, when, tag_ids, model_columns(self.engine))

    def tag_dictionary(self, lang: str | None = None) -> list[dict[str, Any]]:
        return dictionary(self.engine, self.tag_plan(), self.language(lang))

    def tag_runs(self) -> list[dict[str, Any]]:
        """Every tag build (run id, as-of day, time, customers), newest first."""
        return tag_runs(self.engine)

    def tag_moves(
        self,
        tag: str,
        since: RunRef = None,
        until: RunRef = None,
        *,
        from_value: str | None = None,
        to_value: str | None = None,
    ) -> Moves:
        """How customers moved between the values of ``tag`` from build ``since`` (a run id or
        a day; default: the build before the latest) to build ``until`` (default: the latest)."""
        stored_from, stored_to = self._stored_values(tag, from_value, to_value)
        return tag_moves(self.engine, tag, since, until, from_value=stored_from, to_value=stored_to)

    def moved_customers(
        self,
        tag: str,
        since: RunRef = None,
        until: RunRef = None,
        *,
        from_value: str | None = None,
        to_value: str | None = None,
    ) -> list[dict[str, Any]]:
        """The customers behind :meth:`tag_moves`, with their value before and after."""
        stored_from, stored_to = self._stored_values(tag, from_value, to_value)
        return moved_customers(
            self.engine, tag, since, until, from_value=stored_from, to_value=stored_to
        )

    def _stored_values(self, tag: str, *texts: str | None) -> list[str | None]:
        """Values as stored, each given as stored or by its display name (重要价值客户)."""
        definition = self.tag_plan().tags.get(tag)
        names = definition.value_names if definition is not None else {}
        by_name = {n: value for value, text in names.items() for n in (text.zh, text.en) if n}
        return [t if t is None or t in names else by_name.get(t, t) for t in texts]

    def export_moved_customers(
        self,
        path: Path,
        tag: str,
        since: RunRef = None,
        until: RunRef = None,
        *,
        from_value: str | None = None,
        to_value: str | None = None,
    ) -> Path:
        """Write the customers behind :meth:`tag_moves` to .csv, .xlsx or .json."""
        found = self.moved_customers(tag, since, until, from_value=from_value, to_value=to_value)
        columns = ["customer_id", "from", "to"]
        rows = [[r[c] for c in columns] for r in found]
        return write_table(path, columns, rows, sheet=f"{tag} moves"[:31], records=found)

    def tag_value_names(self, tag: str, lang: str | None = None) -> dict[str, str]:
        """The display names of a tag's values (empty when it has none or is gone)."""
        definition = self.tag_plan().tags.get(tag)
        if definition is None:
            return {}
        language = self.language(lang)
        return {value: text.get(language) for value, text in definition.value_names.items()}

    def language(self, lang: str | None = None) -> str:
        """``lang`` (zh or en), or the language of the workspace's locale."""
        return lang or ("zh" if self.config.locale == "zh-CN" else "en")

    def export_tag_dictionary(self, path: Path, lang: str | None = None) -> Path:
        return write_dictionary(self.tag_dictionary(lang), path)


def _copy_default_catalog(root: Path) -> None:
    """A new workspace starts with the shipped features, tags and segments (edit them freely)."""
    catalog = Path(__file__).parent / "definitions" / "catalog"
    for kind in ("features", "tags", "segments"):
        target = root / kind
        if not any(target.iterdir()):
            shutil.copytree(catalog / kind, target, dirs_exist_ok=True)
