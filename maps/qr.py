"""QR codes as SVG, drawn on the server (segno, pure Python): the console shows them without any CDN."""

from __future__ import annotations

import io

import segno


def qr_svg(text: str, *, scale: int = 5) -> str:
    """An SVG QR code for ``text`` (error correction M, dark on white, quiet zone of 4 modules)."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=scale, border=4, xmldecl=False, dark="#000",
                                     light="#fff")
    return buffer.getvalue().decode("utf-8")
