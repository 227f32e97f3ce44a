"""Charts people read, one way: a matplotlib figure on the Agg canvas (no display, no pyplot state shared
between threads), its Chinese drawn in the packaged CJK font (the one the PDFs embed, `pdf.CJK_FONT_FILE`) and
its Latin letters in matplotlib's own DejaVu Sans, so a chart reads the same on a machine without Chinese
fonts. The analytics report, the case report and the credit model's calibration plot draw with it."""

from __future__ import annotations

import io
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def new_figure(width: float, height: float) -> Figure:
    """A new figure of `width` × `height` inches on its own Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    drawn = Figure(figsize=(width, height))
    FigureCanvasAgg(drawn)
    return drawn


@cache
def cjk_font_family() -> str:
    """The packaged CJK font registered with matplotlib once per process; its family name."""
    from matplotlib import font_manager

    from leaseguard.pdf import CJK_FONT_FILE

    font_manager.fontManager.addfont(str(CJK_FONT_FILE))
    return str(font_manager.FontProperties(fname=str(CJK_FONT_FILE)).get_name())


def png_bytes(drawn: Figure) -> bytes:
    """The figure as PNG bytes (100 dpi, cropped to what is drawn), every text in DejaVu Sans with the CJK
    font behind it (the CJK font has no Latin letters)."""
    family = cjk_font_family()
    for text in drawn.findobj(lambda artist: hasattr(artist, "set_fontfamily")):
        text.set_fontfamily(["DejaVu Sans", family])  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    drawn.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()
