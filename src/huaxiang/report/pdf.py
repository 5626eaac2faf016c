"""The PDF report: the print form of the HTML through WeasyPrint (paged media CSS: page numbers,
a table of contents with page numbers, bookmarks; charts stay vectors; CJK text in the Noto
CJK font, subset into the file)."""

from __future__ import annotations

import logging
from pathlib import Path

from huaxiang.errors import UsageError


def write_pdf(html: str, path: Path) -> Path:
    try:
        from weasyprint import HTML
    except OSError as exc:  # the Pango / HarfBuzz system libraries are missing
        raise UsageError(
            f"cannot write PDF: {exc}",
            hint="install the system libraries: apt-get install libpango-1.0-0 "
            "libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk",
        ) from None
    # WeasyPrint reports every CSS property it ignores as a warning on its logger; the report's
    # stylesheet also serves screens, so those are expected and not the user's business.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    HTML(string=html, base_url=str(path.parent)).write_pdf(path)
    return path
