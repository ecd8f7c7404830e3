"""The GIS officer in the browser, signed in through the /login form: upload, report, map, confirmation.

A one-town grid file with an overlap is checked (the problem list zooms the map to it); the fixed file (two grids
merged) is saved, and the confirmation shows what activating it changes before the officer activates it.
Screenshots in var/artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from playwright.sync_api import Browser

from gis.boundaries.generations import activate
from gis.settings import DatabaseSettings
from gis.storage.pool import connect
from tests.browser_support import chromium, live_server, make_person, page_errors, sign_in
from tests.test_boundaries_activation import merged_town_grids

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "artifacts"


@pytest.fixture(scope="module")
def base_url(db_settings: DatabaseSettings) -> Iterator[str]:
    with live_server(db_settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def back_to_sample(db_settings: DatabaseSettings) -> Iterator[None]:
    yield
    with connect(db_settings) as c:
        activate(c, ref="sample-county", user=None, override=True)
        c.commit()


def test_the_gis_officer_checks_saves_and_activates_a_town_update(
        browser: Browser, base_url: str, db_settings: DatabaseSettings, sample_gpkg: Path, tmp_path: Path,
        back_to_sample: None) -> None:
    make_person(db_settings, "gis-officer", "gis", display="周测绘")
    grids, kept, gone = merged_town_grids(sample_gpkg)
    fixed = tmp_path / "隆塘镇网格.geojson"
    grids.to_file(fixed, engine="pyogrio")
    broken = tmp_path / "隆塘镇网格-有重叠.geojson"
    overlapping = grids.copy()
    overlapping.loc[overlapping.index[1], "geometry"] = shapely.buffer(overlapping.geometry.iloc[1], 0.002)
    overlapping.to_file(broken, engine="pyogrio")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_context(viewport={"width": 1360, "height": 1500}).new_page()
    errors = page_errors(page)

    sign_in(page, base_url, "gis-officer")
    page.wait_for_url(base_url + "/boundaries")  # the GIS role lands on its page
    page.wait_for_selector("body[data-ready='1']")
    assert page.text_content("#who") == "周测绘 · 地理信息管理员 · 全县"
    assert page.text_content("#old-caption") == "现行版本 sample-county"
    page.wait_for_selector("#map-old path.leaflet-interactive", state="attached")

    # 1. the broken file: the report in Chinese, names beside codes, the problem list zooms the map
    page.set_input_files("#file", str(broken))
    page.select_option("#tier", "grid")
    page.click("#check-submit")
    page.wait_for_selector("#report:not([hidden]) #problems li", timeout=180_000)
    assert "检查未通过" in page.text_content("#verdict")
    first = page.locator("#problems li").first
    text = first.text_content() or ""
    assert "【错误】同级区划相互重叠" in text and "网格）" in text and "：与 " in text  # code（name）
    assert page.is_disabled("#commit")
    first.click()
    page.wait_for_selector("#problems li.selected")
    assert page.locator("#map-new .leaflet-tooltip").count() == 1  # the problem's marker says what it is
    page.screenshot(path=str(ARTIFACTS / "boundaries-report.png"), full_page=True)

    # 2. the fixed file: passes, is saved, and the confirmation says what activating it changes
    page.set_input_files("#file", str(fixed))
    page.fill("#generation", "隆塘镇网格合并")
    page.click("#check-submit")
    page.wait_for_selector("#no-problems:not([hidden])", timeout=180_000)
    assert "检查通过" in page.text_content("#verdict")
    assert "网格 8,534 个" in page.text_content("#counts")
    page.click("#commit")  # stores 8,534 grids, then reads what activation would change: a minute or more
    page.wait_for_selector("#activation:not([hidden]), #commit-msg.error", timeout=300_000)
    assert page.get_attribute("#commit-msg", "class") == "msg ok", page.text_content("#commit-msg")
    changes = page.text_content("#changes") or ""
    assert "共 2 处区划变化" in changes
    assert "删除网格" in changes and gone in changes and kept in changes
    assert "网格：现行 8,535 个，将删除 1 个（0.0%）" in changes
    assert page.is_hidden("#override-box")
    assert page.is_disabled("#activate")
    page.check("#confirm")
    page.screenshot(path=str(ARTIFACTS / "boundaries-confirm.png"), full_page=True)
    page.click("#activate")
    page.wait_for_selector("#activate-msg.ok", timeout=120_000)
    assert page.text_content("#activate-msg") == "版本 隆塘镇网格合并 已启用，各服务将在几秒内切换"
    assert errors == []
