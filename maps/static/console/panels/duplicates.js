// Duplicate suggestions while a case is typed in, before it is saved: open cases with the same phone or ID number,
// or a party of the same name nearby in the same category (POST: the numbers stay out of addresses and logs).
import { api } from "../api.js";
import { selectCase } from "../store.js";
import { html, useEffect, useState } from "../view.js";

export function DuplicateHint({ category, loc, parties }) {
  const [found, setFound] = useState(null);
  const typed = parties.filter((p) => p.name.trim() || p.phone.trim() || p.id_number.trim());
  const key = JSON.stringify([category, loc.lon, loc.lat, typed]);
  useEffect(() => {
    if (!category || !typed.length) { setFound(null); return undefined; }
    const t = setTimeout(async () => {
      const res = await api("/api/v1/cases/duplicates", { method: "POST", json: { category, lon: loc.lon, lat: loc.lat,
        parties: typed.map((p) => ({ name: p.name.trim(), phone: p.phone.trim() || null, id_number: p.id_number.trim() || null })) } });
      setFound(res.ok ? res.body.candidates : null);
    }, 400);
    return () => clearTimeout(t);
  }, [key]);
  if (!found || !found.length) return null;
  return html`<div id="duplicates" class="duplicates" role="status"><b>可能重复（保存前请核对）</b><ul>
    ${found.map((c) => html`<li key=${c.id} data-case=${c.id}>
      <a href="#" onClick=${(e) => { e.preventDefault(); selectCase(c.id); }}>${c.case_no}</a>
      ${c.category_name} · ${c.status_label} · ${c.reason_labels.join("、")}${c.distance_m != null ? ` · ${Math.round(c.distance_m)} 米` : ""}
    </li>`)}</ul></div>`;
}
