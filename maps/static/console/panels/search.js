// The one search box: case number, party name, phone, ID number, village or grid name (the server decides
// what the caller may search by). Results fill the case list; a single hit opens the case.
import { loadCases, selectCase, set, state } from "../store.js";
import { html } from "../view.js";

export function SearchBox() {
  // The input is uncontrolled (no value property): a re-render never touches what is being typed.
  const run = async (e) => {
    e.preventDefault();
    const text = e.target.elements.search.value.trim();
    set({ filters: { ...state.filters, search: text }, page: { ...state.page, offset: 0 }, tab: "cases" });
    const res = await loadCases();
    if (text && res && res.ok && res.body.total === 1) selectCase(res.body.items[0].id);
  };
  const clear = (e) => { e.target.form.elements.search.value = ""; set({ filters: { ...state.filters, search: "" }, page: { ...state.page, offset: 0 } }); loadCases(); };
  return html`<form id="search-form" class="search" role="search" onSubmit=${run}>
    <input id="search" name="search" type="search" maxlength="64"
      placeholder="案件编号、当事人姓名、电话、身份证号、村（社区）或网格名称" aria-label="搜索案件" />
    <button type="submit" class="small">搜索</button>
    ${state.filters.search && html`<button type="button" class="small ghost" id="search-clear" onClick=${clear}>清除</button>`}
  </form>`;
}
