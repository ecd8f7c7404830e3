"""The supervisor's workspace: its page shell (no inline script or style, the console's modules), the words and
colours its legend reads from the hotspots API, and the week arithmetic of the briefing's outlook."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from gis.forecast.outlook import next_iso_week
from gis.settings import DatabaseSettings
from maps import STATIC_DIR
from tests.conftest import make_token


def test_the_workspace_page_is_a_shell_of_modules_without_inline_code(app_client: TestClient) -> None:
    html = app_client.get("/maps/workspace")
    assert html.status_code == 200 and "研判督导工作台" in html.text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html.text, flags=re.S)
    assert scripts and all('src="/static/' in attrs and body.strip() == "" for attrs, body in scripts)
    assert "<style" not in html.text and " style=" not in html.text and not re.search(r"\son[a-z]+=", html.text)
    main = app_client.get("/static/supervisor/workspace/main.js").text
    # The console's API client, store (labels from /api/v1/meta) and user bar, not copies of them.
    for module in ("/static/console/api.js", "/static/console/store.js", "/static/console/userbar.js"):
        assert module in main
    assert "/api/v1/meta" in main
    sources = "".join(p.read_text(encoding="utf-8") for p in (STATIC_DIR / "supervisor" / "workspace").glob("*.js"))
    assert "localStorage" not in sources and "innerHTML" not in sources and "Authorization" not in sources


def test_the_legend_reads_its_words_and_colours_from_the_hotspots_answer(app_client: TestClient,
                                                                        db_settings: DatabaseSettings) -> None:
    supervisor = {"Authorization": f"Bearer {make_token(db_settings, 'ws-api-sup', 'supervisor')}"}
    r = app_client.get("/api/v1/hotspots", params={"tier": "town", "since": "7d", "geometry": "false"},
                       headers=supervisor)
    assert r.status_code == 200, r.text
    meta = r.json()["meta"]
    assert meta["labels"] == {"red": "红色（高风险）", "yellow": "黄色（中风险）", "blue": "蓝色（低风险）"}
    assert meta["colours"] == {"red": "#d7301f", "yellow": "#fdbb2d", "blue": "#4a90d9"}
    assert len(r.json()["features"]) == 17


def test_the_week_after_a_week_crosses_year_ends() -> None:
    assert next_iso_week("2026-W48") == "2026-W49"
    assert next_iso_week("2026-W53") == "2027-W01"  # 2026 has 53 ISO weeks
    assert next_iso_week("2025-W52") == "2026-W01"
