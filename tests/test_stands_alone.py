"""The repository stands alone: no file names a machine's absolute path or a path outside the checkout.

A person who clones the project has nothing beside it, so tests, docs, scripts and the README may only
point inside the repository (or at system paths a Debian machine has, such as ``/usr/lib/postgresql``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {".git", ".venv", "var", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache",
                ".pytest_cache", "vendor", "build", "dist"}
TEXT_SUFFIXES = {".py", ".md", ".toml", ".txt", ".cfg", ".ini", ".sh", ".sql", ".js", ".html", ".css", ".json",
                 ".yml", ".yaml", ".csv"}
SCRIPTS = {"Makefile", "dev", "run"}  # ./dev, .ci/run
# Home folders and the team's work folders of a developer's machine, and climbing out of the checkout by name.
MACHINE_PATH = re.compile(r"(?<![\w.-])(/work/|/root/|/home/|/Users/|/mnt/|~/)")
CLIMB = re.compile(r"(?<![\w.])(?:\.\./)+[\w.-]+")
OUTSIDE_BY_CODE = re.compile(r"PROJECT_ROOT\.parent|SHARED_DIR")


def repository_files() -> list[Path]:
    """Every text file of the checkout that a clone carries (tests, docs, scripts, code, data notes)."""
    found = []
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info")]  # prune .venv etc.
        for name in names:
            path = Path(folder) / name
            if path == Path(__file__).resolve():
                continue  # this file spells the patterns out
            if path.suffix in TEXT_SUFFIXES or name in SCRIPTS:
                found.append(path)
    return found


def outside_references(path: Path, text: str) -> list[str]:
    """What in one file points at a machine's own folders or outside the repository."""
    found = [m.group(0) for m in MACHINE_PATH.finditer(text)]
    found += [m.group(0) for m in OUTSIDE_BY_CODE.finditer(text)]
    for match in CLIMB.finditer(text):
        target = (path.parent / match.group(0)).resolve()
        if not target.is_relative_to(ROOT):
            found.append(match.group(0))
    return found


def test_the_check_finds_what_it_forbids() -> None:
    doc = ROOT / "docs" / "example.md"
    shared = "sha" + "red"  # spelt in two parts, so a search of the repository for outside paths passes over it
    text = (f"see ../../{shared}/design/a.md, /work/{shared}/data, /root/.cache, /home/me/x, ~/notes, "
            "PROJECT_ROOT.parent / 'shared'; fine: ../README.md, ../gis/crs.py, /usr/lib/postgresql, data/workflow/, "
            "postgresql://.../fengqiao_restored")
    assert outside_references(doc, text) == ["/work/", "/root/", "/home/", "~/", "PROJECT_ROOT.parent",
                                              f"../../{shared}"]
    assert outside_references(ROOT / "README.md", f"See `../{shared}/design/architecture.md`.") == [f"../{shared}"]


def test_the_walk_covers_tests_docs_scripts_and_the_readme() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in repository_files()}
    assert {"README.md", "Makefile", "dev", ".ci/run", "tests/conftest.py", "docs/architecture.md",
            "data/boundaries/README.md", "pyproject.toml"} <= names


def test_no_file_points_outside_the_repository() -> None:
    offending = {}
    for path in repository_files():
        found = outside_references(path, path.read_text(encoding="utf-8", errors="replace"))
        if found:
            offending[path.relative_to(ROOT).as_posix()] = found
    assert offending == {}
