"""User-written SQL expressions: parsed by sqlglot and checked against a whitelist.

Tag rules and feature filters are SQL expressions, not a new grammar; but they may only name the
columns their context offers and use row-level functions. No subqueries, no tables, no
aggregates, no windows: a definition cannot read or change anything it does not declare.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

DIALECT = "duckdb"

# node types an expression may contain (sqlglot turns known functions into their own types)
_ALLOWED: tuple[type[exp.Expression], ...] = (
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Paren, exp.Neg,
    exp.Not, exp.And, exp.Or, exp.Xor,
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.In, exp.Between,
    exp.Like, exp.ILike, exp.NullSafeEQ, exp.NullSafeNEQ,
    exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.IntDiv, exp.Pow, exp.DPipe,
    exp.Case, exp.If, exp.Coalesce, exp.Nullif, exp.Cast, exp.TryCast, exp.DataType,
    exp.Abs, exp.Round, exp.Floor, exp.Ceil, exp.Ln, exp.Log, exp.Sqrt, exp.Exp, exp.Sign,
    exp.Greatest, exp.Least, exp.Interval, exp.Var, exp.Tuple, exp.Array,
    exp.Year, exp.Quarter, exp.Month, exp.Week, exp.Day, exp.DayOfWeek, exp.DayOfMonth,
    exp.DayOfYear, exp.Hour, exp.Minute,
    exp.DateDiff, exp.DateAdd, exp.DateSub, exp.DateTrunc, exp.TimestampTrunc, exp.Extract,
    exp.Lower, exp.Upper, exp.Length, exp.Trim, exp.Substring, exp.Concat, exp.StartsWith,
    exp.Contains, exp.StrPosition, exp.RegexpLike, exp.Left, exp.Right,
    exp.JSONExtract, exp.JSONExtractScalar, exp.JSONPath, exp.JSONPathRoot, exp.JSONPathKey,
    exp.ArrayContains, exp.Anonymous,
)  # fmt: skip
# functions sqlglot does not model, by their DuckDB names
_ANONYMOUS = frozenset(
    {"date_diff", "datediff", "contains", "list_contains", "json_extract_string", "hour",
     "dayofweek", "isodow", "strftime", "ends_with", "starts_with", "prefix", "suffix",
     "regexp_matches", "len", "strlen", "log10", "log2", "isnan", "isfinite", "epoch",
     "date_part", "last_day", "make_date", "to_days", "to_months", "to_years", "age"}
)  # fmt: skip
_FUNCTION_NAMES = sorted(
    _ANONYMOUS
    | {"abs", "round", "floor", "ceil", "ln", "log", "sqrt", "exp", "sign", "greatest", "least",
       "coalesce", "nullif", "year", "quarter", "month", "week", "day", "dayofmonth",
       "dayofyear", "minute", "date_add", "date_trunc", "extract", "lower", "upper", "length",
       "trim", "substring", "concat", "regexp_matches", "left", "right", "if", "cast"}
)  # fmt: skip


@dataclass(frozen=True)
class ExpressionProblem(Exception):
    """What is wrong, where in the expression text (0-based offset) and how to fix it."""

    message: str
    offset: int = 0
    length: int = 0
    hint: str | None = None

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Checked:
    ast: exp.Expression
    columns: frozenset[str]


def check_expression(text: str, allowed: Iterable[str], *, what: str = "column") -> Checked:
    """Parse ``text`` and check it names only ``allowed`` columns and whitelisted functions."""
    if not text.strip():
        raise ExpressionProblem("the expression is empty")
    try:
        ast = sqlglot.parse_one(text, dialect=DIALECT)
    except (ParseError, TokenError) as exc:
        raise _parse_problem(text, exc) from None
    if not isinstance(ast, exp.Expression):
        raise ExpressionProblem("the expression is empty")
    names = set(allowed)
    columns: set[str] = set()
    for node in ast.walk():
        assert isinstance(node, exp.Expression)
        if isinstance(node, exp.Column):
            if node.table:
                raise _at(text, node.sql(dialect=DIALECT), f"qualified name {node.sql()!r}",
                          hint=f"write the bare {what} name: {node.name}")  # fmt: skip
            if node.name not in names:
                raise _unknown(text, node.name, names, what)
            columns.add(node.name)
        elif isinstance(node, exp.Anonymous):
            name = node.name.lower()
            if name not in _ANONYMOUS:
                raise _unknown_function(text, node.name)
        elif not isinstance(node, _ALLOWED):
            raise _forbidden(text, node)
    return Checked(ast, frozenset(columns))


def _unknown(text: str, name: str, names: set[str], what: str) -> ExpressionProblem:
    close = difflib.get_close_matches(name, sorted(names), n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"known names: {_few(names)}"
    return _at(text, name, f"unknown {what} {name!r}", hint=hint)


def _unknown_function(text: str, name: str) -> ExpressionProblem:
    close = difflib.get_close_matches(name.lower(), _FUNCTION_NAMES, n=1)
    hint = f"did you mean {close[0]}()?" if close else "functions: " + ", ".join(_FUNCTION_NAMES)
    return _at(text, name, f"function {name}() is not allowed here", hint=hint)


def _forbidden(text: str, node: exp.Expression) -> ExpressionProblem:
    if isinstance(node, exp.AggFunc):
        message = f"aggregate {node.key}() is not allowed: define a feature for it"
    elif isinstance(node, (exp.Select, exp.Subquery, exp.Table, exp.Star)):
        message = "queries and tables are not allowed in an expression"
    elif isinstance(node, exp.Window):
        message = "window functions are not allowed: use a 'quantile' rule"
    elif isinstance(node, exp.Func):
        message = f"function {node.sql_name().lower()}() is not allowed here"
    else:
        message = f"{node.key} is not allowed in an expression"
    word = re.search(r"\w+", node.sql(dialect=DIALECT))
    return _at(
        text, word.group() if word else "", message, hint="rules compare and compute row values"
    )


def _at(text: str, needle: str, message: str, *, hint: str | None) -> ExpressionProblem:
    """A problem pointing at the first whole-word occurrence of ``needle`` outside quotes."""
    offset = _find_word(text, needle)
    return ExpressionProblem(message, offset if offset >= 0 else 0, len(needle), hint)


def _find_word(text: str, needle: str) -> int:
    if not needle:
        return -1
    masked = re.sub(r"'[^']*'", lambda m: " " * len(m.group()), text)
    pattern = (r"(?<![\w])" if needle[0].isalnum() or needle[0] == "_" else "") + re.escape(needle)
    m = re.search(pattern, masked, flags=re.IGNORECASE)
    return m.start() if m else -1


def _parse_problem(text: str, exc: ParseError | TokenError) -> ExpressionProblem:
    errors = getattr(exc, "errors", None) or []
    if errors:
        err = errors[0]
        line, col = int(err.get("line") or 1), int(err.get("col") or 1)
        lines = text.split("\n")
        offset = sum(len(x) + 1 for x in lines[: line - 1]) + max(col - 1, 0)
        token = str(err.get("highlight") or "")
        description = str(err.get("description") or "syntax error")
        if description.startswith("Required keyword"):
            description = "it is incomplete (an operator or a function lacks an argument)"
        return ExpressionProblem(
            f"cannot parse the expression: {description}",
            max(offset - len(token) + 1, 0),
            len(token),
            "check the brackets, quotes ('text' in single quotes) and operators",
        )
    return ExpressionProblem(f"cannot parse the expression: {exc}", 0, 0)


def _few(names: Iterable[str], limit: int = 12) -> str:
    ordered = sorted(names)
    more = f" ... ({len(ordered) - limit} more)" if len(ordered) > limit else ""
    return ", ".join(ordered[:limit]) + more


def to_sql(node: exp.Expression) -> str:
    return node.sql(dialect=DIALECT)
