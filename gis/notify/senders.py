"""Senders of the outbox. The console reads its rows itself; outside channels go through a sender each.

Until a county configures its gateways (SMS, 企业微信, 钉钉), every outside channel writes to a local sink:
one JSON file per message under ``<sink_dir>/<channel>/`` (tests and drills read them there).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol


class Sender(Protocol):
    """Delivers one notification row; raises on failure (the outbox retries with back-off)."""

    def send(self, row: dict[str, Any]) -> None:
        """Deliver the row."""


class ConsoleSender:
    """The console shows its rows through the API: delivering is marking them sent."""

    def send(self, row: dict[str, Any]) -> None:
        """Nothing to carry: the row is the message."""


class DirectorySink:
    """Writes each message as ``<dir>/<id>.json`` (a stand-in for an outside gateway)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, row: dict[str, Any]) -> None:
        """Write the message file (created complete, then renamed, so a reader never sees half a file)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        message = {k: row[k] for k in ("id", "user_id", "username", "kind", "title", "body", "case_id", "channel")}
        tmp = self.folder / f".{row['id']}.json.tmp"
        tmp.write_text(json.dumps(message, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.folder / f"{row['id']}.json")


def local_senders(sink_dir: Path) -> dict[str, Sender]:
    """The console sender and a directory sink for each outside channel."""
    return {"console": ConsoleSender(), **{c: DirectorySink(sink_dir / c) for c in ("sms", "wecom", "dingtalk")}}
