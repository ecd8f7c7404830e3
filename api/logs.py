"""Logs never carry ID numbers, phone numbers, passwords or credentials: every record is redacted.

Installed once per process with ``logging.setLogRecordFactory``, so it covers uvicorn's access log,
the application's loggers and libraries alike, whatever handlers are configured.
"""

from __future__ import annotations

import logging
import re
from typing import Any

PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?i)(bearer\s+)\S+"), r"\1[redacted]"),
    (re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*"), "[redacted-jwt]"),
    (re.compile(r"fqk_[\w-]+"), "fqk_[redacted]"),
    (re.compile(r"fqd_[\w-]+"), "fqd_[redacted]"),  # one-time device sign-in codes (in /device/... paths)
    (re.compile(r"(?i)((?:token|password|passwd|key|session|id_number|phone)=)[^&\s\"']+"), r"\1[redacted]"),
    (re.compile(r"(?<![\dA-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![\dA-Za-z])"), r"\1********\2"),
    (re.compile(r"(?<![\d.])(\d{3})\d{4,}(\d{2})(?![\d.])"), r"\1****\2"),
]
_installed = False


def redact(text: str) -> str:
    """The text with ID numbers, phone-like digit runs and credentials masked."""
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
