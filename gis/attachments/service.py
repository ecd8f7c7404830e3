"""Adding and reading attachments: content checked, kept with the case, every read and write audited."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gis.attachments.content import check_content
from gis.errors import Conflict, InvalidInput, NotFound
from gis.models import User
from gis.storage import access
from gis.storage import attachments as store
from gis.storage.pool import Conn


@dataclass(frozen=True)
class PhotoPlace:
    """Where a photo says it was taken (EXIF GPS: WGS84) and when, if it says."""

    lon: float | None = None
    lat: float | None = None
    taken_at: datetime | None = None

    def checked(self) -> PhotoPlace:
        """Itself, or InvalidInput when only one coordinate is given or one is out of range."""
        if (self.lon is None) != (self.lat is None):
            raise InvalidInput("give both exif_lon and exif_lat, or neither", reason="bad_location")
        if self.lon is not None and self.lat is not None and not (
                math.isfinite(self.lon) and math.isfinite(self.lat)
                and -180 <= self.lon <= 180 and -90 <= self.lat <= 90):
            raise InvalidInput("exif_lon/exif_lat are outside WGS84's range", reason="bad_location")
        if self.taken_at is not None and self.taken_at.tzinfo is None:
            raise InvalidInput("exif_taken_at needs a time zone", reason="naive_time")
        return self


def add_attachment(conn: Conn, *, case_id: int, dispatch_id: int | None, user: User, data: bytes, max_bytes: int,
                   place: PhotoPlace, client_key: str | None, client_ip: str = "") -> tuple[dict[str, Any], bool]:
    """Store ``data`` with the case (the caller may read it: else NotFound); (metadata, created).

    A repeated ``client_key`` of the same user returns the first upload (created False) when its content is
    the same, and is a Conflict when it is not.
    """
    checked = check_content(data, max_bytes=max_bytes)
    place = place.checked()
    if not store.visible_case(conn, case_id=case_id):
        raise NotFound(f"case {case_id} not found", reason="case_not_found")
    if dispatch_id is not None and store.order_case(conn, dispatch_id=dispatch_id) != case_id:
        raise NotFound(f"dispatch order {dispatch_id} not found on case {case_id}", reason="dispatch_not_found")
    if client_key is not None:
        earlier = store.by_client_key(conn, user_id=user.id, client_key=client_key)
        if earlier is not None:
            if earlier["sha256"] != checked.sha256.hex() or earlier["case_id"] != case_id:
                raise Conflict("this client_key was used for another upload", reason="client_key_reused")
            return earlier, False
    row = store.insert(conn, case_id=case_id, dispatch_id=dispatch_id, user_id=user.id,
                       uploader_name=user.username, content_type=checked.content_type,
                       content=checked.data, sha256=checked.sha256, exif_lon=place.lon, exif_lat=place.lat,
                       exif_taken_at=place.taken_at, client_key=client_key)
    access.audit(conn, user=user, action="attachment.add", object_type="attachment", object_id=str(row["id"]),
                 detail={"case_id": case_id, "content_type": row["content_type"], "size_bytes": row["size_bytes"],
                         "sha256": row["sha256"]}, client_ip=client_ip)
    return row, True


def read_attachment(conn: Conn, *, attachment_id: int, user: User, client_ip: str = ""
                    ) -> tuple[dict[str, Any], bytes]:
    """Metadata and content for a caller who may read its case (NotFound otherwise); the read is audited."""
    meta, data = store.content(conn, attachment_id=attachment_id)
    access.audit(conn, user=user, action="attachment.read", object_type="attachment", object_id=str(attachment_id),
                 detail={"case_id": meta["case_id"], "sha256": meta["sha256"]}, client_ip=client_ip)
    return meta, data


def case_attachments(conn: Conn, *, case_id: int) -> list[dict[str, Any]]:
    """Metadata of a case's attachments (NotFound when the caller may not read the case)."""
    if not store.visible_case(conn, case_id=case_id):
        raise NotFound(f"case {case_id} not found", reason="case_not_found")
    return store.of_case(conn, case_id=case_id)
