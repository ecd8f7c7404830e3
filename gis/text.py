"""Text as Chinese files arrive: strict UTF-8 (with or without a BOM) first, then GB18030 (GBK's superset)."""

from __future__ import annotations

from gis.errors import InvalidInput


def decode_text(raw: bytes) -> str:
    """Decode a whole file: UTF-8 when every byte decodes strictly as UTF-8, else GB18030.

    Whole GBK files are practically never valid UTF-8, so strict UTF-8 is the stronger signal.
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise InvalidInput("the file is neither UTF-8 nor GB18030 text", reason="unknown_encoding") from exc


def sniff_encoding(head: bytes) -> str:
    """The codec for a stream from its first bytes (a multi-byte character cut at the end is allowed)."""
    try:
        head.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:
            return "utf-8-sig"
    try:
        head.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise InvalidInput("the file is neither UTF-8 nor GB18030 text", reason="unknown_encoding") from exc
    return "gb18030"
