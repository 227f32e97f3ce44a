"""A served app loads the chart, PDF and workbook libraries at start-up, before its first request, so no request
pays for them, then freezes the objects alive out of the garbage collector's walks (api.preload); an app made for
tests or tools does neither unless asked."""

from __future__ import annotations

import gc
import sys
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
    frozen_before = gc.get_freeze_count() > 0  # conftest freezes what collection left alive
    gc.unfreeze()
    yield
    gc.unfreeze()
    if frozen_before:  # the rest of the test run keeps its collector as it was
        gc.collect()
        gc.freeze()


def test_the_libraries_and_fonts_are_loaded() -> None:
    load_libraries()
    assert {"matplotlib", "reportlab.platypus", "openpyxl"} <= set(sys.modules)
    assert charts.cjk_font_family.cache_info().currsize == 1  # the CJK font registered with matplotlib
    assert pdf.latin_code_points.cache_info().currsize == 1  # the PDFs' fonts registered with reportlab
    assert pdf.font_runs("风险 risk") == [(pdf.CJK, "风险"), (pdf.LATIN, " risk")]


def test_preloading_freezes_what_is_alive(unfrozen: None) -> None:
    preload()
    assert gc.get_freeze_count() > 10_000


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_served_app_preloads_and_one_made_for_tests_does_not(database_url: str, unfrozen: None) -> None:
    with running(create_app(database_url)) as base:
        assert httpx.get(f"{base}/v1/health").status_code == 200
        time.sleep(0.2)
        assert gc.get_freeze_count() == 0
    with running(create_app(database_url, preload_libraries=True)) as base:
        assert gc.get_freeze_count() > 10_000  # done before the first request is taken
        assert httpx.get(f"{base}/v1/health").status_code == 200
