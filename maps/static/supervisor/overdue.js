// The overdue / 督办 board: reads /api/v1/overdue and /api/v1/supervisions with the console's token.
(function () {
  var params = new URLSearchParams(location.search);
  if (params.get("token")) { localStorage.setItem("fengqiao.token", params.get("token")); }
  var token = localStorage.getItem("fengqiao.token"), limit = 50, offset = 0;
  var form = document.getElementById("filters");
  function get(path) {
    return fetch(path, {headers: token ? {"Authorization": "Bearer " + token} : {}}).then(function (r) {
      return r.json().then(function (body) { if (!r.ok) throw new Error(body.error ? body.error.message : r.statusText); return body; });
    });
  }
  function cell(tr, text, cls) { var td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); }
  function query() {
    var q = new URLSearchParams();
    new FormData(form).forEach(function (v, k) { if (v) q.set(k, v); });
    return q;
  }
  function local(iso) { return new Date(iso).toLocaleString("zh-CN", {hour12: false}); }
  function load() {
    var q = query(); q.set("limit", limit); q.set("offset", offset);
    get("/api/v1/overdue?" + q).then(function (page) {
      var body = document.querySelector("#board tbody"); body.textContent = "";
      page.items.forEach(function (c) {
        var tr = document.createElement("tr");
        cell(tr, c.case_no); cell(tr, c.title); cell(tr, c.category_name); cell(tr, c.handling_unit); cell(tr, c.status_label);
        cell(tr, c.overdue ? "已超期" : (c.warning_level === "red" ? "红色预警" : "黄色预警"), c.overdue ? "red" : c.warning_level);
        cell(tr, local(c.due_at)); cell(tr, String(c.supervisions)); body.appendChild(tr);
      });
      document.getElementById("summary").textContent = "共 " + page.total + " 件，第 " + (offset + 1) + "–" +
        Math.min(offset + limit, page.total) + " 件（按办理时限排序）";
      document.getElementById("prev").disabled = offset === 0;
      document.getElementById("next").disabled = offset + limit >= page.total;
    }).catch(function (e) { document.getElementById("summary").textContent = "无法读取：" + e.message; });
    var s = query(); s.delete("tier"); s.set("limit", 50);
    get("/api/v1/supervisions?" + s).then(function (page) {
      var body = document.querySelector("#supervisions tbody"); body.textContent = "";
      page.items.forEach(function (r) {
        var tr = document.createElement("tr");
        cell(tr, local(r.at)); cell(tr, r.level === "red" ? "红色" : "黄色", r.level); cell(tr, r.reason); cell(tr, r.case_no);
        cell(tr, r.title); cell(tr, r.status); body.appendChild(tr);
      });
    }).catch(function () {});
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); offset = 0; load(); });
  document.getElementById("prev").addEventListener("click", function () { offset = Math.max(0, offset - limit); load(); });
  document.getElementById("next").addEventListener("click", function () { offset += limit; load(); });
  load();
})();
