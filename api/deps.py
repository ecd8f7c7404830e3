"""Annotated dependencies: each validates and returns an object, or raises a domain error."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gis.cases.book import CaseRules
from gis.cases.models import Case
from gis.errors import Forbidden, Unauthorized
from gis.locate import LocateIndex
from gis.models import User
from gis.policy import Rule, Scope
from gis.policy import rule as policy_rule
from gis.services import Services
from gis.settings import AppSettings
from gis.staff.recommend import Scoring
from gis.staff.spatial import StaffPoints
from gis.storage import access
from gis.storage import cases as case_store
from gis.storage.pool import Conn, Pool, translate_pg_errors

bearer = HTTPBearer(auto_error=False)


async def get_services(request: Request) -> Services:
    """The process's typed services (built by the lifespan)."""
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_pool(services: ServicesDep) -> Pool:
    """The app's connection pool."""
    return services.pool


async def get_locator(services: ServicesDep) -> LocateIndex:
    """The locate index snapshot this request uses from start to end (503 before the first build)."""
    return services.locate.current()


async def get_staff_points(services: ServicesDep) -> StaffPoints:
    """The staff trees snapshot for this request."""
    return services.staff.current()


async def get_case_rules(services: ServicesDep) -> CaseRules:
    """Taxonomy, workflow and routing."""
    return services.rules.cases


async def get_scoring(services: ServicesDep) -> Scoring:
    """How staff are ranked."""
    return services.rules.scoring


PoolDep = Annotated[Pool, Depends(get_pool)]
LocateDep = Annotated[LocateIndex, Depends(get_locator)]
StaffPointsDep = Annotated[StaffPoints, Depends(get_staff_points)]
RulesDep = Annotated[CaseRules, Depends(get_case_rules)]
ScoringDep = Annotated[Scoring, Depends(get_scoring)]


async def get_settings(request: Request) -> AppSettings:
    """The app's settings."""
    return request.app.state.settings


def get_conn(pool: Annotated[Pool, Depends(get_pool)]) -> Iterator[Conn]:
    """A pooled connection for one request; committed when the route returns without error."""
    with translate_pg_errors(), pool.request_connection() as conn:
        yield conn


ConnDep = Annotated[Conn, Depends(get_conn, scope="function")]
SettingsDep = Annotated[AppSettings, Depends(get_settings)]


def current_user(
    conn: ConnDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> User:
    """The caller named by the bearer token."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized("an Authorization: Bearer <token> header is required", reason="missing_token")
    return access.user_for_token(conn, token=credentials.credentials)


UserDep = Annotated[User, Depends(current_user)]



def allow(rule_name: str) -> Any:
    """The one way a route declares its access policy: ``scope: Annotated[Scope, allow("cases.read")]``.

    Public rules admit anyone (and never touch the database); every other rule needs a signed-in user
    whose role the rule admits (403 otherwise). The dependency returns the caller's ``Scope``.
    """
    declared = policy_rule(rule_name)
    if declared.public:

        async def public() -> Scope:
            return Scope(declared)

        public.policy_rule = declared  # type: ignore[attr-defined]
        return Depends(public)

    def signed_in(user: UserDep) -> Scope:
        return Scope.for_user(declared, user)

    signed_in.policy_rule = declared  # type: ignore[attr-defined]
    return Depends(signed_in)


@dataclass(frozen=True)
class PublicLookup:
    """What an anonymous, in-memory lookup needs, resolved as one dependency (the hot path: each costs)."""

    index: LocateIndex
    pool: Pool
    border_m: float


async def public_lookup(request: Request) -> PublicLookup:
    """The locate index snapshot for this request, the pool and the default border distance (public)."""
    services: Services = request.app.state.services
    settings: AppSettings = request.app.state.settings
    return PublicLookup(services.locate.current(), services.pool, settings.border_distance_m)


public_lookup.policy_rule = policy_rule("public")  # type: ignore[attr-defined]
PublicLookupDep = Annotated[PublicLookup, Depends(public_lookup)]


def declared_rule(call: Any) -> Rule | None:
    """The rule a dependency callable declares (used by the route-policy test)."""
    return getattr(call, "policy_rule", None)


def require_roles(*roles: str) -> Any:
    """A dependency that admits only the given roles (admin always passes)."""

    def check(user: UserDep) -> User:
        if user.role != "admin" and user.role not in roles:
            raise Forbidden(
                f"role {user.role!r} may not do this; needs one of {sorted(roles)}", reason="role_not_allowed"
            )
        return user

    return Depends(check)


def readable_case(conn: ConnDep, scope: Annotated[Scope, allow("cases.read")], case_id: int) -> Case:
    """The case if the caller may read it; outside their region it is 404, as if it did not exist."""
    return case_store.get_case(conn, case_id=case_id, region=scope.case_filter())


def actable_case(conn: ConnDep, scope: Annotated[Scope, allow("cases.act")], case_id: int) -> Case:
    """The case if the caller may move it along the loop (same region rule)."""
    return case_store.get_case(conn, case_id=case_id, region=scope.case_filter())


ReadableCase = Annotated[Case, Depends(readable_case)]
ActableCase = Annotated[Case, Depends(actable_case)]
