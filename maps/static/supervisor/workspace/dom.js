// Small DOM helpers of the workspace (plain DOM: text always goes in as text, never as HTML).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "className") node.className = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) if (child !== null && child !== undefined) node.append(child);
  return node;
}

export const pct = (v) => (v === null || v === undefined ? "—" : (100 * v).toFixed(1) + "%");
export const num = (v, digits = 1) => (v === null || v === undefined ? "—" : Number(v).toFixed(digits));
export const local = (iso) => new Date(iso).toLocaleString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" });

/** A link that opens a case in the console (the console reads #case=). */
export const caseLink = (id, text) => el("a", { href: "/#case=" + id, className: "case-link", target: "_blank", rel: "noopener" }, text);
