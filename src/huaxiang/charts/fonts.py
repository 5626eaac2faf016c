"""The Chinese (CJK) font every chart draws its text with.

Vector outputs (SVG, and the PDF made from it) keep their text as text and name the font by
family, :data:`FONT_FAMILY`; raster outputs (PNG, the word cloud's layout) need the font *file*,
found once per process by :func:`cjk_font`: ``HUAXIANG_CJK_FONT`` if set, then fontconfig, then
the usual places of Noto Sans CJK, WenQuanYi, PingFang and Microsoft YaHei. A font named by
``HUAXIANG_CJK_FONT`` is also shown to vl-convert, which picks it when its family is one of
:data:`FONT_FAMILY`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from huaxiang.errors import UsageError

FONT_ENV = "HUAXIANG_CJK_FONT"  # a .ttf / .otf / .ttc file that overrides the search

# CSS font-family stack (SVG attributes, HTML, the Vega config): Noto Sans CJK SC on Linux, the
# system faces on macOS and Windows. Unquoted family names are valid CSS as long as each word is
# an identifier, which keeps the value usable inside a double-quoted XML attribute.
FONT_FAMILY = (
    "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, "
    "WenQuanYi Micro Hei, sans-serif"
)

KNOWN_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian / Ubuntu fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora, Arch
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)

# fontconfig patterns, best first; a match counts only if the font covers Simplified Chinese,
# because fc-match always answers (with DejaVu when nothing better exists).
FONTCONFIG_PATTERNS = ("Noto Sans CJK SC:style=Regular", ":lang=zh-cn:style=Regular")
MAX_FACES = 16  # a font collection holds a handful of faces (Noto Sans CJK: 10)


@dataclass(frozen=True)
class CjkFont:
    """A font file and the face inside it (collections such as ``.ttc`` hold several)."""

    path: Path
    index: int = 0


def missing_font_error() -> UsageError:
    return UsageError(
        "no Chinese (CJK) font was found, so charts cannot draw Chinese text",
        hint=(
            "install one, e.g. `sudo apt-get install fonts-noto-cjk` on Debian/Ubuntu "
            f"(or fonts-wqy-microhei), or set {FONT_ENV} to a .ttf/.otf/.ttc file"
        ),
    )


@lru_cache(maxsize=1)
def cjk_font() -> CjkFont:
    """The CJK font of this machine; a :class:`UsageError` naming the package when none exists."""
    override = os.environ.get(FONT_ENV)
    if override:
        path = Path(override).expanduser()
        if not path.is_file():
            raise UsageError(
                f"{FONT_ENV} names {override!r}, which is not a font file",
                hint="point it at a .ttf, .otf or .ttc file, or unset it",
            )
        return CjkFont(path, _simplified_face(path))
    found = _from_fontconfig()
    if found is not None:
        return found
    for name in KNOWN_FONT_FILES:
        path = Path(name)
        if path.is_file():
            return CjkFont(path, _simplified_face(path))
    raise missing_font_error()


def _from_fontconfig() -> CjkFont | None:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    for pattern in FONTCONFIG_PATTERNS:
        try:
            done = subprocess.run(
                [fc_match, "--format=%{file}\n%{index}\n%{lang}", pattern],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        lines = done.stdout.split("\n")
        if done.returncode != 0 or len(lines) < 3:
            continue
        file, index, langs = lines[0], lines[1], lines[2]
        if "zh-cn" in langs.split("|") and Path(file).is_file():
            return CjkFont(Path(file), int(index) if index.isdigit() else 0)
    return None


def _simplified_face(path: Path) -> int:
    """The face of a collection meant for Simplified Chinese (Noto's ``SC``), else the first."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    from PIL import ImageFont  # only needed for collections found without fontconfig

    for index in range(MAX_FACES):
        try:
            family = ImageFont.truetype(str(path), 12, index=index).getname()[0] or ""
        except OSError:
            break
        if family.endswith((" SC", " GB")) or "Micro Hei" in family or "Hei SC" in family:
            return index
    return 0
