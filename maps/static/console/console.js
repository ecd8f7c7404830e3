// Operator console: boundary tiers as vector tiles from the API; no external network needed.
(function () {
  "use strict";
  // The demo prints a console URL with ?token=...; keep it for this browser and drop it from the address bar.
  const params = new URLSearchParams(window.location.search);
  if (params.get("token")) {
    localStorage.setItem("fengqiao.token", params.get("token"));
    history.replaceState(null, "", window.location.pathname);
  }
  function api(path, options) {
    const opts = Object.assign({ headers: {} }, options || {});
    const token = localStorage.getItem("fengqiao.token");
    if (token) opts.headers["Authorization"] = "Bearer " + token;
    return fetch(path, opts).then((r) => r.json().then((body) => ({ ok: r.ok, status: r.status, body: body })));
  }
  const map = L.map("map", { preferCanvas: true, zoomControl: true }).setView([24.12, 114.62], 10);
  window.fengqiaoMap = map;
  const tierStyle = {
    towns: { weight: 2.2, color: "#1f3a5f", fill: false },
    villages: { weight: 1.1, color: "#4d7ea8", fill: false },
    grids: { weight: 0.5, color: "#9bb3c9", fill: true, fillColor: "#f7f9fb", fillOpacity: 0.6 },
  };
  function tierLayer(name, minZoom) {
    return L.vectorGrid.protobuf("/tiles/" + name + "/{z}/{x}/{y}.pbf", {
      rendererFactory: L.canvas.tile, minZoom: minZoom, maxNativeZoom: 18, interactive: false,
      vectorTileLayerStyles: { areas: tierStyle[name] },
    });
  }
  const layers = { "网格": tierLayer("grids", 12), "村（社区）": tierLayer("villages", 9), "镇（街道）": tierLayer("towns", 6) };
  Object.values(layers).forEach((layer) => layer.addTo(map));
  L.control.layers(null, layers, { collapsed: false }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);

  fetch("/readyz").then((r) => r.json()).then((body) => {
    document.getElementById("status").textContent = body.status === "ok" ? "服务正常" : "服务未就绪";
    if (body.checks && body.checks.generation) document.getElementById("generation").textContent = "边界版本 " + body.checks.generation;
  });
  fetch("/api/v1/areas/extent").then((r) => (r.ok ? r.json() : null)).then((extent) => {
    if (extent && extent.bbox) map.fitBounds([[extent.bbox[1], extent.bbox[0]], [extent.bbox[3], extent.bbox[2]]]);
  });

  window.fengqiaoConsole = { map: map, layers: layers, api: api };
})();
