"""Text encodings of delimited files: detect, validate, transcode to UTF-8.

Chinese exports come as UTF-8 (with or without BOM), GBK/GB18030 (Excel "CSV" on a Chinese
Windows), sometimes UTF-16 ("Unicode text") or Big5. DuckDB reads only UTF-8, so anything else
is transcoded in a streaming pass; nothing is decoded with ``errors='replace'`` silently.
"""

from __future__ import annotations

import codecs
from contextlib import ExitStack
from pathlib import Path

from huaxiang.errors import DataError, Location

CHUNK = 1 << 22  # 4 MiB
# UTF-8 files above this size are checked on samples: the first _HEAD bytes and _WINDOWS - 1
# evenly spaced windows of _WINDOW bytes
SAMPLED_ABOVE = 1 << 25  # 32 MiB
_HEAD = CHUNK
_WINDOWS = 64
_WINDOW = 1 << 16
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# tried in order when there is no BOM; gb18030 is a superset of GBK and GB2312
_CANDIDATES = ("utf-8", "gb18030", "big5")
_UTF8 = ("utf-8", "utf-8-sig")  # read by DuckDB as they are
_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "utf8": "utf-8", "utf-8-bom": "utf-8-sig"}


def _decodes(path: Path, encoding: str, dest: Path | None = None) -> tuple[bool, int, int]:
    """Whether the whole file decodes; else (False, byte offset, line) of the first bad byte.

    With ``dest`` the decoded text is written there as UTF-8 (byte-order mark dropped) in the
    same pass, so a file in another encoding is decoded once, not once to check and once to
    transcode.
    """
    if encoding == "utf-8" and path.stat().st_size > SAMPLED_ABOVE:
        return _utf8_samples_decode(path)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    lines = 1
    with ExitStack() as stack:
        fh = stack.enter_context(path.open("rb"))
        out = stack.enter_context(dest.open("w", encoding="utf-8", newline="")) if dest else None
        while block := fh.read(CHUNK):
            try:
                text = decoder.decode(block, final=False)
            except UnicodeError as exc:  # also "UTF-16 stream does not start with BOM"
                start = exc.start if isinstance(exc, UnicodeDecodeError) else 0
                return False, offset + start, lines + block[:start].count(b"\n")
            if out is not None:
                out.write(text.lstrip("\ufeff") if offset == 0 else text)
            offset += len(block)
            lines += block.count(b"\n")
        try:
            text = decoder.decode(b"", final=True)
        except UnicodeError:
            return False, offset, lines
        if out is not None:
            out.write(text)
    return True, -1, -1


def _utf8_samples_decode(path: Path) -> tuple[bool, int, int]:
    """UTF-8 check of a large file on its head and evenly spaced windows of whole lines.

    Decoding every byte costs seconds per GB; an export is UTF-8 or not as a whole, and the
    reader rejects (with the reason) a line that is not valid UTF-8 after all.
    """
    size = path.stat().st_size
    windows: list[tuple[int, bytes]] = []
    with path.open("rb") as fh:
        for i in range(_WINDOWS):
            fh.seek(i * (size // _WINDOWS))
            chunk = fh.read(_HEAD if i == 0 else _WINDOW)
            start = 0 if i == 0 else chunk.find(b"\n") + 1
            end = chunk.rfind(b"\n") + 1
            if start < end:
                windows.append((fh.tell() - len(chunk) + start, chunk[start:end]))
    for offset, window in windows:
        try:
            window.decode("utf-8")
        except UnicodeDecodeError as exc:
            return False, offset + exc.start, _line_at(path, offset + exc.start)
    return True, -1, -1


def _line_at(path: Path, offset: int) -> int:
    """The (1-based) line holding byte ``offset``."""
    lines = 1
    with path.open("rb") as fh:
        while offset > 0 and (block := fh.read(min(CHUNK, offset))):
            lines += block.count(b"\n")
            offset -= len(block)
    return lines


def detect_encoding(path: Path, declared: str = "auto", dest: Path | None = None) -> str:
    """Return a Python codec name that decodes the whole file, or raise DataError.

    With ``dest``, a file that is not UTF-8 has its text written there as UTF-8 on return
    (decoded while the encoding is checked).
    """

    def copy(name: str) -> Path | None:
        return None if name in _UTF8 else dest

    if declared and declared != "auto":
        name = _ALIASES.get(declared.lower(), declared)
        try:
            codecs.lookup(name)
        except LookupError:
            raise DataError(
                f"unknown encoding {declared!r}",
                location=Location(str(path)),
                hint="use auto, utf-8, gbk, gb18030, big5 or utf-16",
            ) from None
        ok, offset, line = _decodes(path, name, copy(name))
        if not ok:
            raise DataError(
                f"the file is not valid {declared} (first bad byte at offset {offset})",
                location=Location(str(path), line=line),
                hint="set encoding: auto in the source, or re-save the file as UTF-8",
            )
        return name
    with path.open("rb") as fh:
        head = fh.read(4)
    for bom, name in _BOMS:
        if head.startswith(bom):
            ok, offset, line = _decodes(path, name, copy(name))
            if ok:
                return name
            raise DataError(
                f"the file starts with a {name} byte-order mark but is not valid {name} "
                f"(offset {offset})",
                location=Location(str(path), line=line),
                hint="re-save the file as UTF-8",
            )
    wide = _utf16_without_bom(path)
    if wide and _decodes(path, wide, copy(wide))[0]:
        return wide
    first_failure: tuple[int, int] | None = None
    for name in _CANDIDATES:
        ok, offset, line = _decodes(path, name, copy(name))
        if ok:
            if name == "gb18030" and _reads_better_as_big5(path):
                if dest is not None:
                    transcode_to_utf8(path, "big5", dest)
                return "big5"
            return name
        if first_failure is None:
            first_failure = (offset, line)
    offset, line = first_failure or (0, 1)
    raise DataError(
        f"cannot tell the text encoding: not UTF-8 (bad byte at offset {offset}), GBK/GB18030 "
        "or Big5",
        location=Location(str(path), line=line),
        hint="re-save the file as UTF-8 (Excel: Save As > CSV UTF-8), or set 'encoding:'",
    )


def utf8_text(path: Path, declared: str, folder: Path) -> tuple[str, Path]:
    """The file's encoding and a UTF-8 file holding its text: ``path`` itself when DuckDB
    reads it as it is, else a copy written into ``folder`` while the encoding is checked."""
    copy = folder / f"utf8{path.suffix}"
    encoding = detect_encoding(path, declared, copy)
    return encoding, path if encoding in _UTF8 else copy


def _utf16_without_bom(path: Path) -> str | None:
    """UTF-16 text without a byte-order mark: ASCII characters leave every other byte zero."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    head = head[: len(head) // 2 * 2]
    if len(head) < 4:
        return None
    half = len(head) // 2
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd >= 0.3 * half and even <= 0.02 * half:
        return "utf-16-le"
    if even >= 0.3 * half and odd <= 0.02 * half:
        return "utf-16-be"
    return None


def _reads_better_as_big5(path: Path) -> bool:
    """Whether a file that decodes as GB18030 is really Big5 (traditional Chinese).

    Every Big5 byte pair is also a valid GB18030 one, so validity cannot tell them apart: the
    decoding that yields common characters (GB2312 level-1 hanzi and punctuation, resp. Big5
    level-1 hanzi and punctuation) is the right one. Mainland data wins unless Big5 is clearly
    better.
    """
    with path.open("rb") as fh:
        sample = fh.read(1 << 16)
    gb = _common_share(sample.decode("gb18030", errors="ignore"), "gb2312", 0xB0, 0xD7)
    if gb > 0.8:
        return False
    big5 = _common_share(sample.decode("big5", errors="ignore"), "big5", 0xA4, 0xC6)
    return big5 > gb + 0.2 and _decodes(path, "big5")[0]


def _common_share(text: str, encoding: str, first: int, last: int) -> float:
    """Share of non-ASCII characters whose lead byte in ``encoding`` is punctuation (0xA1-0xA3)
    or common hanzi (``first``-``last``)."""
    total = common = 0
    for ch in text:
        if ch < "\x80":
            continue
        total += 1
        try:
            lead = ch.encode(encoding)[0]
        except UnicodeEncodeError:
            continue
        if 0xA1 <= lead <= 0xA3 or first <= lead <= last:
            common += 1
    return common / total if total else 1.0


def transcode_to_utf8(path: Path, encoding: str, dest: Path) -> Path:
    """Stream ``path`` from ``encoding`` into a UTF-8 file at ``dest`` (BOM dropped)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    with path.open("rb") as src, dest.open("w", encoding="utf-8", newline="") as out:
        first = True
        while block := src.read(CHUNK):
            text = decoder.decode(block, final=False)
            if first:
                text = text.lstrip("\ufeff")
                first = False
            out.write(text)
        out.write(decoder.decode(b"", final=True))
    return dest
