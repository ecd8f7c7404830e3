// Where and when a JPEG says it was taken: the GPS IFD and DateTimeOriginal of its EXIF block (APP1), read
// by hand. Phones strip EXIF when a photo is redrawn on a canvas, so this runs on the original file first.
// Returns { lon, lat, takenAt } with WGS84 degrees (EXIF GPS is WGS84) or nulls when the photo says nothing.

const GPS_IFD = 0x8825, EXIF_IFD = 0x8769, DATE_TIME = 0x0132, DATE_TIME_ORIGINAL = 0x9003;

function tiff(view, start) {
  const little = view.getUint16(start) === 0x4949;  // "II": Intel byte order; "MM": Motorola
  const u16 = (o) => view.getUint16(start + o, little);
  const u32 = (o) => view.getUint32(start + o, little);
  if (u16(2) !== 42) return null;
  const entries = (ifd) => {
    const out = new Map();
    if (!ifd || start + ifd + 2 > view.byteLength) return out;
    const n = u16(ifd);
    for (let i = 0; i < n; i++) {
      const e = ifd + 2 + i * 12;
      if (start + e + 12 > view.byteLength) break;
      out.set(u16(e), { type: u16(e + 2), count: u32(e + 4), at: e + 8 });
    }
    return out;
  };
  // The value's offset: inline when it fits in 4 bytes, else the stored offset.
  const where = (entry, size) => (entry.count * size <= 4 ? entry.at : u32(entry.at));
  const ascii = (entry) => {
    if (!entry || entry.type !== 2) return null;
    const o = where(entry, 1);
    let s = "";
    for (let i = 0; i < entry.count && start + o + i < view.byteLength; i++) {
      const c = view.getUint8(start + o + i);
      if (c === 0) break;
      s += String.fromCharCode(c);
    }
    return s;
  };
  const rationals = (entry) => {
    if (!entry || entry.type !== 5) return null;
    const o = where(entry, 8);
    const out = [];
    for (let i = 0; i < entry.count; i++) {
      const den = u32(o + i * 8 + 4);
      out.push(den ? u32(o + i * 8) / den : 0);
    }
    return out;
  };
  const pointer = (entry) => (entry && (entry.type === 4 || entry.type === 13) ? u32(entry.at) : 0);
  return { entries, ascii, rationals, pointer, first: u32(4) };
}

function degrees(parts, ref) {
  if (!parts || parts.length < 3 || !ref) return null;
  const value = parts[0] + parts[1] / 60 + parts[2] / 3600;
  return ref === "S" || ref === "W" ? -value : value;
}

/** "2026:05:01 09:30:00" (local time, no zone) -> ISO 8601 with the phone's own offset. */
function isoTime(text) {
  const m = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})/.exec(text || "");
  if (!m) return null;
  const local = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  if (Number.isNaN(local.getTime())) return null;
  const off = -local.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  const pad = (n) => String(Math.abs(Math.trunc(n))).padStart(2, "0");
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${sign}${pad(off / 60)}:${pad(off % 60)}`;
}

export function readExif(buffer) {
  const none = { lon: null, lat: null, takenAt: null };
  const view = new DataView(buffer);
  if (view.byteLength < 4 || view.getUint16(0) !== 0xffd8) return none;
  let o = 2;
  while (o + 4 <= view.byteLength) {
    const marker = view.getUint16(o);
    if ((marker & 0xff00) !== 0xff00 || marker === 0xffda) break;  // start of scan: no more metadata
    const length = view.getUint16(o + 2);
    if (marker === 0xffe1 && o + 10 <= view.byteLength && view.getUint32(o + 4) === 0x45786966) {  // "Exif"
      const t = tiff(view, o + 10);
      if (!t) return none;
      const ifd0 = t.entries(t.first);
      const gps = t.entries(t.pointer(ifd0.get(GPS_IFD)));
      const exif = t.entries(t.pointer(ifd0.get(EXIF_IFD)));
      const lat = degrees(t.rationals(gps.get(2)), t.ascii(gps.get(1)));
      const lon = degrees(t.rationals(gps.get(4)), t.ascii(gps.get(3)));
      const ok = lat !== null && lon !== null && Math.abs(lat) <= 90 && Math.abs(lon) <= 180 && (lat !== 0 || lon !== 0);
      return { lon: ok ? lon : null, lat: ok ? lat : null,
        takenAt: isoTime(t.ascii(exif.get(DATE_TIME_ORIGINAL)) || t.ascii(ifd0.get(DATE_TIME))) };
    }
    o += 2 + length;
  }
  return none;
}
