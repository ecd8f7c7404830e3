// The view library: htm + Preact (one vendored ES module, no build step).
export { html, render, useState, useEffect, useRef, useMemo, useCallback } from "/static/vendor/htm/preact-standalone.module.js";

export const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "");

export function since(iso, now = Date.now()) {
  if (!iso) return "";
  const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (s < 60) return s + " 秒";
  if (s < 3600) return Math.floor(s / 60) + " 分钟";
  if (s < 86400) return Math.floor(s / 3600) + " 小时 " + Math.floor((s % 3600) / 60) + " 分";
  return Math.floor(s / 86400) + " 天";
}
