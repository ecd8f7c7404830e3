"""The OpenAPI document as the contract: our one error shape everywhere, and every status a route returns."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.errors import ERROR_DESCRIPTIONS
from api.schemas import ErrorBody

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def _error(status: int) -> dict[str, Any]:
    return {"description": ERROR_DESCRIPTIONS.get(status, "error"), "content": {"application/json": {
        "schema": ERROR_REF}}}


def contract(app: FastAPI) -> dict[str, Any]:
    """Build (once) the document: FastAPI's, with its ``detail`` errors replaced by ``ErrorBody``."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.update(ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")["$defs"])
    schemas["ErrorBody"] = {k: v for k, v in ErrorBody.model_json_schema(
        ref_template="#/components/schemas/{model}").items() if k != "$defs"}
    for path, item in doc.get("paths", {}).items():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses or operation.get("parameters") or operation.get("requestBody"):
                responses["422"] = _error(422)
            if operation.get("security"):
                responses.setdefault("401", _error(401))
                responses.setdefault("403", _error(403))
            if path != "/healthz":
                responses.setdefault("503", _error(503))
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
    app.openapi_schema = doc
    return doc
