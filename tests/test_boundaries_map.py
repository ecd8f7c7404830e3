"""The problem map of a boundary load works offline: rendered in headless Chromium with no network."""

from __future__ import annotations

import re
from pathlib import Path

import folium
import psycopg
import pytest
from folium.plugins import MarkerCluster

from gis.boundaries.load import LoadOptions, prepare
from maps.folium_assets import RemoteAssetError, offline_html
from maps.report_map import report_map
from tests.browser_support import chromium
from tests.fixtures.boundaries.make_fixtures import CORPUS


def test_problem_map_renders_offline_with_working_popups(conn: psycopg.Connection, tmp_path: Path) -> None:
    prepared = prepare(conn, CORPUS / "overlap", LoadOptions(standalone=True))
    out = tmp_path / "problems.html"
    report_map(prepared).save(str(out))
    html = out.read_text(encoding="utf-8")
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="https?://', html)  # no CDN: intranets have none
    with chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        remote: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: remote.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        page.goto(out.as_uri())
        opened = page.evaluate("Object.keys(window).filter(k => k.startsWith('circle_marker_'))"
                               ".map(k => window[k].openPopup()).length")
        text = page.inner_text(".leaflet-popup-content")
    assert errors == [] and remote == []  # folium popups call jQuery's $(): it must be there, inlined
    assert opened == 1
    assert text.split("\n") == ["sibling_overlap 990101001001001", "overlaps 990101001001002", "112,599.8 m²"]


def test_unvendored_plugin_assets_are_refused() -> None:
    m = folium.Map(tiles=None)
    MarkerCluster().add_to(m)
    with pytest.raises(RemoteAssetError, match="leaflet.markercluster"):
        offline_html(m)
