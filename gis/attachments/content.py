"""What an attachment is, decided from its first bytes: a file's name or declared type is never believed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from gis.errors import InvalidInput, TooLarge

# The allow-list: content type -> (file name extension, shown inline in a browser).
ALLOWED: dict[str, tuple[str, bool]] = {
    "image/jpeg": ("jpg", True),
    "image/png": ("png", True),
    "image/webp": ("webp", True),
    "application/pdf": ("pdf", False),  # downloaded, never rendered inside the product's origin
}


def sniff(data: bytes) -> str | None:
    """The allow-listed type whose signature ``data`` starts with, or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:5] == b"%PDF-":
        return "application/pdf"
    return None


@dataclass(frozen=True)
class CheckedContent:
    """Content that passed the checks, with what is stored about it."""

    data: bytes
    content_type: str
    sha256: bytes

    @property
    def size(self) -> int:
        """Bytes of content."""
        return len(self.data)


def check_content(data: bytes, *, max_bytes: int) -> CheckedContent:
    """The content with its type, or TooLarge / InvalidInput (empty, or not one of the allowed kinds)."""
    if not data:
        raise InvalidInput("the attachment is empty", reason="attachment_empty")
    if len(data) > max_bytes:
        raise TooLarge(f"the attachment has {len(data)} bytes; at most {max_bytes} are accepted",
                       reason="too_large", limit_bytes=max_bytes)
    kind = sniff(data)
    if kind is None:
        raise InvalidInput("the content is not a JPEG, PNG or WebP image or a PDF document",
                           reason="attachment_type_not_allowed", allowed=sorted(ALLOWED))
    return CheckedContent(data, kind, hashlib.sha256(data).digest())


def file_name(attachment_id: int, content_type: str) -> str:
    """The name a download gets (ours, never the uploader's)."""
    return f"attachment-{attachment_id}.{ALLOWED[content_type][0]}"


def shown_inline(content_type: str) -> bool:
    """Images open in the browser; documents are downloaded."""
    return ALLOWED[content_type][1]
