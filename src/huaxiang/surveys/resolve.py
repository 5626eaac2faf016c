"""A survey definition against the workspace: its source, its target group and the headers of
the export. A header the data does not have is a problem naming the closest existing headers,
at the line of the definition that names it; so is a logic rule the warehouse cannot run on
the questions' types (``rating = 'high'``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Protocol

from huaxiang.compiler.expressions import check_expression, to_sql
from huaxiang.definitions.loader import Located
from huaxiang.engine.duckdb_engine import Engine, quote_str
from huaxiang.errors import ConfigError, ConfigProblem, DataError, EngineError
from huaxiang.surveys.models import ALL, Question, Survey
from huaxiang.surveys.responses import TABLE, Column, Resolved, responses_sql

_OPTION_MARKS = (":", "：")  # "question:option" columns; full-width in Chinese exports too


class _Problem(Protocol):  # resolve's local problem()
    def __call__(self, *path: str | int, message: str, hint: str | None = None) -> None: ...


def resolve(
    engine: Engine,
    located: Located,
    survey: Survey,
    *,
    sources: Mapping[str, str],
    segments: Iterable[str] | None = None,
) -> Resolved:
    """Match ``survey`` against the loaded responses; raise ConfigError with every problem.

    ``sources`` maps the workspace's source names to their tables; ``segments`` are the
    segment ids a target may name (None: not checked).
    """
    problems: list[ConfigProblem] = []

    def problem(*path: str | int, message: str, hint: str | None = None) -> None:
        problems.append(located.problem(survey.id, *path, message=message, hint=hint))

    if survey.source != ALL and sources.get(survey.source) != TABLE:
        ours = sorted(n for n, t in sources.items() if t == TABLE)
        close = difflib.get_close_matches(survey.source, ours, n=1)
        what = "not a survey source" if survey.source in sources else "unknown source"
        problem(
            "source",
            message=f"{what} {survey.source!r}",
            hint=f"did you mean {close[0]!r}?"
            if close
            else f"survey sources of huaxiang.yaml: {', '.join(ours) or '(none)'}, or all",
        )
    if segments is not None and survey.target != ALL and survey.target not in set(segments):
        close = difflib.get_close_matches(survey.target, sorted(segments), n=1)
        problem(
            "target",
            message=f"unknown segment {survey.target!r}",
            hint=f"did you mean {close[0]!r}?" if close else "a segment id, or all",
        )
    if problems:
        raise ConfigError(problems)
    where = "true" if survey.source == ALL else f"s._source = {quote_str(survey.source)}"
    keys = _keys(engine, where, survey.source)
    columns: dict[str, Column] = {}
    for i, q in enumerate(survey.questions):
        found = _column(q, survey, keys)
        if isinstance(found, Column):
            columns[q.id] = found
        else:
            path, message, hint = found
            problem("questions", i, *path, message=message, hint=hint)
    _check_options(survey, columns, problem)
    if problems:
        raise ConfigError(problems)
    resolved = Resolved(survey, where, columns)
    rules = {}
    for i, rule in enumerate(survey.rules):
        sql = to_sql(check_expression(rule.when, list(columns)).ast)
        try:  # the types: a list compared with a text, a number with a word
            engine.rows(f"select ({sql}) from ({responses_sql(resolved)}) r limit 1")
        except EngineError as exc:
            detail = str(exc.__cause__ or exc).splitlines()[0]
            problem(
                "rules",
                i,
                "when",
                message=f"the condition does not fit the answers: {detail}",
                hint="multiple-choice answers are lists: list_contains(q, 'option'); "
                "ratings and numbers compare with numbers",
            )
            continue
        rules[rule.id] = sql
    if problems:
        raise ConfigError(problems)
    return Resolved(survey, where, columns, rules)


def _keys(engine: Engine, where: str, source: str) -> set[str]:
    if not engine.table_exists(TABLE):
        raise DataError(
            "no survey responses in the warehouse yet",
            hint="load and clean the export first: huaxiang ingest, then huaxiang clean",
        )
    if not engine.scalar(f"select count(*) from {TABLE} s where {where}"):
        which = "" if source == ALL else f" from source {source!r}"
        raise DataError(
            f"no survey responses{which} in the warehouse",
            hint="load and clean the export first: huaxiang ingest, then huaxiang clean",
        )
    rows = engine.rows(
        f"select distinct unnest(json_keys(s.attributes)) from {TABLE} s where {where}"
    )
    return {str(r[0]) for r in rows}


Found = Column | tuple[tuple[str | int, ...], str, str | None]


def _column(q: Question, survey: Survey, keys: set[str]) -> Found:
    """How ``q`` is read, or (path, message, hint) when the export does not have it."""
    if q.type != "multiple":
        if q.header not in keys:
            return ("header",), _absent(q.header), _closest(q.header, keys)
        return Column(q, (q.header,))
    by_option = _option_columns(q.header, keys)
    layout = q.layout or ("columns" if by_option and q.header not in keys else "joined")
    if layout == "joined":
        if q.header not in keys:
            return ("header",), _absent(q.header), _closest(q.header, keys)
        return Column(q, (q.header,), tuple(q.options), "joined", q.separator or survey.separator)
    if not by_option:
        return ("header",), _absent(f"{q.header}:<option>"), _closest(q.header, keys)
    options = tuple(q.options) or tuple(by_option)
    for j, option in enumerate(options):
        if option not in by_option:
            return (
                ("options", j),
                f"the export has no column {q.header}:{option}",
                "option columns found: " + ", ".join(by_option),
            )
    return Column(q, tuple(by_option[o] for o in options), options, "columns")


def _option_columns(header: str, keys: set[str]) -> dict[str, str]:
    """option -> key of the 0/1 columns "header:option", in a stable order."""
    found = {}
    for key in sorted(keys):
        for mark in _OPTION_MARKS:
            if key.startswith(header + mark) and len(key) > len(header) + 1:
                found[key[len(header) + 1 :].strip()] = key
    return found


def _absent(header: str) -> str:
    return f"the export has no column {header!r}"


def _closest(header: str, keys: set[str]) -> str:
    close = difflib.get_close_matches(header, sorted(keys), n=3, cutoff=0.4)
    if close:
        return "closest headers: " + ", ".join(repr(c) for c in close)
    shown = sorted(keys)[:8]
    more = f" ... ({len(keys) - 8} more)" if len(keys) > 8 else ""
    return "headers in the export: " + ", ".join(repr(k) for k in shown) + more


def _check_options(survey: Survey, columns: dict[str, Column], problem: _Problem) -> None:
    """KANO questions offer the five labels; a competitor is an option of ``bought``."""
    if survey.kano is not None:
        labels = set(survey.kano.labels.ordered())
        for i, f in enumerate(survey.kano.features):
            for side in ("functional", "dysfunctional"):
                q = survey.question(getattr(f, side))
                if q is not None and q.options and not labels <= set(q.options):
                    missing = ", ".join(sorted(labels - set(q.options)))
                    problem(
                        "kano",
                        "features",
                        i,
                        side,
                        message=f"question {q.id!r} does not offer the Kano answers {missing}",
                        hint="set kano.labels to the texts the questionnaire uses",
                    )
    c = survey.competitors
    if c is None or c.bought is None or c.bought not in columns:
        return
    options = columns[c.bought].options
    for i, brand in enumerate(c.brands):
        if options and brand.label not in options:
            close = difflib.get_close_matches(brand.label, options, n=1, cutoff=0.3)
            problem(
                "competitors",
                "brands",
                i,
                message=f"{brand.label!r} is not an option of question {c.bought!r}",
                hint=f"set option: {close[0]}" if close else "options: " + ", ".join(options),
            )
