"""Load every survey definition of a workspace (``surveys/*.yaml``), keeping where each came
from, and check what can be checked without the data: question ids, the questions that KANO
pairs, competitors and logic rules name, and the rules' SQL.

Every problem of every file is collected before anything is reported, each at its file, line
and column with a "did you mean" where a near name exists.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlglot import exp

from huaxiang.compiler.expressions import ExpressionProblem, check_expression
from huaxiang.config.loader import parse_model
from huaxiang.definitions.loader import Located, Origin, _definition_files
from huaxiang.errors import ConfigError, ConfigProblem, UsageError
from huaxiang.surveys.models import Survey

FOLDER = "surveys"


@dataclass
class SurveyCatalog(Located):
    surveys: dict[str, Survey] = field(default_factory=dict)

    def get(self, ident: str) -> Survey:
        """The survey ``ident``, or a UsageError naming the near ones."""
        if ident in self.surveys:
            return self.surveys[ident]
        close = difflib.get_close_matches(ident, list(self.surveys), n=1)
        known = ", ".join(self.surveys) or "(none: add surveys/<id>.yaml)"
        raise UsageError(
            f"unknown survey {ident!r}",
            hint=f"did you mean {close[0]!r}?" if close else f"surveys: {known}",
        )


def load_surveys(root: Path) -> SurveyCatalog:
    """Read ``surveys/*.yaml`` under ``root``; raise ConfigError with every problem."""
    catalog = SurveyCatalog()
    problems: list[ConfigProblem] = []
    for path in _definition_files(root / FOLDER):
        display = str(path.relative_to(root))
        text = path.read_text(encoding="utf-8")
        try:
            survey = parse_model(text, Survey, display=display)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        origin = Origin(display, yaml.compose(text, Loader=yaml.SafeLoader), text)
        if survey.id in catalog.origins:
            location, snippet = origin.locate("id")
            first = catalog.origins[survey.id].file
            problems.append(
                ConfigProblem(
                    location,
                    f"duplicate survey id {survey.id!r} (first defined in {first})",
                    "give each survey its own id",
                    snippet=snippet,
                )
            )
            continue
        catalog.origins[survey.id] = origin
        catalog.surveys[survey.id] = survey
        problems.extend(references(catalog, survey))
    if problems:
        raise ConfigError(problems)
    return catalog


def references(located: Located, survey: Survey) -> list[ConfigProblem]:
    """Problems with the ids a survey uses: duplicates, and names of missing questions or
    questions of the wrong type."""
    out: list[ConfigProblem] = []
    seen: set[str] = set()
    for i, q in enumerate(survey.questions):
        if q.id in seen:
            out.append(
                located.problem(
                    survey.id, "questions", i, "id", message=f"duplicate question id {q.id!r}"
                )
            )
        seen.add(q.id)

    def need(path: tuple[str | int, ...], ident: str | None, kinds: tuple[str, ...]) -> None:
        if ident is None:
            return
        question = survey.question(ident)
        if question is None:
            close = difflib.get_close_matches(ident, [q.id for q in survey.questions], n=1)
            hint = f"did you mean {close[0]!r}?" if close else "name a question id of this survey"
            out.append(
                located.problem(survey.id, *path, message=f"unknown question {ident!r}", hint=hint)
            )
        elif question.type not in kinds:
            out.append(
                located.problem(
                    survey.id,
                    *path,
                    message=f"question {ident!r} is a {question.type} question",
                    hint=f"this needs a {' or '.join(kinds)} question",
                )
            )

    if survey.kano is not None:
        for i, f in enumerate(survey.kano.features):
            need(("kano", "features", i, "functional"), f.functional, ("single",))
            need(("kano", "features", i, "dysfunctional"), f.dysfunctional, ("single",))
    if survey.competitors is not None:
        c = survey.competitors
        need(("competitors", "bought"), c.bought, ("multiple",))
        need(("competitors", "ours"), c.ours, ("rating",))
        for i, brand in enumerate(c.brands):
            need(("competitors", "brands", i, "rating"), brand.rating, ("rating",))
            if brand.rating is None and c.bought is None:
                out.append(
                    located.problem(
                        survey.id,
                        "competitors",
                        "brands",
                        i,
                        message="a competitor needs a 'rating' question or a 'bought' question",
                    )
                )
    rule_ids: set[str] = set()
    for i, rule in enumerate(survey.rules):
        if rule.id in rule_ids:
            out.append(
                located.problem(
                    survey.id, "rules", i, "id", message=f"duplicate rule id {rule.id!r}"
                )
            )
        rule_ids.add(rule.id)
        out.extend(_rule_problems(located, survey, i))
    return out


def _rule_problems(located: Located, survey: Survey, index: int) -> list[ConfigProblem]:
    """The rule's SQL names only question ids and whitelisted functions; a text compared with
    a choice question is one of its options."""
    rule = survey.rules[index]
    try:
        checked = check_expression(rule.when, [q.id for q in survey.questions], what="question id")
    except ExpressionProblem as p:
        return [
            located.problem(
                survey.id, "rules", index, "when", message=p.message, hint=p.hint, offset=p.offset
            )
        ]
    out = []
    for column, literal in _compared_texts(checked.ast):
        question = survey.question(column)
        if question is None or not question.options or literal in question.options:
            continue
        close = difflib.get_close_matches(literal, question.options, n=1, cutoff=0.3)
        hint = f"did you mean {close[0]!r}?" if close else "options: " + ", ".join(question.options)
        offset = rule.when.find(f"'{literal}'")
        out.append(
            located.problem(
                survey.id,
                "rules",
                index,
                "when",
                message=f"{literal!r} is not an option of question {column!r}",
                hint=hint,
                offset=offset + 1 if offset >= 0 else None,
            )
        )
    return out


def _compared_texts(ast: exp.Expression) -> list[tuple[str, str]]:
    """(question id, text) for ``q = 'x'``, ``q <> 'x'``, ``q in ('x', ...)`` and
    ``list_contains(q, 'x')``."""
    found: list[tuple[str, str]] = []
    for node in ast.walk():
        assert isinstance(node, exp.Expression)
        column: Any = None
        texts: list[Any] = []
        if isinstance(node, exp.EQ | exp.NEQ):
            left, right = node.left, node.right
            column, texts = (left, [right]) if isinstance(left, exp.Column) else (right, [left])
        elif isinstance(node, exp.In):
            column, texts = node.this, list(node.expressions)
        elif isinstance(node, exp.ArrayContains):
            column, texts = node.this, [node.expression]
        elif isinstance(node, exp.Anonymous) and node.name.lower() == "list_contains":
            column, texts = (node.expressions or [None])[0], node.expressions[1:]
        if not isinstance(column, exp.Column):
            continue
        for text in texts:
            if isinstance(text, exp.Literal) and text.is_string:
                found.append((column.name, text.this))
    return found
