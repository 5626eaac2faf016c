"""Progress and messages, decoupled from where they are shown.

Operations talk to a :class:`Console`; the CLI passes a Rich terminal console, tests pass a
:class:`CaptureConsole`, a web front end can pass its own. No operation prints directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Protocol


class Task(Protocol):
    def advance(self, amount: int = 1) -> None: ...
    def update(self, *, completed: int | None = None, total: int | None = None) -> None: ...


class Console(Protocol):
    def info(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...
    def progress(self, label: str, total: int | None = None) -> AbstractContextManager[Task]: ...


@dataclass
class _CountingTask:
    label: str
    total: int | None
    completed: int = 0
    log: list[tuple[str, int, int | None]] = field(default_factory=list)

    def advance(self, amount: int = 1) -> None:
        self.completed += amount
        self.log.append((self.label, self.completed, self.total))

    def update(self, *, completed: int | None = None, total: int | None = None) -> None:
        if total is not None:
            self.total = total
        if completed is not None:
            self.completed = completed
        self.log.append((self.label, self.completed, self.total))


class CaptureConsole:
    """Records everything; for tests and for callers that render later."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self.tasks: list[_CountingTask] = []

    def info(self, message: str) -> None:
        self.messages.append(("info", message))

    def warn(self, message: str) -> None:
        self.messages.append(("warn", message))

    @contextmanager
    def progress(self, label: str, total: int | None = None) -> Iterator[Task]:
        task = _CountingTask(label, total)
        self.tasks.append(task)
        yield task

    def text(self) -> str:
        return "\n".join(m for _, m in self.messages)


class NullConsole(CaptureConsole):
    """Discards messages (library use without a front end)."""

    def info(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass


class TerminalConsole:
    """Rich output on stderr, so stdout stays clean for ``--json``."""

    def __init__(self, *, quiet: bool = False) -> None:
        from rich.console import Console as RichConsole

        self.rich = RichConsole(stderr=True, highlight=False)
        self.quiet = quiet

    def info(self, message: str) -> None:
        if not self.quiet:
            self.rich.print(message)

    def warn(self, message: str) -> None:
        self.rich.print(f"[yellow]warning:[/yellow] {message}")

    @contextmanager
    def progress(self, label: str, total: int | None = None) -> Iterator[Task]:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn()]
        if total is not None:
            columns.append(MofNCompleteColumn())
        columns.append(TimeElapsedColumn())
        with Progress(*columns, console=self.rich, transient=True, disable=self.quiet) as bar:
            task_id = bar.add_task(label, total=total)

            class _RichTask:
                def advance(self, amount: int = 1) -> None:
                    bar.advance(task_id, amount)

                def update(self, *, completed: int | None = None, total: int | None = None) -> None:
                    bar.update(task_id, completed=completed, total=total)

            yield _RichTask()
        if not self.quiet:
            self.rich.print(f"[green]✓[/green] {label}")
