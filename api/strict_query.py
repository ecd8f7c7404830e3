"""Unknown query parameters on /api/v1 JSON routes are a 422, never silently ignored.

``?q=张建国`` on a route that has no ``q`` used to answer every case as if nothing had been asked. One app-wide
dependency compares the query's keys with the parameters the matched route declares. Pages, tiles and OGC
API routes (whose standard decides what extra parameters mean) are left as they are.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from gis.errors import InvalidInput

STRICT_PREFIX = "/api/v1/"


def declared_query(route: APIRoute) -> frozenset[str]:
    """The query parameter names a route (and every dependency under it) declares (a short walk, per request)."""
    return frozenset(_names(route.dependant))


def _names(dependant: Dependant) -> set[str]:
    names: set[str] = set()
    for param in dependant.query_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):  # a query model: its fields are the keys
            names.update(f.alias or name for name, f in model.model_fields.items())
        else:
            names.add(param.alias)
    for sub in dependant.dependencies:
        names |= _names(sub)
    return names


async def refuse_unknown_query(request: Request) -> None:
    """Raise ``unknown_parameter`` naming the first query key the route does not declare."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not route.path.startswith(STRICT_PREFIX):
        return
    unknown = sorted(set(request.query_params) - declared_query(route))
    if unknown:
        names = "、".join(unknown)
        raise InvalidInput(f"不支持的查询参数：{names}（此接口不接受这些参数，请检查拼写）", reason="unknown_parameter",
                           parameters=unknown)
