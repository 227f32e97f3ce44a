"""/docs works offline: Swagger UI's files come from the package (no CDN), the vendored files are the ones the
NOTICE names, and a real chromium shows the operations with the network cut off."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from importlib import resources

import httpx
import pytest

from browser import chromium_page, screenshot
from conftest import running
from leaseguard.api import create_app
from leaseguard.store.db import create_store_engine, upgrade_schema

VENDOR = resources.files("leaseguard.console").joinpath("static", "vendor")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('docs') / 'store.db'}"
    engine = create_store_engine(url)
    upgrade_schema(engine)
    engine.dispose()
    with running(create_app(url)) as served:
        yield served


def test_the_vendored_files_are_the_ones_the_notice_names() -> None:
    notice = VENDOR.joinpath("NOTICE").read_text(encoding="utf-8")
    named = dict(re.findall(r"sha256 ([0-9a-f]{64})\s+(\S+)", notice))
    htmx_digest = re.search(r"htmx\.min\.js\n.*?sha256 ([0-9a-f]{64})", notice, re.S)
    assert htmx_digest is not None
    named[htmx_digest.group(1)] = "htmx.min.js"
    files = {
        "htmx.min.js": "htmx.min.js",
        "swagger-ui-bundle.js": "swagger-ui/swagger-ui-bundle.js",
        "swagger-ui.css": "swagger-ui/swagger-ui.css",
        "favicon-32x32.png": "swagger-ui/favicon-32x32.png",
    }
    for digest, name in named.items():
        data = VENDOR.joinpath(*files[name].split("/")).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, name
    assert "Zero-Clause BSD" in VENDOR.joinpath("htmx.LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in VENDOR.joinpath("swagger-ui", "LICENSE").read_text(encoding="utf-8")


def test_docs_name_only_files_of_this_server(base: str) -> None:
    page = httpx.get(f"{base}/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    linked = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert linked and all(link.startswith("/static/") for link in linked), linked
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    for link in linked:
        served = httpx.get(f"{base}{link}")
        assert served.status_code == 200 and served.content, link
    css = httpx.get(f"{base}/static/vendor/swagger-ui/swagger-ui.css")
    assert css.headers["content-type"].startswith("text/css")


def test_docs_render_in_chromium_without_the_internet(base: str) -> None:
    with chromium_page() as page:
        outside: list[str] = []

        def only_this_server(route: object) -> None:
            request_url = route.request.url  # type: ignore[attr-defined]
            if request_url.startswith(base):
                route.continue_()  # type: ignore[attr-defined]
            else:
                outside.append(request_url)
                route.abort()  # type: ignore[attr-defined]

        page.route("**/*", only_this_server)
        page.goto(f"{base}/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        assert page.locator(".opblock").count() > 5
        assert "/v1/contracts" in page.inner_text("body")
        screenshot(page, "console_docs", full_page=False)
        assert outside == []
