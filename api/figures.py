"""Serving the supervisors' figures from the process's ``gis.figures.FigureCache``.

The data version is read first (one small query on the request's connection), so an answer is never filed
under a version newer than the data it was computed from; how long a stored answer serves: ``gis.figures``.
A warm answer is the stored bytes: no computing, and no connection from the county statistics lane.
Concurrent requests for the same cold figure wait for one computation instead of each computing it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Any

import anyio
from fastapi import Request, Response
from pydantic import TypeAdapter

from api.deps import county_statistics_lease
from gis.figures import Cut, Figure, FigureKey
from gis.policy import Scope
from gis.services import Services
from gis.storage.pool import Conn
from gis.storage.stats import cases_version

_BODY = TypeAdapter(dict[str, Any])  # what FastAPI does with a route's ``dict[str, Any]`` answer
_KEPT_HEADERS = frozenset({"content-disposition"})


async def figure(request: Request, conn: Conn, scope: Scope, name: str, params: tuple[Hashable, ...],
                 compute: Callable[[Conn], Any], *, county: bool = False) -> Response:
    """The figure ``name`` for ``params`` in the caller's cut: stored, or ``compute(conn)`` once and stored.

    ``compute`` returns a JSON-able dict or a ``Response`` (a download). ``county``: it counts the whole county
    (then cut to the caller), on a connection of the county statistics lane taken only when computing.
    """
    services: Services = request.app.state.services
    cache = services.figures
    started = cache.clock()
    version = await anyio.to_thread.run_sync(cases_version, conn)
    key = cache.key(name, params, cut=Cut(scope.role, scope.town_code))
    found = cache.get(key, version)
    if found is not None:
        return _response(found)
    inflight = _inflight(request)
    pending = inflight.get(key)
    if pending is not None:
        try:
            return _response(await asyncio.shield(pending))
        except asyncio.CancelledError:
            if not pending.cancelled():
                raise  # this request was cancelled, not the computation
        except Exception:  # noqa: S110 - the first request's error: compute (and answer) as it did
            pass
    answer = await _compute_once(request, services, conn, key, compute, county=county)
    cache.put(key, answer, version=version, computed_at=started)
    return _response(answer)


async def _compute_once(request: Request, services: Services, conn: Conn, key: FigureKey,
                        compute: Callable[[Conn], Any], *, county: bool) -> Figure:
    inflight = _inflight(request)
    done: asyncio.Future[Figure] = asyncio.get_running_loop().create_future()
    inflight[key] = done
    try:
        if county:
            async with county_statistics_lease(request, services.pool) as county_conn:
                result = await anyio.to_thread.run_sync(compute, county_conn)
        else:
            result = await anyio.to_thread.run_sync(compute, conn)
        answer = _figure(result)
    except Exception as exc:
        done.set_exception(exc)
        done.exception()  # retrieved: waiters, if any, see it; nobody else must be told
        raise
    except BaseException:
        done.cancel()
        raise
    finally:
        if inflight.get(key) is done:
            del inflight[key]
    done.set_result(answer)
    return answer


def _inflight(request: Request) -> dict[FigureKey, asyncio.Future[Figure]]:
    """The computations under way in this process (one event loop serves it)."""
    services: Services = request.app.state.services
    return services.figure_runs


def _figure(result: Any) -> Figure:
    if isinstance(result, Response):
        headers = tuple((k, v) for k, v in result.headers.items() if k.lower() in _KEPT_HEADERS)
        return Figure(bytes(result.body), result.media_type or "application/octet-stream", headers)
    return Figure(_BODY.dump_json(result), "application/json")


def _response(figure: Figure) -> Response:
    return Response(figure.body, media_type=figure.media_type, headers=dict(figure.headers))
