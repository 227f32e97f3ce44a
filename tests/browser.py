"""Pages and reports seen as a person sees them: Debian's chromium, headless, driven by Playwright for Python
(never a downloaded browser). With `pytest --screenshots` (`make screenshots`), each view is also saved as a
picture under tests/screenshots/ (ignored by git), for a person to look at."""

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
# Whether the views are saved as pictures: set by conftest from `--screenshots`. Off in `make test`: nothing reads
# the pictures there, and drawing and encoding a whole page each time cost chromium about 16 s of the suite's CPU.
screenshots_wanted = False


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


def screenshot(seen: Any, name: str, *, full_page: bool | None = True) -> None:
    """Save what `seen` shows as tests/screenshots/<name>.png, when the run asked for screenshots (`pytest
    --screenshots`): a page whole (`full_page`) or its window (False), or one element of it (a locator: None)."""
    if not screenshots_wanted:
        return
    SCREENSHOTS.mkdir(exist_ok=True)
    options: dict[str, Any] = {} if full_page is None else {"full_page": full_page}
    # caret="initial": hiding the caret leaves empty style attributes behind, which htmx copies onto what it
    # swaps in, and which the pages' content security policy then refuses (an error of the test, not the page).
    seen.screenshot(
        path=str(SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"), caret="initial", **options
    )


def shot(page: Any, name: str) -> None:
    """A console page's screenshot: tests/screenshots/console_<name>.png (with `--screenshots`)."""
    screenshot(page, f"console_{name}")


def seen_text(page_file: Path, screenshot_name: str) -> str:
    """The text a person reads on the HTML file `page_file` once chromium has rendered it; with `--screenshots`,
    a full-page screenshot is saved as tests/screenshots/<screenshot_name>.png."""
    with chromium_page() as page:
        page.goto(page_file.resolve().as_uri())
        screenshot(page, screenshot_name)
        text: str = page.inner_text("body")
    return text
