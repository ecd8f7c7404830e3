"""Storage takes values, not SQL: no string constant of gis/, api/ or maps/ outside gis/storage holds SQL;
the API layer commits nothing itself.

The region is the connection's scope (gis.policy.DatabaseScope, set by the pool for every transaction), not a
WHERE clause handed down; searches are typed query objects that storage turns into SQL.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL = re.compile(
    r"\b\w+\.\w+\s*(?:=|>=|<=|<>|<|>)\s*(?:%s|%\(\w+\)s|ANY\(%s\))"  # a WHERE fragment: c.town_code = %s
    r"|\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b", re.IGNORECASE)


def sql_constants(path: Path) -> list[tuple[int, str]]:
    """(line, text) of the string constants in a module that look like SQL (f-string parts included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.lineno, node.value[:80]) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value)]


def test_the_pattern_finds_sql_in_a_string_constant(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('A = "c.town_code = %s"\nB = f"SELECT id FROM cases WHERE {A}"\nC = "UPDATE staff SET x = 1"\n'
                      'D = "DELETE FROM events WHERE id = 1"\nE = "no sql here"\n', encoding="utf-8")
    assert sorted(line for line, _ in sql_constants(module)) == [1, 2, 3, 4]


def test_no_sql_outside_storage() -> None:
    found = {}
    for package in ("gis", "api", "maps"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative.parts[:2] == ("gis", "storage"):
                continue
            if hits := sql_constants(path):
                found[str(relative)] = hits
    assert found == {}


def test_the_api_commits_nothing_itself() -> None:
    """A request's connection commits when the route returns (api.deps); use cases in gis own their transactions."""
    found = {}
    for path in sorted((ROOT / "api").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"]
        if calls:
            found[str(path.relative_to(ROOT))] = calls
    assert found == {}
