"""PDFs people file, one way: the two fonts every leaseguard PDF embeds (Vera for Latin text, the packaged
Droid Sans Fallback for Chinese, which has no Latin letters or digits), text cut where its font changes, and a
canvas that numbers its pages once their count is known. The court documents and the regulatory report use it.
reportlab is imported only when a PDF is made."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

FONT_DIR = Path(__file__).parent / "enforcement" / "fonts"
CJK_FONT_FILE = FONT_DIR / "DroidSansFallbackFull.ttf"
LATIN, LATIN_BOLD, CJK = "LGVera", "LGVera-Bold", "LGDroidSansFallback"


@cache
def latin_code_points() -> frozenset[int]:
    """Register the embedded fonts once per process; the code points the Latin font has."""
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path(reportlab.__file__).with_name("fonts")
    latin = TTFont(LATIN, str(folder / "Vera.ttf"))
    pdfmetrics.registerFont(latin)
    pdfmetrics.registerFont(TTFont(LATIN_BOLD, str(folder / "VeraBd.ttf")))
    pdfmetrics.registerFont(TTFont(CJK, str(CJK_FONT_FILE)))
    pdfmetrics.registerFontFamily(LATIN, normal=LATIN, bold=LATIN_BOLD, italic=LATIN, boldItalic=LATIN_BOLD)
    # The Chinese font has no bold face: headings in Chinese are set larger instead.
    pdfmetrics.registerFontFamily(CJK, normal=CJK, bold=CJK, italic=CJK, boldItalic=CJK)
    return frozenset(latin.face.charToGlyph)


@cache
def _runs_pattern() -> re.Pattern[str]:
    latin = "".join(re.escape(chr(code)) for code in sorted(latin_code_points()))
    return re.compile(f"([{latin}]+)|([^{latin}]+)")


def font_runs(text: str) -> list[tuple[str, str]]:
    """The text cut where its font changes: (font, run), the Latin font wherever it has the characters."""
    return [
        (LATIN if found.lastindex == 1 else CJK, found.group()) for found in _runs_pattern().finditer(text)
    ]


def marked_up(text: str) -> str:
    """Paragraph markup: runs the Latin font lacks are set in the Chinese font."""
    return "".join(
        f'<font name="{CJK}">{escape(run)}</font>' if font == CJK else escape(run)
        for font, run in font_runs(text)
    )


def numbered_canvas(
    width: float,
    footer: Callable[[int, int], str],
    *,
    footer_y: float,
    footer_size: float = 9,
    header: str = "",
    header_y: float = 0,
    header_size: float = 11,
) -> type:
    """A canvas class that writes `footer(page, pages)` centred at the foot of every page (pages are held until
    their count is known) and `header`, if any, in red at the top."""
    from reportlab.lib import colors
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            count = len(self._pages)
            for page in self._pages:
                self.__dict__.update(page)
                self._centred(header_y, header, header_size, colors.red)
                self._centred(footer_y, footer(self._pageNumber, count), footer_size, colors.black)
                super().showPage()
            super().save()

        def _centred(self, y: float, text: str, size: float, colour: Any) -> None:
            """Chinese in the Chinese font, the rest in the Latin one, centred on the page."""
            if not text:
                return
            runs = font_runs(text)
            left = (width - sum(stringWidth(run, font, size) for font, run in runs)) / 2
            self.saveState()
            self.setFillColor(colour)
            for font, run in runs:
                self.setFont(font, size)
                self.drawString(left, y, run)
                left += stringWidth(run, font, size)
            self.restoreState()

    return NumberedCanvas
