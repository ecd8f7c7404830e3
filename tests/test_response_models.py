"""Every JSON answer has a response model, so the OpenAPI document describes what clients get.

Pages, files, downloads, tiles and event streams are recognised by their response class (or their declared
non-JSON content); everything else must name a pydantic model.
"""

from __future__ import annotations

import inspect
import types
import typing
from typing import Any

from fastapi.datastructures import DefaultPlaceholder
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sse_starlette import EventSourceResponse

from api.main import create_app
from tests.test_security_matrix import api_routes

NOT_JSON = (HTMLResponse, FileResponse, StreamingResponse, RedirectResponse, EventSourceResponse)
JSON_TYPES = ("application/json", "application/geo+json")


def answer_class(route: APIRoute) -> type[Response]:
    """The class a route answers with: declared, else its return annotation when that is a response, else JSON."""
    declared = route.response_class
    if not isinstance(declared, DefaultPlaceholder):
        return declared
    returned = inspect.signature(route.endpoint, eval_str=True).return_annotation
    if inspect.isclass(returned) and issubclass(returned, Response):
        return returned
    return JSONResponse


def is_model(annotation: Any) -> bool:
    """A pydantic model, or a list of them (never a bare dict or Any)."""
    if inspect.isclass(annotation) and not isinstance(annotation, types.GenericAlias):
        return issubclass(annotation, BaseModel)
    if typing.get_origin(annotation) is list:
        return all(is_model(a) for a in typing.get_args(annotation))
    return False


def documented_model(route: APIRoute) -> Any:
    if route.response_model not in (None, Any):
        return route.response_model
    for status in (200, 201, "200", "201"):
        if status in route.responses and "model" in route.responses[status]:
            return route.responses[status]["model"]
    return None


def declares_json(route: APIRoute) -> bool:
    """A raw ``Response`` route whose documented success content includes JSON."""
    content: dict[str, Any] = {}
    for status in (200, 201, "200", "201"):
        content.update(route.responses.get(status, {}).get("content", {}))
    return not content or any(t in content for t in JSON_TYPES)


def untyped_routes(routes: list[APIRoute]) -> list[str]:
    found = []
    for route in routes:
        cls = answer_class(route)
        if issubclass(cls, NOT_JSON) or route.status_code == 204:
            continue
        if cls is Response and not declares_json(route) and documented_model(route) is None:
            continue  # tiles, PDFs, CSV: their media types are declared instead
        if not is_model(documented_model(route)):
            found.append(f"{sorted(route.methods)[0]} {route.path}")
    return found


def test_every_json_route_has_a_response_model() -> None:
    routes = api_routes(create_app().routes)
    assert len(routes) > 90
    assert untyped_routes(routes) == []


def test_the_walk_finds_a_bare_dict_and_a_json_download_without_a_model() -> None:
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/bare")
    def bare() -> dict[str, Any]:
        return {}

    @router.get("/geo", response_class=Response, responses={200: {"content": {"application/geo+json": {}}}})
    def geo() -> Response:
        return Response(b"{}")

    @router.get("/page")
    def page() -> HTMLResponse:
        return HTMLResponse("")

    assert untyped_routes(api_routes(router.routes)) == ["GET /bare", "GET /geo"]
