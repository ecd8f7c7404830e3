"""Reading a roster file (CSV in UTF-8 or GB18030, or XLSX) into validated staff records."""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pandas as pd

from gis.boundaries.safezip import check_zip, open_zip
from gis.errors import InvalidInput
from gis.text import decode_text

# The one list of roster roles and duty statuses (the schema's CHECK constraints are tested against them).
STAFF_ROLE_LABELS: dict[str, str] = {"grid_worker": "网格员", "mediator": "调解员", "police": "民警", "lawyer": "律师",
                                     "psychologist": "心理咨询师", "department_liaison": "部门联络员"}
DUTY_LABELS: dict[str, str] = {"on_duty": "在岗", "off_duty": "离岗", "busy": "忙碌"}
ROLES = tuple(STAFF_ROLE_LABELS)
DUTY = tuple(DUTY_LABELS)
REQUIRED = ("staff_code", "name", "role")
MAX_XLSX_UNPACKED = 100 * 2**20  # a county's roster is a few MB unpacked


@dataclass(frozen=True)
class StaffRecord:
    """One roster line."""

    staff_code: str
    name: str
    role: str
    organisation: str = ""
    phone: str = ""
    skills: tuple[str, ...] = ()
    territory: tuple[str, ...] = ()
    home_lon: float | None = None
    home_lat: float | None = None
    home_village_code: str | None = None
    duty_status: str = "on_duty"
    capacity: int = 1
    languages: tuple[str, ...] = ()


def _list(value: object) -> tuple[str, ...]:
    return tuple(v.strip() for v in str(value or "").replace("；", ";").split(";") if v.strip())


def _float(value: object) -> float | None:
    text = str(value or "").strip()
    if not text:
        return None
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def record_from_row(row: dict[str, object]) -> StaffRecord:
    """One validated record; ValueError says what is wrong."""
    missing = [c for c in REQUIRED if not str(row.get(c) or "").strip()]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    role = str(row["role"]).strip()
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    duty = str(row.get("duty_status") or "on_duty").strip()
    if duty not in DUTY:
        raise ValueError(f"unknown duty status {duty!r}")
    capacity = int(str(row.get("capacity") or 1).strip())
    if not 1 <= capacity <= 20:
        raise ValueError("capacity must be 1-20")
    lon, lat = _float(row.get("home_lon")), _float(row.get("home_lat"))
    if (lon is None) != (lat is None):
        raise ValueError("give both home_lon and home_lat, or neither")
    territory = _list(row.get("territory"))
    village = str(row.get("home_village_code") or "").strip() or next(
        (t[:12] for t in territory if len(t) >= 12), None)
    return StaffRecord(
        staff_code=str(row["staff_code"]).strip(), name=str(row["name"]).strip(), role=role,
        organisation=str(row.get("organisation") or "").strip(), phone=str(row.get("phone") or "").strip(),
        skills=_list(row.get("skills")), territory=territory, home_lon=lon, home_lat=lat, home_village_code=village,
        duty_status=duty, capacity=capacity, languages=_list(row.get("languages")),
    )


def read_roster(path: Path, *, source: str | None = None) -> list[StaffRecord]:
    """All records of a roster file; every bad row is reported at once (row numbers as in the file).

    Parameters
    ----------
    path : Path
        The CSV or XLSX file.
    source : str, optional
        The name to use in messages (an upload's own file name). By default the file's name, or "the
        roster" for a temporary copy: a server's temporary path means nothing to the person who sent it.
    """
    source = source or _display_name(path)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise InvalidInput(f"{source}：旧版二进制 Excel（.xls）不受支持，请另存为 .xlsx 或 CSV",
                           reason="unknown_format")
    if suffix == ".xlsx":
        return records_from_frame(_read_xlsx(path, source), source=source)
    try:
        if suffix in (".csv", ".txt"):
            frame = pd.read_csv(StringIO(decode_text(path.read_bytes())), dtype=str, keep_default_na=False)
        else:
            raise InvalidInput(f"{source}: unknown roster format {suffix!r}; use .csv or .xlsx",
                               reason="unknown_format")
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput(f"{source}: cannot read the roster: {_without(exc, path)}", reason="bad_roster") from exc
    return records_from_frame(frame, source=source)


def _read_xlsx(path: Path, source: str) -> pd.DataFrame:
    """An XLSX roster's first sheet, after the zip checks every upload gets (sizes, ratios, paths)."""
    try:
        archive = open_zip(path)
    except InvalidInput as exc:
        raise InvalidInput(f"{source}：不是有效的 XLSX 文件（XLSX 是 zip 压缩包，这个文件不是），"
                           "请用 Excel 另存为 .xlsx 或 CSV",
                           reason="bad_roster") from exc
    with archive:  # an .xlsx is a zip: no bombs through this door
        check_zip(archive, source, max_total_bytes=MAX_XLSX_UNPACKED)
    try:
        return pd.read_excel(path, dtype=str, engine="openpyxl").fillna("")
    except Exception as exc:  # openpyxl raises KeyError, BadZipFile, InvalidFileException ... for a broken file
        raise InvalidInput(f"{source}：不是有效的 XLSX 文件（{type(exc).__name__}），请用 Excel 另存为 .xlsx 或 CSV",
                           reason="bad_roster") from exc


def _display_name(path: Path) -> str:
    """The file's name, unless it is a temporary copy (tmpXXXX in the temporary folder)."""
    try:
        temporary = path.resolve().is_relative_to(Path(tempfile.gettempdir()).resolve())
    except OSError:
        temporary = False
    return "the roster" if temporary and path.name.startswith("tmp") else path.name


def _without(exc: Exception, path: Path) -> str:
    """An error's text with the file's path left out (readers' messages quote it)."""
    return str(exc).replace(str(path), "the file").replace(path.name, "the file")


def records_from_frame(frame: pd.DataFrame, *, source: str) -> list[StaffRecord]:
    """Validate every row; raise one InvalidInput listing all bad rows."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InvalidInput(f"{source}: missing columns {missing}", reason="bad_roster")
    records, problems = [], []
    seen: set[str] = set()
    for number, row in enumerate(frame.to_dict("records"), start=2):
        try:
            record = record_from_row(row)
            if record.staff_code in seen:
                raise ValueError(f"duplicate staff_code {record.staff_code}")
            seen.add(record.staff_code)
            records.append(record)
        except ValueError as exc:
            problems.append({"row": number, "problem": str(exc)})
    if problems:
        raise InvalidInput(f"{source}: {len(problems)} bad row(s), nothing imported", reason="bad_roster",
                           problems=problems[:100])
    return records
