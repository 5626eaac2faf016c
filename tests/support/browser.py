"""Headless Chromium for the browser tests: open a local page offline and report what happened.

Debian's ``/usr/bin/chromium`` is driven through Playwright's Python API (no browser download).
A visit collects console errors, uncaught page errors and every request that would leave the
machine (anything but ``file:``, ``data:``, ``blob:`` and ``about:``); such requests are aborted,
so a page that tries to reach a CDN fails its test instead of hanging or passing by luck.

Use it from a test module::

    @pytest.fixture(scope="module")
    def browser() -> Iterator[Browser]:
        with open_browser() as b:
            yield b

    def test_page(browser: Browser, tmp_path: Path) -> None:
        visit = browser.visit(page, wait_for="svg", screenshot=tmp_path / "page.png")
        assert visit.clean, visit.problems()

Without Chromium (or Playwright) the tests are skipped, except under CI (``CI`` set), where that
is a failure, as for the PostgreSQL fixture.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest

CHROMIUM_ENV = "HUAXIANG_CHROMIUM"  # another Chromium binary, if not /usr/bin/chromium
CHROMIUM = Path("/usr/bin/chromium")
ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
TIMEOUT_MS = 20_000


@dataclass
class Visit:
    """What happened while a page was open."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    result: Any = None  # the value of ``evaluate``, if given
    screenshot: Path | None = None

    @property
    def clean(self) -> bool:
        """No console error, no page error, no request off the machine."""
        return not (self.console_errors or self.page_errors or self.outside_requests)

    def problems(self) -> str:
        """Everything that went wrong, for an assertion message."""
        lines = [f"console error: {m}" for m in self.console_errors]
        lines += [f"page error: {m}" for m in self.page_errors]
        lines += [f"outside request: {u}" for u in self.outside_requests]
        return "\n".join(lines) or "none"


class Browser:
    """A running headless Chromium; :meth:`visit` opens one page at a time in a fresh context."""

    def __init__(self, chromium: Any) -> None:
        self._chromium = chromium

    def visit(
        self,
        path: Path,
        *,
        wait_for: str | None = None,
        until: str | None = None,
        evaluate: str | None = None,
        screenshot: Path | None = None,
        viewport: tuple[int, int] = (1280, 900),
        timezone: str | None = None,
        timeout_ms: int = TIMEOUT_MS,
    ) -> Visit:
        """Open a local HTML file and report on it.

        ``wait_for``: a CSS selector to wait for; ``until``: a JavaScript expression to wait to
        become true; ``evaluate``: a JavaScript expression whose value becomes ``Visit.result``;
        ``screenshot``: where to save a full-page PNG (taken last); ``timezone``: the page's
        time zone (e.g. ``"Asia/Shanghai"``), else the machine's.
        """
        url = path.resolve().as_uri()
        visit = Visit(url)
        context = self._chromium.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            service_workers="block",
            timezone_id=timezone,
        )
        try:
            context.route("**/*", lambda route: _local_only(route, visit))
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and visit.console_errors.append(m.text))
            page.on("pageerror", lambda e: visit.page_errors.append(str(e)))
            page.on("request", lambda r: _note_outside(r.url, visit))
            page.on("websocket", lambda ws: _note_outside(ws.url, visit))
            page.goto(url, wait_until="load", timeout=timeout_ms)
            if wait_for:
                page.wait_for_selector(wait_for, state="attached", timeout=timeout_ms)
            if until:
                page.wait_for_function(until, timeout=timeout_ms)
            if evaluate:
                visit.result = page.evaluate(evaluate)
            if screenshot:
                page.screenshot(path=str(screenshot), full_page=True)
                visit.screenshot = screenshot
        finally:
            context.close()
        return visit


def chromium_path() -> Path:
    """The Chromium binary the tests drive."""
    override = os.environ.get(CHROMIUM_ENV)
    return Path(override) if override else CHROMIUM


def unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it under CI, where every test must run."""
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"CI must not skip the browser tests: {reason}", pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def open_browser() -> Iterator[Browser]:
    """A headless Chromium for the duration of the block (skips when there is none)."""
    binary = chromium_path()
    if not os.access(binary, os.X_OK):
        unavailable(
            f"headless Chromium not found at {binary}; run `make system-deps` "
            f"(Debian package chromium) or set {CHROMIUM_ENV}"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the Python package playwright is missing; install the dev extra")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(binary), args=list(ARGS))
        try:
            yield Browser(chromium)
        finally:
            chromium.close()


def _is_local(url: str) -> bool:
    return url.startswith(LOCAL_SCHEMES)


def _note_outside(url: str, visit: Visit) -> None:
    if not _is_local(url) and url not in visit.outside_requests:
        visit.outside_requests.append(url)


def _local_only(route: Any, visit: Visit) -> None:
    url = route.request.url
    if _is_local(url):
        route.continue_()
    else:
        _note_outside(url, visit)
        route.abort()
