"""Pages and reports seen as a person sees them: Debian's chromium, headless, driven by Playwright for Python
(never a downloaded browser). Each view saves a screenshot under tests/screenshots/ (ignored by git)."""

from __future__ import annotations

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


@contextmanager
def chromium_browser() -> Iterator[Any]:
    """A fresh headless chromium, for a module that opens many pages (a new context each is cheap, a browser is
    not); the test is skipped where the machine has no chromium (.ci/run installs it)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def chromium_page() -> Iterator[Any]:
    """A page of a fresh headless chromium; the test is skipped where the machine has no chromium."""
    with chromium_browser() as browser:
        yield browser.new_page(viewport=VIEWPORT)


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
