"""Opening uploaded zip files without trusting them: sizes, ratios and paths are checked before extracting."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path, PurePosixPath

from gis.errors import InvalidInput, TooLarge

MAX_MEMBERS = 2000
MAX_TOTAL_BYTES = 2 * 2**30
MAX_RATIO = 100  # zip bombs compress thousands to one; real shapefiles rarely beyond 20


def check_zip(archive: zipfile.ZipFile, name: str, *, max_total_bytes: int = MAX_TOTAL_BYTES) -> list[zipfile.ZipInfo]:
    """The archive's file members, after checking counts, declared sizes, ratios and paths (nothing extracted).

    Raises
    ------
    InvalidInput
        Empty archive, too many members, a member escaping the archive, or a zip bomb.
    TooLarge
        When the members declare more than ``max_total_bytes`` in all.
    """
    members = [m for m in archive.infolist() if not m.is_dir()]
    if not members:
        raise InvalidInput(f"{name}: the zip file is empty", reason="empty_zip")
    if len(members) > MAX_MEMBERS:
        raise InvalidInput(f"{name}: {len(members)} files in the zip (limit {MAX_MEMBERS})", reason="too_many_files")
    total = sum(m.file_size for m in members)
    if total > max_total_bytes:
        raise TooLarge(f"{name}: unpacks to {total / 2**20:.0f} MB (limit {max_total_bytes / 2**20:.0f} MB)",
                       reason="zip_too_large")
    for member in members:
        parts = PurePosixPath(member_name(member).replace("\\", "/"))
        if parts.is_absolute() or ".." in parts.parts:
            raise InvalidInput(f"{name}: member {member.filename!r} escapes the archive", reason="zip_path")
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1 << 20 and ratio > MAX_RATIO:
            raise InvalidInput(f"{name}: member {member.filename!r} expands {ratio:.0f}x (a zip bomb?)",
                               reason="zip_bomb")
    return members


def open_zip(path: Path) -> zipfile.ZipFile:
    """Open a zip (also an .xlsx or .kmz), naming the file when it is not one."""
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput(f"{path.name}: not a readable zip file ({exc})", reason="corrupt_zip") from exc


def extract_zip(path: Path, target: Path, *, max_total_bytes: int = MAX_TOTAL_BYTES) -> list[Path]:
    """Extract a zip into ``target`` after checking every member; returns the files written."""
    with open_zip(path) as archive:
        members = check_zip(archive, path.name, max_total_bytes=max_total_bytes)
        try:
            return [_extract(archive, member, target, path.name) for member in members]
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:  # bad CRC, cut short
            raise InvalidInput(f"{path.name}: damaged zip file ({exc})", reason="corrupt_zip") from exc


def member_name(member: zipfile.ZipInfo) -> str:
    """A member's name; zips from Chinese Windows store GBK names without the UTF-8 flag (read as cp437)."""
    if member.flag_bits & 0x800:
        return member.filename
    try:
        return member.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return member.filename


def _extract(archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, name: str) -> Path:
    destination = target / PurePosixPath(member_name(member).replace("\\", "/"))
    destination.parent.mkdir(parents=True, exist_ok=True)
    with archive.open(member) as source, destination.open("wb") as sink:
        copied = 0
        while chunk := source.read(1 << 20):
            copied += len(chunk)
            if copied > member.file_size:  # the header lied about the size
                raise InvalidInput(f"{name}: member {member.filename!r} is larger than declared", reason="zip_bomb")
            sink.write(chunk)
    return destination
