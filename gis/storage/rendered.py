"""SQL rendered from the Python lists at migrate time, so each list of codes is written once.

The sign-in roles (``gis.policy.Role``), the roster roles (``gis.staff.roster``) and the policy's role sets
become SQL functions; the schema's CHECK constraints and row-security policies call them. They are
re-rendered before the schema files on every migrate, so a role added in Python reaches every database
(new or old) at its next ``fengqiao setup``, with no migration written by hand.
"""

from __future__ import annotations

from collections.abc import Iterable

from gis.policy import COUNTY_LEVEL_STAFF_ROLES, PERSONAL_DATA_ROLES, Role
from gis.staff.roster import STAFF_ROLE_LABELS


def sql_array(codes: Iterable[str]) -> str:
    """A text[] literal of codes (each a plain lower-case code: checked, never quoted blindly)."""
    values = [str(c) for c in codes]
    for code in values:
        if not code.replace("_", "").isalnum() or not code.isascii():
            raise ValueError(f"not a plain code: {code!r}")
    return "ARRAY[" + ", ".join(f"'{c}'" for c in values) + "]::text[]"


def role_lists() -> dict[str, tuple[str, ...]]:
    """Each rendered function's name and the codes it returns (in the Python lists' order)."""
    return {
        "fq_user_roles": tuple(str(r) for r in Role),
        "fq_staff_roles": tuple(STAFF_ROLE_LABELS),
        "fq_county_level_staff_roles": tuple(sorted(COUNTY_LEVEL_STAFF_ROLES)),
        "fq_personal_data_roles": tuple(sorted(str(r) for r in PERSONAL_DATA_ROLES)),
    }


def rendered_functions() -> str:
    """CREATE OR REPLACE of every list function (IMMUTABLE: usable in CHECK constraints)."""
    return "\n".join(
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS"
        f" $$ SELECT {sql_array(codes)} $$;"
        for name, codes in role_lists().items())
