// Boundary tiers as vector tiles, names drawn from each tier's "labels" layer at readable zooms,
// and the optional base map (XYZ or WMTS URL from the server's settings).
const STYLE = {
  county: { weight: 3, color: "#0d2440", fill: false },
  towns: { weight: 2.2, color: "#1f3a5f", fill: false },
  villages: { weight: 1.1, color: "#4d7ea8", fill: false },
  grids: { weight: 0.6, color: "#8fa9c0", fill: false },
};
const LABEL = { 2: { size: 15, color: "#0d2440", weight: 700 }, 3: { size: 11, color: "#24527a", weight: 600 },
  4: { size: 10, color: "#5c7186", weight: 400 } };
const icons = new Map();

function labelIcon(name, tier) {
  const key = tier + ":" + name;
  if (!icons.has(key)) {
    const s = LABEL[tier] || LABEL[4];
    const width = Math.ceil(name.length * s.size * 1.05) + 8;
    const height = s.size + 8;
    const text = name.replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<text x="50%" y="${s.size + 2}" text-anchor="middle" font-family="Noto Sans CJK SC, Microsoft YaHei, sans-serif" ` +
      `font-size="${s.size}" font-weight="${s.weight}" fill="${s.color}" stroke="#fff" stroke-width="3" paint-order="stroke">${text}</text></svg>`;
    icons.set(key, L.icon({ iconUrl: "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg),
      iconSize: [width, height], iconAnchor: [width / 2, height / 2] }));
  }
  return icons.get(key);
}

export function tierLayer(name, tilejson) {
  return L.vectorGrid.protobuf("/tiles/" + name + "/{z}/{x}/{y}.pbf", {
    rendererFactory: L.canvas.tile, minZoom: tilejson ? tilejson.minzoom : 6, maxNativeZoom: 18, interactive: false,
    attribution: tilejson ? tilejson.attribution : "",
    vectorTileLayerStyles: {
      areas: STYLE[name],
      labels: (props) => ({ icon: labelIcon(props.name, props.tier) }),
    },
  });
}

export async function addTiers(map) {
  const tiers = [["grids", "网格"], ["villages", "村（社区）"], ["towns", "镇（街道）"], ["county", "县界"]];
  const docs = await Promise.all(tiers.map(([name]) => fetch("/tiles/" + name + ".json")
    .then((r) => (r.ok ? r.json() : null)).catch(() => null)));
  const layers = {};
  tiers.forEach(([name, label], i) => { layers[label] = tierLayer(name, docs[i]).addTo(map); });
  return layers;
}

/** The configured base map, or null. WMTS KVP URLs get TILEMATRIX/TILEROW/TILECOL filled in. */
export function baseLayer(config) {
  if (!config || !config.basemap) return null;
  let url = config.basemap.url;
  if (/SERVICE=WMTS/i.test(url) && !url.includes("{z}")) url += "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}";
  return L.tileLayer(url, { attribution: config.basemap.attribution || "", maxZoom: 18, subdomains: "01234567" });
}
