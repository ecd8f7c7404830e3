"""The dispute taxonomy: classes and items loaded from a TOML file (categories are data)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from gis.errors import InvalidInput


@dataclass(frozen=True)
class Category:
    """A class (2-digit code) or an item (longer code) of the taxonomy."""

    code: str
    name: str
    class_code: str
    class_name: str
    sector: str = ""


@dataclass(frozen=True)
class Taxonomy:
    """All categories by code."""

    version: str
    categories: dict[str, Category]

    def get(self, code: str) -> Category:
        """The category with this code, or InvalidInput(reason='unknown_category')."""
        try:
            return self.categories[code]
        except KeyError:
            raise InvalidInput(f"unknown category {code!r}", reason="unknown_category") from None

    def items(self) -> list[Category]:
        """Every item (not the classes), in code order."""
        return sorted((c for c in self.categories.values() if c.code != c.class_code), key=lambda c: c.code)


def load_taxonomy(path: Path) -> Taxonomy:
    """Read a taxonomy file: ``[[class]]`` tables with ``code``, ``name`` and ``items``."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read the taxonomy: {exc}", reason="bad_taxonomy") from exc
    categories: dict[str, Category] = {}
    for cls in doc.get("class", []):
        code, name = str(cls["code"]), str(cls["name"])
        categories[code] = Category(code, name, code, name)
        for item in cls.get("items", []):
            item_code = str(item["code"])
            if not item_code.startswith(code):
                raise InvalidInput(f"{path}: item {item_code} does not extend class {code}", reason="bad_taxonomy")
            categories[item_code] = Category(item_code, str(item["name"]), code, name, str(item.get("sector", "")))
    if not categories:
        raise InvalidInput(f"{path}: no categories", reason="bad_taxonomy")
    return Taxonomy(str(doc.get("version", "")), categories)
