"""Who may do what, and where: the one access policy every route declares.

A *rule* names an operation on a resource (``cases.read``, ``dispatch.create``) and the roles that may do
it; a *scope* is a signed-in caller under one rule, and answers the regional questions: which cases,
staff and orders the caller may see or act on. The API applies a rule through one dependency
(``api.deps.allow``), and the same dependency puts the caller's ``DatabaseScope`` on the request's
connection: PostgreSQL's row-level security (schema 110, 150) is the one place rows are scoped.

Regions
-------
- A scope's *region* is an area code of any tier (a county, a town; later a city). County-wide users
  (``town_code`` None: no region) see the whole database; town users see only their town's cases, orders
  and staff. Anything outside is *not found* (404), so its existence is not revealed.
- Field users see only the cases they were sent to (or registered themselves) and their own orders
  and position.
- Who may be sent where: town staff (grid workers, mediators, the town's judicial office) serve their
  own town only; county-level units (``COUNTY_LEVEL_STAFF_ROLES``: police, lawyers, psychologists) may
  serve any town. Recommendations, dispatch and assignment plans apply the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gis.errors import Forbidden, NotFound
from gis.models import Tier, User


class Role(StrEnum):
    """Sign-in roles. ``admin`` passes every rule."""

    ADMIN = "admin"
    GIS = "gis"
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    FIELD = "field"
    AUDITOR = "auditor"


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "系统管理员",
    Role.GIS: "地理信息管理员",
    Role.OPERATOR: "指挥中心值班员",
    Role.SUPERVISOR: "督导/研判人员",
    Role.FIELD: "一线工作人员",
    Role.AUDITOR: "安全审计员",
}

# Who sees personal data unmasked within their region: parties' names and phones, staff positions,
# home bases and work phones. Everyone else gets masked copies.
PERSONAL_DATA_ROLES = frozenset({Role.ADMIN, Role.OPERATOR, Role.SUPERVISOR})
# Roster roles whose units serve the whole county (a police station, legal aid): sendable to any town.
COUNTY_LEVEL_STAFF_ROLES = frozenset({"police", "lawyer", "psychologist"})

_WORKERS = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.FIELD, Role.GIS})


@dataclass(frozen=True)
class Rule:
    """One operation and who may do it; ``public`` rules need no sign-in and return nothing personal."""

    name: str
    roles: frozenset[Role]
    description: str
    public: bool = False

    def admits(self, role: str) -> bool:
        """True when a signed-in user of this role may use the rule."""
        return self.public or role == Role.ADMIN or role in self.roles


def _rule(name: str, roles: set[Role] | frozenset[Role], description: str, *, public: bool = False) -> Rule:
    return Rule(name, frozenset(roles), description, public)


RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        _rule("public", set(), "health, console files, boundary tiles, area lookups, taxonomy, meta", public=True),
        _rule("boundaries.read", _WORKERS | {Role.SUPERVISOR}, "validation reports, exports, batch locate"),
        _rule("boundaries.write", {Role.GIS}, "upload, activate, diff with cases, relocate"),
        _rule("cases.read", {Role.OPERATOR, Role.SUPERVISOR, Role.FIELD}, "search and read cases in region"),
        _rule("cases.create", {Role.OPERATOR, Role.FIELD}, "register a case"),
        _rule("cases.act", {Role.OPERATOR, Role.SUPERVISOR, Role.FIELD}, "move a case along the loop"),
        _rule("staff.read", {Role.OPERATOR, Role.SUPERVISOR, Role.FIELD}, "roster and staff records in region"),
        _rule("staff.write", {Role.OPERATOR}, "import, edit and remove staff of the region"),
        _rule("positions.write", {Role.OPERATOR, Role.FIELD}, "report positions (field users: their own)"),
        _rule("dispatch.read", {Role.OPERATOR, Role.SUPERVISOR, Role.FIELD}, "recommendations and orders"),
        _rule("dispatch.create", {Role.OPERATOR}, "send staff, change the lead, apply a plan"),
        _rule("dispatch.step", {Role.OPERATOR, Role.FIELD}, "report an order's step (field users: their own)"),
        _rule("plans.make", {Role.OPERATOR, Role.SUPERVISOR}, "assignment plans for many cases"),
        _rule("events.read", _WORKERS, "the live event stream, scoped"),
        _rule("stats.read", {Role.OPERATOR, Role.SUPERVISOR}, "hotspots, statistics, overdue board, reports"),
        _rule("forecast.read", {Role.OPERATOR, Role.SUPERVISOR}, "next week's expected cases, rising-trend alerts"),
        _rule("audit.read", {Role.AUDITOR}, "the audit log"),
        _rule("users.manage", set(), "accounts and keys (admin only)"),
        _rule("account.self", set(Role), "one's own account: who am I, sign out"),
        _rule("devices.manage", {Role.OPERATOR}, "device sign-in links (QR codes) and device sessions of field staff"),
    )
}


# Which rule a live event's kind needs (by prefix); schema 147's fq_sees_event restates it.
EVENT_RULES: tuple[tuple[str, str], ...] = (
    ("case.", "cases.read"), ("dispatch.", "dispatch.read"), ("staff.", "staff.read"),
    ("boundaries.", "boundaries.read"),
)


@dataclass(frozen=True)
class Scope:
    """A caller under one rule: what they may see and touch."""

    rule: Rule
    user: User | None = None

    @classmethod
    def for_user(cls, rule: Rule, user: User) -> Scope:
        """The caller's scope under a rule, or Forbidden when the role may not use it."""
        if not rule.admits(user.role):
            allowed = sorted(str(r) for r in rule.roles | {Role.ADMIN})
            raise Forbidden(f"role {user.role!r} may not use {rule.name} ({rule.description}); needs one of "
                            f"{allowed}", reason="role_not_allowed", rule=rule.name)
        return cls(rule, user)

    @property
    def signed_in(self) -> bool:
        """True for an authenticated caller."""
        return self.user is not None

    @property
    def role(self) -> str | None:
        """The caller's role, None when anonymous."""
        return self.user.role if self.user else None

    @property
    def town_code(self) -> str | None:
        """The town the caller is limited to; None for county-wide callers."""
        return self.user.town_code if self.user else None

    @property
    def region(self) -> str | None:
        """The area code the caller is limited to (any tier); None for callers who see everything."""
        return self.database.region

    @property
    def own_only(self) -> bool:
        """Field users act only on their own orders and the cases they were sent to."""
        return self.role == Role.FIELD

    @property
    def sees_personal_data(self) -> bool:
        """Parties' details, staff positions, home bases and work phones unmasked (within the region)."""
        return self.role in PERSONAL_DATA_ROLES

    @property
    def database(self) -> DatabaseScope:
        """The same region for the database's row-level security (schema 110); anonymous callers see no row."""
        return database_scope(self.user)

    def require_user(self) -> User:
        """The signed-in user (rules other than public always have one)."""
        if self.user is None:
            raise Forbidden("sign in first", reason="not_signed_in")
        return self.user

    # -- regions -------------------------------------------------------------------------------------------

    def sees_town(self, town_code: str | None) -> bool:
        """True when something in ``town_code`` (None: county-level) lies inside the caller's region."""
        return in_region(self.region, town_code)

    def sees_staff(self, *, staff_town: str | None, staff_role: str, staff_code: str) -> bool:
        """Town users see their town's staff and county-level units; field users see themselves."""
        return sees_staff(self.database, staff_town=staff_town, staff_role=staff_role, staff_code=staff_code)

    def manages_staff(self, *, staff_town: str | None, staff_role: str, staff_code: str | None = None) -> bool:
        """Edits, removals and positions: county-wide callers for everyone, town callers for town staff."""
        return manages_staff(self.database, staff_town=staff_town, staff_role=staff_role, staff_code=staff_code)

    def sees_event(self, *, kind: str, town_code: str | None, payload: dict[str, Any]) -> bool:
        """Whether a live event reaches the caller (see the module function ``sees_event``)."""
        return sees_event(self.database, kind=kind, town_code=town_code, payload=payload)

    def may_send(self, row: dict[str, Any], case_town: str) -> bool:
        """True when the caller sees this staff member and they may serve a case in ``case_town``."""
        return self.sees_staff(staff_town=row.get("town_code"), staff_role=row["role"],
                               staff_code=row["staff_code"]) and may_serve(
            staff_role=row["role"], staff_town=row.get("town_code"), case_town=case_town)

    def check_staff(self, row: dict[str, Any], *, manage: bool = False) -> None:
        """NotFound for staff outside the region; Forbidden for a visible unit the caller may not edit."""
        code, role, town = row["staff_code"], row["role"], row.get("town_code")
        if not self.sees_staff(staff_town=town, staff_role=role, staff_code=code):
            raise NotFound(f"staff {row['id']} not found", reason="staff_not_found")
        if manage and not self.own_only and not self.manages_staff(staff_town=town, staff_role=role):
            raise Forbidden(f"{row['name']} belongs to a county-level unit managed by the county centre",
                            reason="staff_not_managed_here")


SYSTEM_ROLE = "system"


@dataclass(frozen=True)
class DatabaseScope:
    """Who the database serves in a transaction: what the row-level policies read (schema 110, 150).

    ``region`` is an area code of any tier (``region_tier``: a county, a town; later a city), None for the
    whole database. Rows are inside a region when the region is their town's or county's code (codes nest:
    a town's code begins with its county's). Anonymous (role ``""``) sees no policed row; ``SYSTEM`` every row.
    """

    role: str
    region: str | None = None
    user_id: int | None = None
    staff_code: str | None = None
    region_tier: Tier = Tier.TOWN

    @property
    def town_code(self) -> str | None:
        """The region when it is one town (what ``fq_town()`` reads), else None."""
        return self.region if self.region_tier == Tier.TOWN else None


ANONYMOUS = DatabaseScope("")
SYSTEM = DatabaseScope(SYSTEM_ROLE)


def database_scope(user: User | None) -> DatabaseScope:
    """A signed-in user's scope for the database's policies (schema 110, 150); anonymous: no policed row.

    Decided once per request by the identity dependency and set on every transaction of the request's
    connection; where rows are in memory the predicates below restate it (``tests/test_policy_equivalence.py``
    proves them equal to the SQL functions).
    """
    if user is None:
        return ANONYMOUS
    return DatabaseScope(user.role, user.town_code, user.id, user.staff_code)


def in_region(region: str | None, town_code: str | None) -> bool:
    """Whether something in ``town_code`` (None: county-level) lies inside ``region`` (None: everything).

    ``fq_in_region`` (schema 150) in Python: a region holds the towns whose code begins with its own.
    """
    if region is None:
        return True
    return town_code is not None and town_code.startswith(region)


def may_serve(*, staff_role: str, staff_town: str | None, case_town: str) -> bool:
    """Who may be sent where: town staff inside their own town, county-level units anywhere."""
    return staff_role in COUNTY_LEVEL_STAFF_ROLES or staff_town is None or staff_town == case_town


def rule(name: str) -> Rule:
    """A rule by name (KeyError for an unknown name is a programming error)."""
    return RULES[name]


def may_activate(user: User | None, *, changed_towns: set[str | None]) -> bool:
    """Who may switch the active generation, given the towns its changes touch (None: the county or a town itself).

    The command line (no user), admins and county-wide GIS staff may activate any change; a town-scoped GIS
    user only one whose every change stays inside their own town.
    """
    if user is None or user.role == Role.ADMIN:
        return True
    if user.role != Role.GIS:
        return False
    return user.town_code is None or town_change_allowed(user.town_code, changed_towns=changed_towns)


def town_change_allowed(town_code: str, *, changed_towns: set[str | None]) -> bool:
    """A town GIS user's activation: every change inside their own town (None, the county level, never is)."""
    return changed_towns <= {town_code}


# -- the region rules on rows in memory (staff trees, plans, live events) -------------------------------------
# Each restates one SQL policy function of schema 150 for the same DatabaseScope; tests/test_policy_equivalence.py
# asks both about every role x region x staff town x staff role and compares.


def _works_with_rows(scope: DatabaseScope) -> bool:
    """``fq_worker()``: signed in with a role that works with cases, staff and events (auditors do not)."""
    return scope.role not in ("", Role.AUDITOR)


def _is_own(scope: DatabaseScope, staff_code: str | None) -> bool:
    return scope.staff_code is not None and staff_code == scope.staff_code


def sees_staff(scope: DatabaseScope, *, staff_town: str | None, staff_role: str, staff_code: str | None) -> bool:
    """``fq_sees_staff``: the region's staff and county-level units; field users themselves only."""
    if not _works_with_rows(scope):
        return False
    if scope.role == Role.FIELD:
        return _is_own(scope, staff_code)
    return in_region(scope.region, staff_town) or staff_role in COUNTY_LEVEL_STAFF_ROLES


def manages_staff(scope: DatabaseScope, *, staff_town: str | None, staff_role: str, staff_code: str | None) -> bool:
    """``fq_manages_staff``: whose records and positions a scope may write (county-level units: the county's)."""
    if not _works_with_rows(scope):
        return False
    if scope.role == Role.FIELD:
        return _is_own(scope, staff_code)
    if scope.region is None:
        return True
    return in_region(scope.region, staff_town) and staff_role not in COUNTY_LEVEL_STAFF_ROLES


def sees_event(scope: DatabaseScope, *, kind: str, town_code: str | None, payload: dict[str, Any]) -> bool:
    """``fq_sees_event``: whether a live event reaches a scope.

    An event needs the rule that reads its kind (``EVENT_RULES``; unknown kinds reach nobody), so a GIS user
    gets no case or order events. Town users get their region's; positions go only to personal-data roles
    without a region; field users get only the steps of their own orders.
    """
    rule_name = next((name for prefix, name in EVENT_RULES if kind.startswith(prefix)), None)
    if rule_name is None or not _works_with_rows(scope) or not RULES[rule_name].admits(scope.role):
        return False
    if scope.role == Role.FIELD:
        return kind.startswith("dispatch.") and _is_own(scope, payload.get("staff_code"))
    if kind.startswith("staff.position"):
        return scope.role in PERSONAL_DATA_ROLES and scope.region is None
    return in_region(scope.region, town_code) if town_code is not None else scope.region is None
