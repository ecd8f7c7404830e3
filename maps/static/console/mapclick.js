// One click handler for the map, whatever layers are on: a click on a case (within a few pixels, while the 案件
// layer is shown) opens it; on a cluster of cases (zoomed out) it zooms in; anywhere else it locates the point.
import { api, query } from "./api.js";

const TOLERANCE_PX = 9;

/** Cases drawn within TOLERANCE_PX of the clicked point, nearest first (the API's own region applies). */
async function casesAt(map, latlng) {
  const p = map.latLngToContainerPoint(latlng);
  const sw = map.containerPointToLatLng([p.x - TOLERANCE_PX, p.y + TOLERANCE_PX]);
  const ne = map.containerPointToLatLng([p.x + TOLERANCE_PX, p.y - TOLERANCE_PX]);
  const res = await api("/api/v1/cases" + query({ bbox: [sw.lng, sw.lat, ne.lng, ne.lat].map((v) => v.toFixed(7)).join(","),
    limit: 20 }));
  if (!res.ok) return [];
  const px = (c) => map.latLngToContainerPoint([c.lat, c.lon]).distanceTo(p);
  return res.body.items.filter((c) => c.lat != null && px(c) <= TOLERANCE_PX).sort((a, b) => px(a) - px(b));
}

/** Wire the map's clicks: ``caseLayer()`` is the 案件 layer (or null), ``openCase(id)``, ``locate(lon, lat)``. */
export function handleMapClicks(map, { caseLayer, openCase, locate, mark }) {
  map.on("click", async (e) => {
    const layer = caseLayer();
    if (layer && map.hasLayer(layer)) {
      const hits = await casesAt(map, e.latlng);
      const zoomedOut = map.getZoom() < 12;  // below z12 the tiles draw clusters, not single cases
      const sameSpot = hits.length > 1 && hits.every((c) => c.lat === hits[0].lat && c.lon === hits[0].lon);
      if (hits.length > 1 && zoomedOut && !sameSpot) {
        map.setView(e.latlng, Math.min(map.getZoom() + 2, 14));
        return;
      }
      if (hits.length >= 1) { openCase(hits[0].id); return; }
    }
    mark(e.latlng);
    locate(e.latlng.lng, e.latlng.lat);
  });
}
