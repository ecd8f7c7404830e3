"""Source channels of cases (来源渠道) and the "五情" group each feeds, loaded from a TOML file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from gis.errors import InvalidInput


@dataclass(frozen=True)
class Channel:
    """One way a case arrives."""

    code: str
    label: str
    group: str
    group_label: str


@dataclass(frozen=True)
class Channels:
    """Every channel by code, and the group labels."""

    version: str
    channels: dict[str, Channel]
    groups: dict[str, str]

    def get(self, code: str) -> Channel:
        """The channel with this code, or InvalidInput(reason='unknown_channel')."""
        try:
            return self.channels[code]
        except KeyError:
            raise InvalidInput(f"unknown source_channel {code!r}; channels: {sorted(self.channels)}",
                               reason="unknown_channel") from None


def load_channels(path: Path) -> Channels:
    """Read a channels file: ``[groups]`` code = label, ``[[channel]]`` code, label, group."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read the channels: {exc}", reason="bad_channels") from exc
    groups = {str(k): str(v) for k, v in doc.get("groups", {}).items()}
    channels: dict[str, Channel] = {}
    for raw in doc.get("channel", []):
        group = str(raw["group"])
        if group not in groups:
            raise InvalidInput(f"{path}: channel {raw['code']} names unknown group {group!r}", reason="bad_channels")
        channels[str(raw["code"])] = Channel(str(raw["code"]), str(raw["label"]), group, groups[group])
    if not channels:
        raise InvalidInput(f"{path}: no channels", reason="bad_channels")
    return Channels(str(doc.get("version", "")), channels, groups)
