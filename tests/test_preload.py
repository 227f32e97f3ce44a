"""A served app loads the chart, PDF and workbook libraries in the background at start-up (after the ownership
register's build), so no request pays for them, then freezes the objects alive out of the garbage collector's
walks (api.preload); an app made for tests or tools does neither unless asked."""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from conftest import running
from leaseguard import charts, pdf
from leaseguard.api.app import create_app
from leaseguard.api.preload import load_libraries, preload


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test run keeps its collector as it was


def test_the_libraries_and_fonts_are_loaded() -> None:
    load_libraries()
    assert {"matplotlib", "reportlab.platypus", "openpyxl"} <= set(sys.modules)
    assert charts.cjk_font_family.cache_info().currsize == 1  # the CJK font registered with matplotlib
    assert pdf.latin_code_points.cache_info().currsize == 1  # the PDFs' fonts registered with reportlab
    assert pdf.font_runs("风险 risk") == [(pdf.CJK, "风险"), (pdf.LATIN, " risk")]


def test_preloading_waits_for_the_register_then_freezes_what_is_alive(unfrozen: None) -> None:
    built = threading.Event()
    register = threading.Thread(target=built.wait, args=(60,))
    register.start()
    loading = preload(after=register)
    time.sleep(0.3)
    assert loading.is_alive() and gc.get_freeze_count() == 0  # the register is still being built
    built.set()
    loading.join(120)
    assert not loading.is_alive()
    assert gc.get_freeze_count() > 10_000


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_served_app_preloads_and_one_made_for_tests_does_not(database_url: str, unfrozen: None) -> None:
    with running(create_app(database_url)) as base:
        assert httpx.get(f"{base}/v1/health").status_code == 200
        time.sleep(0.2)
        assert gc.get_freeze_count() == 0
    with running(create_app(database_url, preload_libraries=True)) as base:
        assert httpx.get(f"{base}/v1/health").status_code == 200
        for _ in range(600):
            if gc.get_freeze_count():
                break
            time.sleep(0.1)
    assert gc.get_freeze_count() > 10_000
