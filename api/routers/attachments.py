"""Attachments of a case (photos from the field, PDFs), served only to those who may read the case.

Added by those who act on the case; every read and write audited. The content decides the type, never the
caller's name or header for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request, Response, UploadFile

from api.deps import ActableCase, ConnDep, ReadableCase, SettingsDep, allow, client_of
from api.errors import error_responses
from api.schemas import Model
from gis.attachments.content import file_name, shown_inline
from gis.attachments.service import PhotoPlace, add_attachment, case_attachments, read_attachment
from gis.policy import Scope

router = APIRouter(prefix="/api/v1", tags=["attachments"])


class Attachment(Model):
    """An attachment's metadata (the content is at ``url``)."""

    id: int
    case_id: int
    dispatch_id: int | None
    uploaded_by: int | None
    uploader_name: str
    content_type: str
    size_bytes: int
    sha256: str
    exif_lon: float | None
    exif_lat: float | None
    exif_taken_at: datetime | None
    created_at: datetime
    url: str


class Attachments(Model):
    """A case's attachments, oldest first."""

    attachments: list[Attachment]


def _shown(row: dict[str, Any]) -> Attachment:
    return Attachment(**row, url=f"/api/v1/attachments/{row['id']}")


@router.post("/cases/{case_id}/attachments", status_code=201, responses=error_responses(404, 409, 413, 422))
async def upload(request: Request, response: Response, conn: ConnDep, settings: SettingsDep,
                 scope: Annotated[Scope, allow("cases.act")], case: ActableCase, file: UploadFile,
                 dispatch_id: Annotated[int | None, Form(ge=1, le=2**62)] = None,
                 exif_lon: Annotated[float | None, Form(ge=-180, le=180)] = None,
                 exif_lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
                 exif_taken_at: Annotated[datetime | None, Form()] = None,
                 client_key: Annotated[str | None, Form(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
                 = None) -> Attachment:
    """Attach a JPEG, PNG or WebP photo or a PDF (checked by its first bytes; at most the attachment limit).

    ``exif_lon``/``exif_lat`` (WGS84) and ``exif_taken_at`` are where and when the photo says it was taken,
    read from its EXIF tags on the phone before it was resized. A retry with the same ``client_key`` answers
    200 with the first upload.
    """
    data = await file.read(settings.attachment_max_mb * 2**20 + 1)
    row, created = add_attachment(conn, case_id=case.id, dispatch_id=dispatch_id, user=scope.require_user(),
                                  data=data, max_bytes=settings.attachment_max_mb * 2**20,
                                  place=PhotoPlace(exif_lon, exif_lat, exif_taken_at), client_key=client_key,
                                  client_ip=client_of(request).ip)
    if not created:
        response.status_code = 200
    return _shown(row)


@router.get("/cases/{case_id}/attachments", responses=error_responses(404))
def list_attachments(conn: ConnDep, scope: Annotated[Scope, allow("cases.read")], case: ReadableCase
                     ) -> Attachments:
    """Metadata of the case's attachments."""
    return Attachments(attachments=[_shown(r) for r in case_attachments(conn, case_id=case.id)])


@router.get("/attachments/{attachment_id}", response_class=Response, responses={
    **error_responses(404), 200: {"content": {t: {} for t in ("image/jpeg", "image/png", "image/webp",
                                                              "application/pdf")},
                                  "description": "the attachment's content"}})
def download(request: Request, conn: ConnDep, scope: Annotated[Scope, allow("cases.read")],
             attachment_id: Annotated[int, Path(ge=1, le=2**62)]) -> Response:
    """The content, for callers who may read its case (404 for everyone else); each read is audited."""
    meta, data = read_attachment(conn, attachment_id=attachment_id, user=scope.require_user(),
                                 client_ip=client_of(request).ip)
    disposition = "inline" if shown_inline(meta["content_type"]) else "attachment"
    return Response(content=data, media_type=meta["content_type"], headers={
        "Content-Disposition": f'{disposition}; filename="{file_name(attachment_id, meta["content_type"])}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",  # a document opened alone runs nothing
        "Cache-Control": "private, no-store",
        "ETag": f'"{meta["sha256"]}"',
    })
