"""What a served app loads once, in the background after it starts, so that no request pays for it: the chart
library with the packaged CJK font (the analytics' charts), reportlab with the PDFs' two fonts (a filed report's
PDF, the court documents) and openpyxl (every workbook). Each of them took the first request that needed it
0.1–0.2 s.

Then the objects alive are frozen out of the cyclic garbage collector's reach (`gc.freeze`): the several hundred
thousand objects of the modules loaded (functions, classes, their dictionaries) live as long as the process, yet
each full collection walked them all — 0.2 s on a 200,000-contract store and 0.3 s on a million, inside whichever
request happened to set it off (the slowest policy trial, the slowest PDF download). They are still freed by
their reference counts; only a cycle among them would outlive its use, and modules make none that die."""

from __future__ import annotations

import gc
import logging
import threading

log = logging.getLogger(__name__)


def preload(after: threading.Thread | None = None) -> threading.Thread:
    """Load the libraries and fonts in a daemon thread, once `after` (the ownership register's build, which
    makes many objects of its own) has ended, then freeze what is alive; the thread, started."""
    thread = threading.Thread(target=_preload, args=(after,), name="leaseguard-preload", daemon=True)
    thread.start()
    return thread


def _preload(after: threading.Thread | None) -> None:
    if after is not None:
        after.join()
    try:
        load_libraries()
    except Exception:  # a request that needs one says what is wrong with it, as it did before
        log.warning("could not load the chart, PDF or workbook libraries in advance", exc_info=True)
    # The young generations' garbage collected first (a few milliseconds), not the whole heap: a full collection
    # holds the interpreter for as long as it walks it (a quarter of a second here), and a request may be waiting.
    gc.collect(1)
    gc.freeze()


def load_libraries() -> None:
    """matplotlib with the CJK font (a small chart drawn, so its fonts are read), reportlab with the embedded
    fonts, openpyxl."""
    import openpyxl.styles  # noqa: F401
    import reportlab.platypus  # noqa: F401

    from leaseguard.charts import new_figure, png_bytes
    from leaseguard.pdf import font_runs

    font_runs("leaseguard 风险")  # the fonts registered, the pattern that cuts runs compiled
    figure = new_figure(1, 1)
    figure.text(0.1, 0.5, "leaseguard 风险")
    png_bytes(figure)
