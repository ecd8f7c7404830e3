"""Annotated dependencies: each validates and returns an object, or raises a domain error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AbstractContextManager, asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from time import monotonic
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.security import client_address
from gis.accounts import sessions
from gis.accounts.sessions import Client
from gis.cases.book import CaseRules
from gis.cases.models import Case
from gis.crypto import keys as crypto_keys
from gis.errors import Forbidden, Unauthorized, Unavailable
from gis.hotspots.service import Hotspots
from gis.locate import LocateIndex
from gis.models import User
from gis.policy import ANONYMOUS, SYSTEM, Rule, Scope, database_scope
from gis.policy import rule as policy_rule
from gis.services import Services
from gis.settings import AppSettings, SecuritySettings
from gis.staff.recommend import Scoring
from gis.staff.spatial import StaffPoints
from gis.storage import access, roles
from gis.storage import cases as case_store
from gis.storage.pool import BUSY_SLICE_S, Conn, Pool, translate_pg_errors
from gis.storage.row_security import ScopedConnection

bearer = HTTPBearer(auto_error=False)
SESSION_COOKIE = "fengqiao_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
T = TypeVar("T")


@lru_cache(maxsize=1)
def security_settings() -> SecuritySettings:
    """Sign-in limits and key settings (read once per process)."""
    return SecuritySettings()


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


async def get_hotspots(services: ServicesDep) -> Hotspots:
    """The process's hotspot weights, recent answers and level rules."""
    return services.hotspots.state


async def get_scoring(services: ServicesDep) -> Scoring:
    """How staff are ranked."""
    return services.rules.scoring


PoolDep = Annotated[Pool, Depends(get_pool)]
LocateDep = Annotated[LocateIndex, Depends(get_locator)]
StaffPointsDep = Annotated[StaffPoints, Depends(get_staff_points)]
RulesDep = Annotated[CaseRules, Depends(get_case_rules)]
ScoringDep = Annotated[Scoring, Depends(get_scoring)]
HotspotsDep = Annotated[Hotspots, Depends(get_hotspots)]


async def get_settings(request: Request) -> AppSettings:
    """The app's settings."""
    return request.app.state.settings


def _services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _gate(request: Request, name: str, size: int) -> asyncio.Semaphore:
    """One of the process's gates (``size`` turns), made once per event loop."""
    loop = asyncio.get_running_loop()
    gates = _services_of(request).connection_gates
    held = gates.get(name)
    if held is None or held[0] is not loop:
        held = gates[name] = (loop, asyncio.Semaphore(size))
    return held[1]


async def _wait_turn(gate: asyncio.Semaphore, pool: Pool, start: float) -> None:
    """Take a turn at ``gate`` within the pool's bounds counted from ``start``, or Unavailable (503)."""
    while True:
        left = pool.busy_timeout - (monotonic() - start)
        if left <= 0 or (pool.stalled() and monotonic() - start >= pool.request_timeout):
            raise Unavailable("database unavailable: every connection is in use or the database does not answer",
                              reason="database_busy" if left <= 0 else "unavailable")
        try:
            await asyncio.wait_for(gate.acquire(), timeout=min(BUSY_SLICE_S, left))
            return
        except TimeoutError:
            continue


@asynccontextmanager
async def pool_turn(request: Request, pool: Pool, *, lane: str | None = None,
                    lane_share: float = 0.25) -> AsyncIterator[float]:
    """Wait, on the event loop and without a thread, for a turn at the pool; yields the seconds waited.

    Only as many requests as the pool has connections hold or wait for one on a worker thread, so a
    request holding a connection always finds a thread for its next step (its identity, its endpoint)
    and no pile of threads blocked on the pool can starve the ones that would give connections back.
    A ``lane`` (the county statistics: seconds of computing while holding a connection) first takes one
    of its own few turns (``lane_share`` of the pool), so it can never hold every connection. The wait
    counts against the pool's bounds, and ends at once when the database is found away.
    """
    start = monotonic()
    lane_gate = None
    if lane is not None:
        lane_gate = _gate(request, lane, max(1, int(pool.max_size * lane_share)))
        await _wait_turn(lane_gate, pool, start)
    try:
        gate = _gate(request, "pool", pool.max_size)
        await _wait_turn(gate, pool, start)
        try:
            yield monotonic() - start
        finally:
            gate.release()
    finally:
        if lane_gate is not None:
            lane_gate.release()


def _enter(lease: AbstractContextManager[Conn]) -> Conn:
    with translate_pg_errors():
        return lease.__enter__()


def _exit(lease: AbstractContextManager[Conn], exc: BaseException | None) -> None:
    """Give the connection back: commit, or roll back for ``exc`` (which the caller raises on)."""
    with translate_pg_errors():
        if exc is None:
            lease.__exit__(None, None, None)
        else:
            lease.__exit__(type(exc), exc, exc.__traceback__)


@asynccontextmanager
async def _leased(request: Request, pool: Pool, open_lease: Callable[[float], AbstractContextManager[Conn]],
                  on_error: Callable[[Conn, BaseException], bool] | None = None,
                  lane: str | None = None) -> AsyncIterator[Conn]:
    """A connection taken in the pool's turn; given back (commit, or roll back) even if the client went away."""
    async with pool_turn(request, pool, lane=lane) as waited:
        lease = open_lease(waited)
        with anyio.CancelScope(shield=True):  # a connection taken is always given back
            conn = await anyio.to_thread.run_sync(_enter, lease)
        try:
            with translate_pg_errors():
                yield conn
        except BaseException as exc:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_fail, lease, conn, exc, on_error)
            raise
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(_exit, lease, None)


def _fail(lease: AbstractContextManager[Conn], conn: Conn, exc: BaseException,
          on_error: Callable[[Conn, BaseException], bool] | None) -> None:
    """Roll back for ``exc``; when ``on_error`` rolled back itself and wrote what records the failure, keep that."""
    recorded = False
    try:
        if on_error is not None and isinstance(exc, Exception):
            with translate_pg_errors():  # a connection lost meanwhile is a 503, as for the route itself
                recorded = on_error(conn, exc)
    finally:
        _exit(lease, None if recorded else exc)


async def get_conn(request: Request, pool: Annotated[Pool, Depends(get_pool)]) -> AsyncIterator[Conn]:
    """A pooled connection for one request; committed when the route returns without error.

    A write that fails after the caller was identified leaves one audit row saying so (the row written
    with the change was rolled back with it).
    """

    def audit_failure(conn: Conn, exc: BaseException) -> bool:
        user = getattr(request.state, "user", None)
        if user is None or request.method in SAFE_METHODS:
            return False
        conn.rollback()
        audit_request(conn, request, user, result=getattr(exc, "reason", type(exc).__name__))
        return True

    async with _leased(request, pool, lambda waited: pool.session(ANONYMOUS, waited_s=waited),
                       audit_failure) as conn:
        yield conn


async def run_with_connection(request: Request, pool: Pool, work: Callable[[Conn], T]) -> T:
    """``work(conn)`` on one worker thread that takes the connection, uses it and gives it back (in a turn).

    The connection starts ``ANONYMOUS``; ``work`` that needs the caller calls ``identify`` first.
    """
    async with pool_turn(request, pool) as waited:

        def run() -> T:
            with translate_pg_errors(), pool.session(ANONYMOUS, waited_s=waited) as conn:
                return work(conn)

        with anyio.CancelScope(shield=True):
            result = await anyio.to_thread.run_sync(run)
    return result


ConnDep = Annotated[Conn, Depends(get_conn, scope="function")]
SettingsDep = Annotated[AppSettings, Depends(get_settings)]


def client_of(request: Request) -> Client:
    """The caller's address (``api.security.client_address``: proxies only if trusted) and user agent."""
    return Client(client_address(request.scope), request.headers.get("user-agent", "")[:300])


def audit_request(conn: Conn, request: Request, user: User, *, result: str = "ok") -> None:
    """One audit row for a write request: method, route, path parameters, caller, address, result."""
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    access.audit(conn, user=user, action=f"{request.method} {path}"[:200], object_type="request",
                 object_id=",".join(f"{k}={v}" for k, v in request.path_params.items())[:200],
                 client_ip=client_of(request).ip, result=result)


BACKGROUND_HEADER = "x-fengqiao-background"


def identify(request: Request, conn: Conn, credentials: HTTPAuthorizationCredentials | None) -> User:
    """The caller: ``Authorization: Bearer`` (an access token or an API key) or the session cookie.

    Identity and the caller's database scope are decided here and nowhere else, once per request: from here
    on every transaction of the request's connection sees only the caller's region (row-level security).
    A write request gets its audit row now, inside the transaction the route commits, so the row and the
    change commit (or roll back) together.
    """
    keys = crypto_keys()
    cookie = request.cookies.get(SESSION_COOKIE)
    if credentials is not None and credentials.credentials:
        user = sessions.bearer_user(conn, token=credentials.credentials, keys=keys)
    elif cookie:
        # A page's background poll says so (X-Fengqiao-Background): it must not keep an unattended session alive.
        user = sessions.session_user(conn, session_id=cookie, keys=keys, settings=security_settings(),
                                     touch=request.headers.get(BACKGROUND_HEADER) != "1")
        _check_origin(request)
    else:
        raise Unauthorized("sign in, or send Authorization: Bearer <access token or API key>",
                           reason="missing_token")
    scope = database_scope(user)
    if scope.region is not None:
        _require_row_security(request, conn)
    request.state.user = user
    if isinstance(conn, ScopedConnection):
        conn.use_scope(scope)
    if request.method not in SAFE_METHODS:
        audit_request(conn, request, user)
    return user


def _require_row_security(request: Request, conn: Conn) -> None:
    """Unavailable for a caller limited to a region while the policies do not bind the server's role.

    The policies are the one place rows are scoped: where the server signs in as the tables' owner or a
    superuser (one role does both jobs), nothing else would keep a town user inside their town.
    """
    services = _services_of(request)
    if services.row_security_enforced is None:
        services.row_security_enforced = roles.enforced(conn)
    if not services.row_security_enforced:
        raise Unavailable("row-level security does not bind the server's database role, so users limited to a "
                          "region cannot be served; give the server its own role (see README, Database)",
                          reason="row_security_not_enforced")


def current_user(
    request: Request, conn: ConnDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> User:
    """The caller, identified and scoped by ``identify`` (401 without a credential)."""
    return identify(request, conn, credentials)


def _check_origin(request: Request) -> None:
    """Cookie sessions: a write from another origin is refused (SameSite=Strict already keeps cookies home)."""
    origin = request.headers.get("origin")
    if request.method in SAFE_METHODS or origin is None:
        return
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin != own:
        raise Forbidden("a cross-origin write with a session cookie is refused", reason="cross_origin")


UserDep = Annotated[User, Depends(current_user)]


def optional_user(
    request: Request, conn: ConnDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> User | None:
    """The caller on a public route that shows more to some callers: None when no credential was sent."""
    if (credentials is None or not credentials.credentials) and not request.cookies.get(SESSION_COOKIE):
        return None
    return current_user(request, conn, credentials)


OptionalUserDep = Annotated[User | None, Depends(optional_user)]



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
    return case_store.get_case(conn, case_id=case_id)


def actable_case(conn: ConnDep, scope: Annotated[Scope, allow("cases.act")], case_id: int) -> Case:
    """The case if the caller may move it along the loop (same region rule)."""
    return case_store.get_case(conn, case_id=case_id)


ReadableCase = Annotated[Case, Depends(readable_case)]
ActableCase = Annotated[Case, Depends(actable_case)]

StatsScope = Annotated[Scope, allow("stats.read")]


async def county_statistics_connection(request: Request, services: ServicesDep,
                                       scope: StatsScope) -> AsyncIterator[Conn]:
    """A connection that counts every case of the county, for statistics whose units depend on their neighbours.

    Gi* of a unit at a town's border needs the counts across it, and rankings compare towns. Only counts leave
    these computations (nothing personal), and the route returns only the caller's units (``scope.town_code``).
    """
    async with county_statistics_lease(request, services.pool) as conn:
        yield conn


def county_statistics_lease(request: Request, pool: Pool) -> AbstractAsyncContextManager[Conn]:
    """A county-wide connection in the statistics lane's turn (see ``county_statistics_connection``)."""
    return _leased(request, pool, lambda waited: pool.session(SYSTEM, waited_s=waited), lane="county_statistics")


# Statistics computed county-wide and cut to the caller's units (see county_statistics_connection).
CountyStatsConn = Annotated[Conn, Depends(county_statistics_connection, scope="function")]
