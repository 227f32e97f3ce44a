"""Pages and reports seen as a person sees them: Debian's chromium, headless, driven by Playwright for Python
(never a downloaded browser). Each view saves a screenshot under tests/screenshots/ (ignored by git)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip
SCREENSHOTS = Path(__file__).parent / "screenshots"


VIEWPORT = {"width": 1280, "height": 900}


class _SharedChromium:
    """One Playwright driver and one chromium for the whole test process: starting them costs about two seconds,
    a context (a page's own cookies and storage) a few milliseconds.

    Playwright's synchronous API runs its event loop in a greenlet of this thread and marks that loop as the
    thread's running loop; between uses the mark is taken away, so that a test's own `asyncio.run` (the
    tracking gateway's tests) still finds no loop running, and put back before Playwright runs again."""

    def __init__(self) -> None:
        self.manager: Any = None
        self.playwright: Any = None
        self.browser: Any = None

    def enter(self) -> Any:
        if self.browser is None:
            from playwright.sync_api import sync_playwright

            self.manager = sync_playwright()
            self.playwright = self.manager.start()
            self.browser = self.playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        else:
            asyncio._set_running_loop(self.manager._loop)
        return self.browser

    def leave(self) -> None:
        asyncio._set_running_loop(None)

    def close(self) -> None:
        if self.browser is None:
            return
        asyncio._set_running_loop(self.manager._loop)
        try:
            self.browser.close()
        finally:
            self.playwright.stop()
            self.browser = self.playwright = self.manager = None
            asyncio._set_running_loop(None)


_SHARED = _SharedChromium()


def close_shared_chromium() -> None:
    """End the process's chromium and Playwright driver (at the end of the test session)."""
    _SHARED.close()


@contextmanager
def chromium_browser() -> Iterator[Any]:
    """The test process's headless chromium, for a module that opens many pages in contexts of its own (which
    it closes); the test is skipped where the machine has no chromium (.ci/run installs it)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    browser = _SHARED.enter()
    try:
        yield browser
    finally:
        _SHARED.leave()


@contextmanager
def chromium_page() -> Iterator[Any]:
    """A page in a new browser context (no cookies, no storage) of the process's chromium; the test is skipped
    where the machine has no chromium."""
    with chromium_browser() as browser:
        context = browser.new_context(viewport=VIEWPORT)
        try:
            yield context.new_page()
        finally:
            context.close()


def seen_text(page_file: Path, screenshot: str) -> str:
    """The text a person reads on the HTML file `page_file` once chromium has rendered it; a full-page
    screenshot is saved as tests/screenshots/<screenshot>.png."""
    SCREENSHOTS.mkdir(exist_ok=True)
    with chromium_page() as page:
        page.goto(page_file.resolve().as_uri())
        page.screenshot(
            path=str(SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', screenshot)}.png"), full_page=True
        )
        text: str = page.inner_text("body")
    return text
