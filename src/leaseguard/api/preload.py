"""What a served app loads once at start-up, before it takes its first request, so that no request pays for it:
the chart library with the packaged CJK font (the analytics' charts), reportlab with the PDFs' two fonts (a filed
report's PDF, the court documents) and openpyxl (every workbook). Each of them took the first request that needed
it 0.1–0.2 s; at start-up they add about 0.65 s (loading 0.47 s, the collection 0.17 s) before the server answers.

Then the objects alive are frozen out of the cyclic garbage collector's reach (`gc.freeze`): the 400,000 or so
objects of the modules loaded (functions, classes, their dictionaries) live as long as the process, yet each full
collection walked them all — 0.17–0.26 s measured in a server of the 200,000-contract store, inside whichever
request happened to set it off (a policy trial of 90 ms took 316 ms; on the million-contract store the slowest
policy trial, 342 ms, and the slowest PDF download, 291 ms against 4 ms at p50, look the same). Frozen objects
are still freed by their reference counts; only a cycle among them would outlive its use.

It is done before the first request rather than beside it: in a thread it held the interpreter while the first
requests ran (the overview's first view took 140 ms instead of 60)."""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def preload() -> None:
    """Load the libraries and fonts, collect the garbage of loading them, freeze what is alive."""
    try:
        load_libraries()
    except Exception:  # a request that needs one says what is wrong with it, as it did before
        log.warning("could not load the chart, PDF or workbook libraries in advance", exc_info=True)
    gc.collect()
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
