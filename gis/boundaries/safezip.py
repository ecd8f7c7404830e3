"""Opening uploaded zip files without trusting them: sizes, ratios and paths are checked before extracting."""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

from gis.errors import InvalidInput, TooLarge

MAX_MEMBERS = 2000
MAX_TOTAL_BYTES = 2 * 2**30
MAX_RATIO = 100  # zip bombs compress thousands to one; real shapefiles rarely beyond 20


def extract_zip(path: Path, target: Path, *, max_total_bytes: int = MAX_TOTAL_BYTES) -> list[Path]:
    """Extract a zip into ``target`` after checking every member; returns the files written."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput(f"{path.name}: not a readable zip file ({exc})", reason="corrupt_zip") from exc
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if not members:
            raise InvalidInput(f"{path.name}: the zip file is empty", reason="empty_zip")
        if len(members) > MAX_MEMBERS:
            raise InvalidInput(f"{path.name}: {len(members)} files in the zip (limit {MAX_MEMBERS})",
                               reason="too_many_files")
        total = sum(m.file_size for m in members)
        if total > max_total_bytes:
            raise TooLarge(f"{path.name}: unpacks to {total / 2**20:.0f} MB (limit {max_total_bytes / 2**20:.0f} MB)",
                           reason="zip_too_large")
        for member in members:
            name = PurePosixPath(member.filename.replace("\\", "/"))
            if name.is_absolute() or ".." in name.parts:
                raise InvalidInput(f"{path.name}: member {member.filename!r} escapes the archive", reason="zip_path")
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > 1 << 20 and ratio > MAX_RATIO:
                raise InvalidInput(f"{path.name}: member {member.filename!r} expands {ratio:.0f}x (a zip bomb?)",
                                   reason="zip_bomb")
        written = []
        for member in members:
            destination = target / PurePosixPath(member.filename.replace("\\", "/"))
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source, destination.open("wb") as sink:
                copied = 0
                while chunk := source.read(1 << 20):
                    copied += len(chunk)
                    if copied > member.file_size:  # the header lied about the size
                        raise InvalidInput(f"{path.name}: member {member.filename!r} is larger than declared",
                                           reason="zip_bomb")
                    sink.write(chunk)
            written.append(destination)
        return written
