"""Photos for tests: a real JPEG with EXIF GPS tags (as a phone's camera writes them)."""

from __future__ import annotations

import io

from PIL import Image


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes_full = (value - degrees) * 60
    minutes = int(minutes_full)
    return float(degrees), float(minutes), round((minutes_full - minutes) * 60, 4)


def jpeg_with_gps(lon: float, lat: float, *, size: tuple[int, int] = (640, 480), taken: str = "2026:05:01 09:30:00"
                  ) -> bytes:
    """A JPEG whose EXIF says it was taken at (lon, lat) WGS84 at ``taken`` (local time, as cameras write)."""
    image = Image.new("RGB", size, (90, 140, 200))
    for x in range(0, size[0], 40):  # something to see
        for y in range(size[1] // 2, size[1]):
            image.putpixel((x, y), (240, 200, 60))
    exif = image.getexif()
    exif[0x0132] = taken  # DateTime
    gps = exif.get_ifd(0x8825)
    gps[1] = "N" if lat >= 0 else "S"
    gps[2] = _dms(abs(lat))
    gps[3] = "E" if lon >= 0 else "W"
    gps[4] = _dms(abs(lon))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, exif=exif)
    return out.getvalue()
