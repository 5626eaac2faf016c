"""One rooted error hierarchy.

Every error a user can cause derives from :class:`HuaxiangError`. Front ends print ``str(error)``
(which already says what is wrong, where and how to fix it) and exit with ``error.exit_code``;
only ``--debug`` shows a traceback. Positions are 1-based, as editors show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class HuaxiangError(Exception):
    """Root of every error huaxiang raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        text = self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class UsageError(HuaxiangError):
    """The command was called wrongly (unknown table, missing option)."""

    exit_code = 2


class WorkspaceError(HuaxiangError):
    """The workspace folder is missing, incomplete or not a workspace."""


@dataclass(frozen=True)
class Location:
    """Where in a file something is: any of row (data record), line, column may be known."""

    file: str
    line: int | None = None
    column: int | str | None = None
    row: int | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        return ", ".join(parts)


class ConfigError(HuaxiangError):
    """``huaxiang.yaml`` (or another definition file) is invalid.

    Carries every problem found, so the user fixes them all in one go.
    """

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        lines = [f"{len(problems)} problem(s) in the configuration:"] if len(problems) > 1 else []
        lines += [str(p) for p in problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class ConfigProblem:
    location: Location
    message: str
    hint: str | None = None
    snippet: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        if self.snippet:
            text += f"\n    {self.snippet}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class DataError(HuaxiangError):
    """An input file cannot be read at all (as opposed to bad rows, which are quarantined)."""

    def __init__(self, message: str, *, location: Location | None = None, hint: str | None = None):
        self.location = location
        prefix = f"{location}: " if location else ""
        super().__init__(prefix + message, hint=hint)


class EngineError(HuaxiangError):
    """The analytic engine failed on a statement huaxiang generated."""


class StoreError(HuaxiangError):
    """The operational store (SQLite / PostgreSQL) failed."""


class ModelWarning(UserWarning):
    """A model was fitted but should not be trusted as it stands (parameters running off,
    an undetermined likelihood, data the model cannot describe); the message says why."""
