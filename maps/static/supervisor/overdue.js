// The overdue / 督办 board: reads /api/v1/overdue and /api/v1/supervisions as the signed-in user.
import { api, errorText, whoami } from "/static/console/api.js";
import { mountUserBar } from "/static/console/userbar.js";

const user = await whoami();
mountUserBar(document.getElementById("user-bar"), user);
(function () {
  var limit = 50, offset = 0;
  var form = document.getElementById("filters");
  function get(path) {
    return api(path).then(function (res) { if (!res.ok) throw new Error(errorText(res)); return res.body; });
  }
  function cell(tr, text, cls) { var td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); }
  function query() {
    var q = new URLSearchParams();
    new FormData(form).forEach(function (v, k) { if (v) q.set(k, v); });
    return q;
  }
  function local(iso) { return new Date(iso).toLocaleString("zh-CN", {hour12: false}); }
  function exportLinks() {
    // Downloads of what the filters select (up to 500 rows), in the signed-in person's own region.
    var q = query(); q.set("limit", 500);
    [["export-xlsx", "/api/v1/overdue", "xlsx"], ["export-csv", "/api/v1/overdue", "csv"],
     ["export-supervisions", "/api/v1/supervisions", "xlsx"]].forEach(function (link) {
      var p = new URLSearchParams(q); p.set("format", link[2]);
      if (link[1] === "/api/v1/supervisions") p.delete("tier");
      document.getElementById(link[0]).href = link[1] + "?" + p;
    });
  }
  function load() {
    exportLinks();
    var q = query(); q.set("limit", limit); q.set("offset", offset);
    get("/api/v1/overdue?" + q).then(function (page) {
      var body = document.querySelector("#board tbody"); body.textContent = "";
      page.items.forEach(function (c) {
        var tr = document.createElement("tr");
        cell(tr, c.case_no); cell(tr, c.title); cell(tr, c.category_name); cell(tr, c.handling_unit); cell(tr, c.status_label);
        cell(tr, c.overdue ? "已超期" : (c.warning_level === "red" ? "红色预警" : "黄色预警"), c.overdue ? "red" : c.warning_level);
        cell(tr, local(c.due_at)); cell(tr, String(c.supervisions)); body.appendChild(tr);
      });
      document.getElementById("summary").textContent = page.total === 0 ? "共 0 件" : "共 " + page.total + " 件（其中超期 " +
        page.overdue + " 件），第 " + (offset + 1) + "–" + Math.min(offset + limit, page.total) + " 件（按办理时限排序）";
      document.getElementById("prev").disabled = offset === 0;
      document.getElementById("next").disabled = offset + limit >= page.total;
    }).catch(function (e) { document.getElementById("summary").textContent = "无法读取：" + e.message; });
    var s = query(); s.delete("tier"); s.set("limit", 50);
    get("/api/v1/supervisions?" + s).then(function (page) {
      var body = document.querySelector("#supervisions tbody"); body.textContent = "";
      page.items.forEach(function (r) {
        var tr = document.createElement("tr");
        cell(tr, local(r.at)); cell(tr, r.supervision_label || r.level, r.level); cell(tr, r.reason); cell(tr, r.case_no);
        cell(tr, r.title); cell(tr, r.status_label || r.status); body.appendChild(tr);
      });
    }).catch(function () {});
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); offset = 0; load(); });
  document.getElementById("prev").addEventListener("click", function () { offset = Math.max(0, offset - limit); load(); });
  document.getElementById("next").addEventListener("click", function () { offset += limit; load(); });
  if (user) load(); else document.getElementById("summary").textContent = "请先登录。";
})();
