"""OGC API - Features (Part 1 Core + GeoJSON) at `/ogc`: boundary tiers per generation, and cases.

Boundaries are public like their tiles; the ``cases`` collection is listed only to a signed-in caller allowed
to read cases and answers only their region (the connection's scope, as for every case read), so an
anonymous client (GDAL listing every layer) never meets a 401. Every collection has a spatial extent; pages
go by keyset (``next`` links carry ``after``, the last key of the page), and ``limit`` above the maximum is
clamped. Works with GDAL's OAPIF driver, QGIS and owslib. See gis/ogc/__init__.py for why no engine.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from api.deps import ConnDep, OptionalUserDep, SettingsDep, allow
from api.schemas import GeoJSONFeature, GeoJSONFeatures, OgcCollections, OgcConformance, OgcLinks
from api.urls import public_base
from gis.errors import InvalidInput, NotFound
from gis.ogc.collections import (
    CASES,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Collection,
    boundary_collections,
    find_collection,
    parse_bbox,
)
from gis.policy import Scope, rule
from gis.storage import areas, ogc
from gis.storage.pool import Conn

router = APIRouter(prefix="/ogc", tags=["ogc"])
GEOJSON = "application/geo+json"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]  # no OpenAPI conformance class: Part 1 defines only OpenAPI 3.0, and the API definition is OpenAPI 3.1
OPENAPI = "application/vnd.oai.openapi+json;version=3.1"
Format = Annotated[str | None, Query(alias="f", max_length=20, description="json (the only encoding)")]


def _json(body: dict[str, Any], media_type: str = "application/json") -> JSONResponse:
    return JSONResponse(body, media_type=media_type)


def _check_format(f: str | None) -> None:
    if f not in (None, "json", "geojson", "application/json", GEOJSON):
        raise InvalidInput(f"format {f!r} is not offered; use f=json", reason="unsupported_format")


def _base(request: Request, settings: SettingsDep) -> str:
    return public_base(request, settings) + "/ogc"


Base = Annotated[str, Depends(_base)]


@router.get("", dependencies=[allow("public")], response_class=JSONResponse, responses={200: {"model": OgcLinks}})
def landing(base: Base, f: Format = None) -> JSONResponse:
    """Landing page: links to the API definition, conformance and collections."""
    _check_format(f)
    return _json({"title": "枫桥 网格边界与案件", "description": "OGC API - Features: 网格四级边界（按版本）与案件",
                  "links": [{"href": base, "rel": "self", "type": "application/json", "title": "this document"},
                            {"href": base.removesuffix("/ogc") + "/openapi.json", "rel": "service-desc",
                             "type": OPENAPI, "title": "API definition (OpenAPI 3.1)"},
                            {"href": f"{base}/conformance", "rel": "conformance", "type": "application/json",
                             "title": "conformance"},
                            {"href": f"{base}/collections", "rel": "data", "type": "application/json",
                             "title": "collections"}]})


@router.get("/conformance", dependencies=[allow("public")], response_class=JSONResponse,
            responses={200: {"model": OgcConformance}})
def conformance(f: Format = None) -> JSONResponse:
    """The conformance classes implemented."""
    _check_format(f)
    return _json({"conformsTo": CONFORMANCE})


def _describe(conn: Conn, base: str, c: Collection) -> dict[str, Any]:
    if c.generation is not None and c.tier is not None:
        box = ogc.tier_extent(conn, generation_id=c.generation.id, tier=c.tier)
    else:  # cases: the active county (a client then need not read every case to learn where they are)
        box = areas.generation_extent(conn, generation_id=areas.get_generation(conn).id)
    body: dict[str, Any] = {
        "id": c.id, "title": c.title, "itemType": "feature", "crs": [CRS84], "storageCrs": CRS84,
        "links": [{"href": f"{base}/collections/{c.id}", "rel": "self", "type": "application/json"},
                  {"href": f"{base}/collections/{c.id}/items", "rel": "items", "type": GEOJSON}],
    }
    if box is not None:
        body["extent"] = {"spatial": {"bbox": [list(box)], "crs": CRS84}}
    if c.id == CASES:
        body["description"] = "需登录（Authorization: Bearer）；只返回本辖区案件，不含当事人信息"
    return body


@router.get("/collections", dependencies=[allow("public")], response_class=JSONResponse,
            responses={200: {"model": OgcCollections}})
def collections(conn: ConnDep, base: Base, user: OptionalUserDep, f: Format = None) -> JSONResponse:
    """Towns, villages and grids of the active generation and of every stored generation, and the cases.

    The cases are listed only to a caller who may read them (signed in, with a role that reads cases).
    """
    _check_format(f)
    listed = boundary_collections(areas.list_generations(conn))
    if user is not None and rule("cases.read").admits(user.role):
        listed.append(find_collection(CASES, []))
    return _json({"links": [{"href": f"{base}/collections", "rel": "self", "type": "application/json"}],
                  "collections": [_describe(conn, base, c) for c in listed]})


@router.get("/collections/{collection_id}", dependencies=[allow("public")], response_class=JSONResponse,
            responses={200: {"model": OgcLinks}})
def collection(conn: ConnDep, base: Base, collection_id: str, f: Format = None) -> JSONResponse:
    """One collection's description and extent."""
    _check_format(f)
    return _json(_describe(conn, base, find_collection(collection_id, areas.list_generations(conn))))


def _feature_page(base: str, c: Collection, features: list[dict[str, Any]], matched: int | None, bbox: str | None,
                  limit: int, after: object | None) -> JSONResponse:
    url = f"{base}/collections/{c.id}/items"
    extra = {"bbox": bbox} if bbox else {}
    links = [{"href": f"{url}?{urlencode({**extra, 'limit': limit})}", "rel": "self", "type": GEOJSON},
             {"href": f"{base}/collections/{c.id}", "rel": "collection", "type": "application/json"}]
    if after is not None:
        links.append({"href": f"{url}?{urlencode({**extra, 'limit': limit, 'after': after})}", "rel": "next",
                      "type": GEOJSON})
    body: dict[str, Any] = {"type": "FeatureCollection", "features": features, "numberReturned": len(features),
                            "links": links}
    if matched is not None:
        body["numberMatched"] = matched
    return _json(body, GEOJSON)


def _feature(base: str, c: Collection, found: list[dict[str, Any]], feature_id: str) -> JSONResponse:
    if not found:
        raise NotFound(f"feature {feature_id!r} not found in {c.id}", reason="feature_not_found")
    return _json({**found[0], "links": [
        {"href": f"{base}/collections/{c.id}/items/{feature_id}", "rel": "self", "type": GEOJSON},
        {"href": f"{base}/collections/{c.id}", "rel": "collection", "type": "application/json"}]}, GEOJSON)


BBox = Annotated[str | None, Query(max_length=200, description="minlon,minlat,maxlon,maxlat (CRS84)")]
Limit = Annotated[int, Query(ge=1, le=2**31, description=f"page size; above {MAX_LIMIT} it is {MAX_LIMIT}")]
After = Annotated[str | None, Query(max_length=64, description="continue after this key (from a next link)")]
GEOJSON_200: dict[int | str, dict[str, Any]] = {200: {"model": GeoJSONFeatures, "content": {GEOJSON: {}}}}
GEOJSON_ONE: dict[int | str, dict[str, Any]] = {200: {"model": GeoJSONFeature, "content": {GEOJSON: {}}}}


@router.get("/collections/cases/items", response_class=JSONResponse, responses=GEOJSON_200)
def case_items(conn: ConnDep, scope: Annotated[Scope, allow("cases.read")], base: Base, bbox: BBox = None,
               limit: Limit = DEFAULT_LIMIT, after: After = None, f: Format = None) -> JSONResponse:
    """Cases of the caller's region that have a point, newest first (no personal data)."""
    _check_format(f)
    if after is not None and not (after.isdigit() and len(after) < 18):
        raise InvalidInput("after must be a case id from a next link", reason="invalid_cursor")
    limit = min(limit, MAX_LIMIT)
    features, last, matched = ogc.case_features(conn, bbox=parse_bbox(bbox),
                                                limit=limit, after=None if after is None else int(after),
                                                count=after is None)
    return _feature_page(base, find_collection(CASES, []), features, matched, bbox, limit, last)


@router.get("/collections/cases/items/{feature_id}", response_class=JSONResponse, responses=GEOJSON_ONE)
def case_item(conn: ConnDep, scope: Annotated[Scope, allow("cases.read")], base: Base, feature_id: str,
              f: Format = None) -> JSONResponse:
    """One case of the caller's region; outside it, 404 as if it did not exist."""
    _check_format(f)
    found: list[dict[str, Any]] = []
    if feature_id.isdigit() and len(feature_id) < 18:
        found, _, _ = ogc.case_features(conn, bbox=None, limit=1,
                                        case_id=int(feature_id), count=False)
    return _feature(base, find_collection(CASES, []), found, feature_id)


def _boundary(conn: Conn, collection_id: str) -> Collection:
    c = find_collection(collection_id, areas.list_generations(conn))
    if c.generation is None or c.tier is None:
        raise NotFound(f"collection {collection_id!r} not found", reason="collection_not_found")
    return c


@router.get("/collections/{collection_id}/items", dependencies=[allow("public")], response_class=JSONResponse,
            responses=GEOJSON_200)
def items(conn: ConnDep, base: Base, collection_id: str, bbox: BBox = None, limit: Limit = DEFAULT_LIMIT,
          after: After = None, f: Format = None) -> JSONResponse:
    """A page of a boundary tier's areas in code order: numberMatched (first page), numberReturned, next link."""
    _check_format(f)
    c = _boundary(conn, collection_id)
    assert c.generation is not None and c.tier is not None
    features, last, matched = ogc.area_features(conn, generation_id=c.generation.id, tier=c.tier,
                                                bbox=parse_bbox(bbox), limit=min(limit, MAX_LIMIT), after=after,
                                                count=after is None)
    return _feature_page(base, c, features, matched, bbox, min(limit, MAX_LIMIT), last)


@router.get("/collections/{collection_id}/items/{feature_id}", dependencies=[allow("public")],
            response_class=JSONResponse, responses=GEOJSON_ONE)
def item(conn: ConnDep, base: Base, collection_id: str, feature_id: str, f: Format = None) -> JSONResponse:
    """One area by its code."""
    _check_format(f)
    c = _boundary(conn, collection_id)
    assert c.generation is not None and c.tier is not None
    found, _, _ = ogc.area_features(conn, generation_id=c.generation.id, tier=c.tier, bbox=None, limit=1,
                                    code=feature_id[:64], count=False)
    return _feature(base, c, found, feature_id)
