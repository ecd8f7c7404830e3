// Cases as a vector tile layer (clusters with counts below z12, points above), coloured by status and
// warning level; scoped by the server to the caller's region. Redrawn when case events arrive.
import { authorize } from "../api.js";

export const WARNING_COLOURS = { red: "#c62828", yellow: "#ef8f00", none: "#1565c0" };

export const CLOSED_COLOUR = "#9aa5b1";  // ended cases (closed, returned, duplicate) are drawn neutral

/** Open cases by warning level (none: blue, yellow, red); ended cases neutral whatever level they ended at. */
export function caseColour(props) {
  if (!props.open) return CLOSED_COLOUR;
  return WARNING_COLOURS[props.warning_level] || WARNING_COLOURS.none;
}

/** The case tiles draw only: clicks go to the map (mapclick.js finds the case under the pointer). */
export function caseLayer() {
  const layer = L.vectorGrid.protobuf("/tiles/cases/{z}/{x}/{y}.pbf", {
    rendererFactory: L.canvas.tile, maxNativeZoom: 18, interactive: false, pane: "markerPane",
    fetchOptions: authorize({}),
    vectorTileLayerStyles: {
      cases: (props) => {
        const n = props.n || 1;
        return { radius: n > 1 ? Math.min(22, 7 + Math.log2(n) * 3) : 6, color: "#fff", weight: 1.5,
          fill: true, fillColor: caseColour(props), fillOpacity: props.open ? 0.9 : 0.55 };
      },
    },
  });
  window.addEventListener("fengqiao:cases-changed", () => layer.redraw());
  return layer;
}
