// Operator console: boundary tiers as vector tiles, click-to-locate, case intake, recommendations and
// dispatch, live events. Everything is served by the application (no CDN, no external base map).
(function () {
  "use strict";
  const params = new URLSearchParams(window.location.search);
  if (params.get("token")) {  // the demo prints a console URL with ?token=...
    localStorage.setItem("fengqiao.token", params.get("token"));
    history.replaceState(null, "", window.location.pathname);
  }
  const token = () => localStorage.getItem("fengqiao.token");
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

  function api(path, options) {
    const opts = Object.assign({ headers: {} }, options || {});
    if (token()) opts.headers["Authorization"] = "Bearer " + token();
    if (opts.json !== undefined) { opts.body = JSON.stringify(opts.json); opts.headers["Content-Type"] = "application/json"; }
    return fetch(path, opts).then((r) => r.json().catch(() => ({})).then((body) => ({ ok: r.ok, status: r.status, body: body })));
  }
  const ORDER_LABELS = { dispatched: "已派遣", accepted: "已报到", en_route: "在途", on_scene: "已到场", completed: "已完成",
    declined: "已拒绝", returned: "已退回", cancelled: "已取消" };
  const errorText = (res) => (res.body && res.body.error ? res.body.error.message + "（" + res.body.error.reason + "）" : "HTTP " + res.status);

  const map = L.map("map", { preferCanvas: true }).setView([24.12, 114.62], 10);
  const tierStyle = {
    towns: { weight: 2.2, color: "#1f3a5f", fill: false },
    villages: { weight: 1.1, color: "#4d7ea8", fill: false },
    grids: { weight: 0.5, color: "#9bb3c9", fill: true, fillColor: "#f7f9fb", fillOpacity: 0.6 },
  };
  const tierLayer = (name, minZoom) => L.vectorGrid.protobuf("/tiles/" + name + "/{z}/{x}/{y}.pbf", {
    rendererFactory: L.canvas.tile, minZoom: minZoom, maxNativeZoom: 18, interactive: false,
    vectorTileLayerStyles: { areas: tierStyle[name] },
  });
  const layers = { "网格": tierLayer("grids", 12), "村（社区）": tierLayer("villages", 9), "镇（街道）": tierLayer("towns", 6) };
  Object.values(layers).forEach((layer) => layer.addTo(map));
  const caseLayer = L.layerGroup().addTo(map);
  L.control.layers(null, Object.assign({}, layers, { "案件": caseLayer }), { collapsed: false }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  let marker = null;
  let picked = null;

  fetch("/readyz").then((r) => r.json()).then((body) => {
    $("status").textContent = body.status === "ok" ? "服务正常" : "服务未就绪";
    if (body.checks && body.checks.generation) $("generation").textContent = "边界版本 " + body.checks.generation;
  });
  fetch("/api/v1/areas/extent").then((r) => (r.ok ? r.json() : null)).then((extent) => {
    if (extent && extent.bbox) map.fitBounds([[extent.bbox[1], extent.bbox[0]], [extent.bbox[3], extent.bbox[2]]]);
  });

  // -- locate ----------------------------------------------------------------------------------
  map.on("click", (e) => locateAt(e.latlng.lng, e.latlng.lat));
  function locateAt(lon, lat) {
    if (marker) marker.remove();
    marker = L.circleMarker([lat, lon], { radius: 7, color: "#c62828" }).addTo(map);
    return api("/api/v1/locate?lon=" + lon + "&lat=" + lat).then((res) => {
      if (!res.ok) { $("info").innerHTML = "<h2>网格信息</h2><p class='error'>" + esc(errorText(res)) + "</p>"; return; }
      const b = res.body;
      picked = b.inside ? { lon: b.lon, lat: b.lat } : null;
      let html = "<h2>网格信息</h2>";
      if (!b.inside) {
        html += "<p>该点不在辖区内。最近网格：" + esc(b.nearest_grid.name) + "（" + Math.round(b.nearest_grid.distance_m) + " 米）</p>";
      } else {
        const label = { 1: "县", 2: "镇（街道）", 3: "村（社区）", 4: "网格" };
        html += "<dl class='chain'>" + b.chain.map((l) => "<dt>" + label[l.tier] + "</dt><dd>" + esc(l.name) + " <span class='code'>" + esc(l.code) + "</span></dd>").join("");
        html += "<dt>距边界</dt><dd>" + b.distance_to_boundary_m.toFixed(1) + " 米</dd></dl>";
        if (b.neighbours.length) html += "<p class='warn'>靠近边界，也可能属于：" + b.neighbours.map((n) => esc(n.name) + "（" + n.distance_m + " 米）").join("、") + "</p>";
        if (b.responsible) {
          const people = b.responsible.grid_workers.concat(b.responsible.mediators);
          html += "<p>责任人：" + (people.length ? people.map((p) => esc(p.name) + " " + esc(p.organisation) + " " + esc(p.phone)).join("；") : "未配置") + "</p>";
        }
      }
      $("info").innerHTML = html;
      $("intake").hidden = !(b.inside && token());
    });
  }

  // -- case intake -----------------------------------------------------------------------------
  function loadCategories() {
    return api("/api/v1/categories").then((res) => {
      if (!res.ok) return;
      $("case-category").innerHTML = res.body.categories.filter((c) => c.code !== c.class_code)
        .map((c) => "<option value='" + esc(c.code) + "'>" + esc(c.class_name + " / " + c.name) + "</option>").join("");
    });
  }
  $("case-form").addEventListener("submit", (e) => {
    e.preventDefault();
    if (!picked) return;
    $("case-submit").disabled = true;
    api("/api/v1/cases", { method: "POST", headers: { "Idempotency-Key": "console-" + Date.now() + "-" + Math.random() }, json: {
      category: $("case-category").value, source_channel: $("case-channel").value, severity: $("case-severity").value,
      description: $("case-description").value, lon: picked.lon, lat: picked.lat,
    } }).then((res) => {
      $("case-submit").disabled = false;
      if (!res.ok) { $("case").hidden = false; $("case").innerHTML = "<p class='error'>" + esc(errorText(res)) + "</p>"; return; }
      $("case-description").value = "";
      showCase(res.body.id);
      refreshCases();
    });
  });

  // -- cases, recommendations, dispatch --------------------------------------------------------
  function showCase(id) {
    Promise.all([api("/api/v1/cases/" + id), api("/api/v1/cases/" + id + "/recommendations?role=mediator&role=police&role=lawyer&k=3"),
      api("/api/v1/cases/" + id + "/dispatches")]).then(([c, rec, orders]) => {
      if (!c.ok) return;
      const b = c.body;
      let html = "<h2>案件 <span id='case-no'>" + esc(b.case_no) + "</span></h2><p>" + esc(b.category_name) + " · " + esc(b.status_label) +
        " · 承办：" + esc(b.handling_unit) + "<br>期限：" + new Date(b.due_at).toLocaleString("zh-CN") + "</p>";
      if (orders.ok && orders.body.orders.length) {
        html += "<p>已派：" + orders.body.orders.map((o) => esc(o.staff_name) + "（" + esc(ORDER_LABELS[o.status] || o.status) + "）").join("、") + "</p>";
      }
      if (rec.ok) {
        const names = { mediator: "调解员", police: "民警", lawyer: "律师" };
        Object.entries(rec.body.roles).forEach(([role, r]) => {
          html += "<h3>推荐" + names[role] + "</h3><ol class='cands'>" + r.candidates.map((c) =>
            "<li><b>" + esc(c.name) + "</b> " + Math.round(c.distance_m) + " 米 <button class='small' data-dispatch='" + c.staff_id + "'>派遣</button><div class='why'>" + c.reasons.map(esc).join("，") + "</div></li>").join("") + "</ol>";
        });
      }
      $("case").innerHTML = html;
      $("case").hidden = false;
      $("case").querySelectorAll("button[data-dispatch]").forEach((btn) => btn.addEventListener("click", () => {
        api("/api/v1/cases/" + id + "/dispatches", { method: "POST", json: { staff: [{ staff_id: Number(btn.dataset.dispatch), role: "lead" }] } })
          .then((res) => { if (!res.ok) alert(errorText(res)); showCase(id); });
      }));
    });
  }
  function refreshCases() {
    if (!token()) return;
    api("/api/v1/cases?limit=50&status=registered&status=triaged&status=handling&status=escalated").then((res) => {
      if (!res.ok) return;
      caseLayer.clearLayers();
      $("case-list").innerHTML = res.body.items.map((c) => "<li><a href='#' data-case='" + c.id + "'>" + esc(c.case_no) + "</a> " +
        esc(c.category_name) + " <span class='level-" + c.warning_level + "'>" + (c.warning_level === "none" ? "" : c.warning_level === "red" ? "红色预警" : "黄色预警") + "</span></li>").join("");
      $("case-list").querySelectorAll("a[data-case]").forEach((a) => a.addEventListener("click", (e) => { e.preventDefault(); showCase(Number(a.dataset.case)); }));
      res.body.items.filter((c) => c.lat !== null).forEach((c) => {
        const colour = c.warning_level === "red" ? "#c62828" : c.warning_level === "yellow" ? "#ef8f00" : "#1565c0";
        L.circleMarker([c.lat, c.lon], { radius: 6, color: colour, fillOpacity: 0.8 }).on("click", () => showCase(c.id)).addTo(caseLayer);
      });
    });
  }

  // -- live events (fetch-based SSE so the bearer token stays out of URLs) ----------------------
  function listen(after) {
    if (!token()) return;
    const url = "/api/v1/events" + (after ? "?after=" + after : "");
    fetch(url, { headers: { Authorization: "Bearer " + token() } }).then((res) => {
      if (!res.ok || !res.body) return;
      $("live").textContent = "实时：已连接"; $("live").className = "badge on";
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "", last = after || 0;
      const pump = () => reader.read().then(({ value, done }) => {
        if (done) throw new Error("closed");
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const chunk = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
          const id = /^id: (\d+)/m.exec(chunk);
          if (id) last = Number(id[1]);
          const kind = /^event: (.+)$/m.exec(chunk);
          if (kind && kind[1].startsWith("case.")) refreshCases();
        }
        return pump();
      });
      return pump().catch(() => {
        $("live").textContent = "实时：重连中"; $("live").className = "badge muted";
        setTimeout(() => listen(last), 3000);
      });
    }).catch(() => setTimeout(() => listen(after), 3000));
  }

  $("login").hidden = !!token();
  $("login").addEventListener("submit", (e) => { e.preventDefault(); localStorage.setItem("fengqiao.token", $("token").value); location.reload(); });
  if (token()) { loadCategories(); refreshCases(); listen(0); }

  window.fengqiaoConsole = { map: map, layers: layers, api: api, locateAt: locateAt, showCase: showCase };
})();
