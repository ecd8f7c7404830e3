"""Logs never carry ID numbers, phone numbers, passwords or credentials: every record is redacted.

Installed once per process with ``logging.setLogRecordFactory``, so it covers uvicorn's access log,
the application's loggers and libraries alike, whatever handlers are configured.

Redaction runs on the event loop for text a client chose (URLs, headers), so its cost is bounded: every
pattern is linear (a match can start only where a token can, quantifiers are possessive), and no more than
``MAX_LOGGED`` characters of one value are logged (the rest is cut before redaction and counted).
"""

from __future__ import annotations

import logging
import re
from typing import Any

MAX_LOGGED = 2048  # characters of one logged value (a URL, a message); a request line is rarely longer


def _mask_jwt(match: re.Match[str]) -> str:
    """A dotted run of word characters: from its ``eyJ`` on it is a JWT (the run may start earlier: ``20eyJ``)."""
    text = match.group()
    start = text.find("eyJ", 0, text.find("."))
    return text if start < 0 else text[:start] + "[redacted-jwt]"


PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"(?i)(bearer\s++)\S++"), r"\1[redacted]"),
    # JWTs: a match may only start where a run of word characters starts (never at each "eyJ" inside a long run:
    # that rescans the run from every one of them, quadratic in its length); _mask_jwt finds the "eyJ" in it.
    (re.compile(r"(?<![\w-])[\w-]++\.[\w-]++\.[\w-]*+"), _mask_jwt),
    (re.compile(r"fqk_[\w-]++"), "fqk_[redacted]"),
    (re.compile(r"fqd_[\w-]++"), "fqd_[redacted]"),  # one-time device sign-in codes (in /device/... paths)
    (re.compile(r"(?i)((?:token|password|passwd|key|session|id_number|phone)=)[^&\s\"']++"), r"\1[redacted]"),
    (re.compile(r"(?<![\dA-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![\dA-Za-z])"), r"\1********\2"),
    (re.compile(r"(?<![\d.])(\d{3})\d{4,}(\d{2})(?![\d.])"), r"\1****\2"),
]
_installed = False


def redact(text: str) -> str:
    """The text (its first ``MAX_LOGGED`` characters) with ID numbers, phone-like digit runs and credentials masked."""
    cut = len(text) - MAX_LOGGED
    if cut > 0:
        text = text[:MAX_LOGGED] + f"...[{cut} more characters not logged]"
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _clean(value: Any) -> Any:
    if isinstance(value, bool | int | float) or value is None:
        return value
    return redact(value if isinstance(value, str) else str(value))


def install_redaction() -> None:
    """Wrap the record factory so each record's message and arguments are redacted (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)  # its formatter reads the arguments
            return record
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: the handler reports it as usual
            return record
        record.msg, record.args = redact(message), None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
