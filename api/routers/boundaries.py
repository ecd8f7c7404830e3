"""Boundary uploads, generations, diffs and exports for GIS staff."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path, PurePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request, Response, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import Message

from api.deps import ConnDep, SettingsDep, allow
from api.errors import error_responses
from api.schemas import Activated, ActivationPreview, GenerationDiff, Relocated, UploadResult, ValidationReport
from gis.boundaries.export import export_generation
from gis.boundaries.generations import (
    activate,
    activation_preview,
    diff_generations,
    generation_report,
    relocate_cases,
)
from gis.boundaries.load import LoadOptions, commit, prepare
from gis.boundaries.report_zh import FINDING_TITLES, mentioned_names
from gis.errors import InvalidInput, TooLarge
from gis.models import TierName
from gis.policy import Scope

GIS = allow("boundaries.write")
FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the small form fields around the file


class UploadLimitRoute(APIRoute):
    """Counts body bytes as they arrive and stops at the upload limit.

    The app refuses a declared Content-Length over the limit up front; a chunked upload declares none, and
    Starlette would spool all of it to disk before the route runs.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, fed by a receive() that counts."""
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            limit = request.app.state.settings.max_upload_mb * 2**20
            received = 0

            def too_large() -> TooLarge:
                return TooLarge(f"upload over the {limit // 2**20} MB limit", reason="too_large")

            async def receive() -> Message:
                nonlocal received
                message = await request.receive()
                received += len(message.get("body", b""))
                if received > limit + FORM_OVERHEAD:
                    raise too_large()
                return message

            try:
                return await handler(Request(request.scope, receive))
            except HTTPException:  # FastAPI reports any failure while parsing the form as a 400
                if received > limit + FORM_OVERHEAD:
                    raise too_large() from None
                raise

        return limited


router = APIRouter(prefix="/api/v1/boundaries", tags=["boundaries"], route_class=UploadLimitRoute)


async def save_upload(upload: UploadFile, folder: Path, limit: int) -> Path:
    """Stream an upload to disk, refusing it once it passes the limit (413)."""
    name = PurePath(upload.filename or "upload").name or "upload"
    if name.startswith("."):
        raise InvalidInput("the uploaded file needs a name with an extension", reason="bad_filename")
    path = folder / name
    size = 0
    with path.open("wb") as sink:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > limit:
                raise TooLarge(f"{name}: over the {limit // 2**20} MB upload limit", reason="too_large")
            sink.write(chunk)
    if size == 0:
        raise InvalidInput(f"{name}: the file is empty", reason="empty_file")
    return path


@router.post("/uploads", dependencies=[GIS])
async def upload(
    conn: ConnDep, settings: SettingsDep, file: UploadFile,
    tier: Annotated[TierName | None, Form()] = None, layer: Annotated[str | None, Form(max_length=200)] = None,
    crs: Annotated[str | None, Form(max_length=200)] = None,
    encoding: Annotated[str | None, Form(max_length=40)] = None,
    code_field: Annotated[str | None, Form(max_length=100)] = None,
    name_field: Annotated[str | None, Form(max_length=100)] = None,
    parent_field: Annotated[str | None, Form(max_length=100)] = None,
    generation: Annotated[str | None, Form(max_length=100)] = None, commit_load: Annotated[bool, Form(
        alias="commit")] = False, repair: Annotated[bool, Form()] = False,
    standalone: Annotated[bool, Form()] = False,
) -> UploadResult:
    """Validate an uploaded boundary file (a dry run unless commit=true) and return the report."""
    limit = settings.max_upload_mb * 2**20
    with tempfile.TemporaryDirectory(prefix="fengqiao-upload-") as folder:
        path = await save_upload(file, Path(folder), limit)
        options = LoadOptions(tier=tier.value if tier else None, layer=layer, crs=crs, encoding=encoding,
                              code_field=code_field,
                              name_field=name_field, parent_field=parent_field, repair=repair,
                              standalone=standalone, max_bytes=limit)
        prepared = await run_in_threadpool(prepare, conn, path, options)  # seconds of CPU: not on the loop
        body: dict[str, Any] = {"report": prepared.report.as_dict(), "generation": None,
                                "names": mentioned_names(prepared), "titles": FINDING_TITLES}
        if commit_load:
            made = await run_in_threadpool(lambda: commit(conn, prepared, name=generation, source=path.name))
            body["generation"] = {"id": made.id, "name": made.name, "is_active": made.is_active}
    return UploadResult.model_validate(body)


@router.get("/generations/{ref}/activation", responses=error_responses(404))
def activation(conn: ConnDep, scope: Annotated[Scope, GIS], ref: Annotated[str, PathParam(max_length=100)]
               ) -> ActivationPreview:
    """What activating a generation would change: areas per tier, open cases moving, staff losing territory.

    ``needs_override`` says the switch removes too many grids or leaves the county uncovered; ``may_activate``
    whether the caller may do it (a town GIS user: only changes inside their town).
    """
    return ActivationPreview.model_validate(activation_preview(conn, ref=ref, user=scope.require_user()))


@router.post("/generations/{ref}/activate", responses=error_responses(403, 404, 409))
def activate_generation(conn: ConnDep, scope: Annotated[Scope, GIS], ref: Annotated[str, PathParam(max_length=100)],
                        override: Annotated[bool, Query()] = False) -> Activated:
    """Make a generation the active one (atomically); every server process rebuilds its lookups.

    A switch that removes more than the configured share of grids or leaves the county uncovered is refused
    (409 ``activation_needs_override``) unless ``override=true``.
    """
    generation = activate(conn, ref=ref, user=scope.require_user(), override=override)
    return Activated(id=generation.id, name=generation.name, is_active=True, activated_at=generation.activated_at)


@router.get("/generations/{ref}/report", dependencies=[allow("boundaries.read")], responses=error_responses(404))
def report(conn: ConnDep, ref: Annotated[str, PathParam(max_length=100)]) -> ValidationReport:
    """The validation report stored with a generation when its load was committed."""
    return ValidationReport.model_validate(generation_report(conn, ref=ref))


@router.get("/diff", dependencies=[GIS], responses=error_responses(404))
def diff(conn: ConnDep, old: Annotated[str, Query(max_length=100)], new: Annotated[str, Query(max_length=100)]
         ) -> GenerationDiff:
    """Grids added, removed and changed between two generations, and open cases that would move."""
    return GenerationDiff.model_validate({"old": old, "new": new, **diff_generations(conn, old=old, new=new)})


@router.post("/relocate")
def relocate(conn: ConnDep, scope: Annotated[Scope, GIS], to: Annotated[str | None, Query(max_length=100)] = None
             ) -> Relocated:
    """Move open cases onto the active generation (timeline entry and audit record per case); ``to`` must name it.

    ``unplaced`` lists open cases that no grid of the active generation can take (they stay where they are).
    """
    result = relocate_cases(conn, user=scope.require_user(), to=to)
    return Relocated(moved=len(result.moved), cases=result.moved, unplaced=result.unplaced)


@router.get("/generations/{ref}/export", dependencies=[allow("boundaries.read")], response_class=FileResponse,
            responses={200: {"content": {"application/geo+json": {}, "application/geopackage+sqlite3": {},
                                         "application/zip": {}}}, **error_responses(404, 422)})
def export(conn: ConnDep, ref: Annotated[str, PathParam(max_length=100)],
           tier: Annotated[TierName, Query()] = TierName.GRID,
           format: Annotated[Literal["geojson", "gpkg", "shp"], Query()] = "geojson") -> FileResponse:
    """Download a tier as GeoJSON (RFC 7946), GeoPackage, or a zipped Shapefile with GB18030 attributes."""
    folder = Path(tempfile.mkdtemp(prefix="fengqiao-export-"))
    try:
        path = export_generation(conn, ref=ref, tier=tier.value, fmt=format, out=folder / "files" / f"{ref}-{tier}")
        if format == "shp":  # the .shp, .shx, .dbf, .prj and .cpg travel together
            path = Path(shutil.make_archive(str(folder / f"{ref}-{tier}-shp"), "zip", root_dir=folder / "files"))
    except BaseException:  # a failed export leaves no folder behind
        shutil.rmtree(folder, ignore_errors=True)
        raise
    media = {"geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3",
             "shp": "application/zip"}[format]
    return FileResponse(path, media_type=media, filename=path.name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
