"""Account administration: towns and staff codes that do not exist are refused (API and CLI), the lists an
administrator picks from, who is signed in, and the audit log's CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from api.cli import main as cli
from gis.settings import DatabaseSettings
from gis.staff.roster import StaffRecord
from gis.storage import staff as staff_store
from gis.storage.pool import connect
from tests.conftest import make_token, use_database

TOWN = "449901001000"  # 隆联街道 in the sample county's active boundaries
VILLAGE = "449901001008"  # a village: a real area, but not a town
PASSWORD = "Admin-page-horse-4"


@pytest.fixture(scope="module")
def roster_member(db_settings: DatabaseSettings) -> str:
    with connect(db_settings) as c:
        staff_store.upsert_staff(c, records=[StaffRecord(
            staff_code="ADMINPAGE1", name="钱网格", role="grid_worker", skills=("02",), territory=(),
            home_lon=114.6301, home_lat=24.1301, capacity=3)])
        c.commit()
    return "ADMINPAGE1"


def test_the_api_refuses_an_unknown_town_and_staff_code(app_client: TestClient, db_settings: DatabaseSettings,
                                                        roster_member: str) -> None:
    admin = {"Authorization": f"Bearer {make_token(db_settings, 'ua-admin', 'admin')}"}
    for town in ("449901999000", VILLAGE):
        refused = app_client.post("/api/v1/users", headers=admin,
                                  json={"username": "ua-ghost-town", "role": "operator", "town_code": town})
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["reason"] == "unknown_town"
        assert error["message"] == f"乡镇代码 {town} 不是现行边界版本中的乡镇（街道），请从列表中选择"
    refused = app_client.post("/api/v1/users", headers=admin,
                              json={"username": "ua-ghost-staff", "role": "field", "staff_code": "NOSUCH9"})
    assert refused.status_code == 422
    assert refused.json()["error"]["reason"] == "unknown_staff"
    assert refused.json()["error"]["message"] == "人员编号 NOSUCH9 不在人员花名册中（或已停用），请从花名册中选择"
    names = {u["username"] for u in app_client.get("/api/v1/users", headers=admin).json()["items"]}
    assert "ua-ghost-town" not in names and "ua-ghost-staff" not in names
    made = app_client.post("/api/v1/users", headers=admin,
                           json={"username": "ua-field", "role": "field", "town_code": TOWN,
                                 "staff_code": roster_member, "password": PASSWORD})
    assert made.status_code == 201, made.text
    user_id = made.json()["id"]
    # A change to a town or staff member that does not exist is refused the same way, and changes nothing.
    moved = app_client.patch(f"/api/v1/users/{user_id}", headers=admin, json={"town_code": "449901999000"})
    assert (moved.status_code, moved.json()["error"]["reason"]) == (422, "unknown_town")
    relinked = app_client.patch(f"/api/v1/users/{user_id}", headers=admin, json={"staff_code": "NOSUCH9"})
    assert (relinked.status_code, relinked.json()["error"]["reason"]) == (422, "unknown_staff")
    row = next(u for u in app_client.get("/api/v1/users", headers=admin).json()["items"] if u["id"] == user_id)
    assert (row["town_code"], row["staff_code"]) == (TOWN, roster_member)


def test_the_cli_refuses_an_unknown_town_and_staff_code_in_chinese(
        db_settings: DatabaseSettings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        roster_member: str) -> None:
    use_database(monkeypatch, db_settings)
    monkeypatch.setenv("FENGQIAO_NEW_PASSWORD", "Cli-password-7")
    assert cli(["users", "add", "ua-cli-town", "--role", "operator", "--town", "449901999000"]) == 2
    assert capsys.readouterr().err.strip() == (
        "fengqiao users: 乡镇代码 449901999000 不是现行边界版本中的乡镇（街道），请从列表中选择")
    assert cli(["users", "add", "ua-cli-staff", "--role", "field", "--staff", "NOSUCH9"]) == 2
    assert capsys.readouterr().err.strip() == (
        "fengqiao users: 人员编号 NOSUCH9 不在人员花名册中（或已停用），请从花名册中选择")
    assert cli(["users", "list"]) == 0
    assert "ua-cli-" not in capsys.readouterr().out
    assert cli(["users", "add", "ua-cli-ok", "--role", "field", "--town", TOWN, "--staff", roster_member]) == 0


def test_admins_get_the_towns_the_roster_and_who_is_signed_in(app_client: TestClient, db_settings: DatabaseSettings,
                                                              roster_member: str) -> None:
    admin = {"Authorization": f"Bearer {make_token(db_settings, 'ua-admin2', 'admin')}"}
    operator = {"Authorization": f"Bearer {make_token(db_settings, 'ua-op', 'operator')}"}
    assert app_client.get("/api/v1/users/choices", headers=operator).status_code == 403
    assert app_client.get("/api/v1/users/sessions", headers=operator).status_code == 403
    choices = app_client.get("/api/v1/users/choices", headers=admin).json()
    towns = {t["code"]: t["name"] for t in choices["towns"]}
    assert towns[TOWN] == "隆联街道" and VILLAGE not in towns
    assert all(len(code) == 12 and code.endswith("000") for code in towns)
    member = next(s for s in choices["staff"] if s["staff_code"] == roster_member)
    assert (member["name"], member["role"]) == ("钱网格", "grid_worker")
    app_client.post("/api/v1/users", headers=admin,
                    json={"username": "ua-signed-in", "role": "supervisor", "password": PASSWORD})
    form = app_client.post("/auth/login", data={"username": "ua-signed-in", "password": PASSWORD},
                           follow_redirects=False)
    assert form.status_code == 303
    app_client.cookies.clear()
    sessions = app_client.get("/api/v1/users/sessions", headers=admin).json()["items"]
    mine = [s for s in sessions if s["username"] == "ua-signed-in"]
    assert [(s["kind"], s["role"]) for s in mine] == [("browser", "supervisor")]
    assert all(len(s["id"]) == 64 for s in mine)  # the stored hash's hex, never the cookie value


def test_the_audit_export_is_csv_with_chinese_headers_and_escaped_cells(app_client: TestClient,
                                                                         db_settings: DatabaseSettings) -> None:
    auditor = {"Authorization": f"Bearer {make_token(db_settings, 'ua-auditor', 'auditor')}"}
    operator = {"Authorization": f"Bearer {make_token(db_settings, 'ua-op2', 'operator')}"}
    # A sign-in attempt under a formula-like name leaves a refused row (the name itself is hashed).
    app_client.post("/api/v1/auth/token", data={"username": "=cmd|' /C calc'!A0", "password": "Wrong-pass-1"})
    assert app_client.get("/api/v1/audit/export", headers=operator).status_code == 403
    export = app_client.get("/api/v1/audit/export", params={"action": "auth.", "result": "refused"}, headers=auditor)
    assert export.status_code == 200
    assert export.headers["content-type"] == "text/csv; charset=utf-8"
    assert export.headers["content-disposition"] == 'attachment; filename="audit-log.csv"'
    text = export.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == ["时间", "用户", "操作", "对象类型", "对象", "来源地址", "结果", "链序号", "详情"]
    assert len(rows) - 1 == int(export.headers["x-total-count"]) >= 1
    assert all(r[2].startswith("auth.") and r[6] == "refused" for r in rows[1:])
    assert "calc" not in text
    # The export itself is in the log, with its filters.
    logged = app_client.get("/api/v1/audit", params={"action": "audit.export"}, headers=auditor).json()["items"]
    assert logged[0]["username"] == "ua-auditor"
    assert (logged[0]["detail"]["action"], logged[0]["detail"]["result"]) == ("auth.", "refused")


def test_a_formula_in_a_logged_value_is_escaped_in_the_export(app_client: TestClient,
                                                               db_settings: DatabaseSettings) -> None:
    admin = {"Authorization": f"Bearer {make_token(db_settings, '@ua-admin3', 'admin')}"}
    auditor = {"Authorization": f"Bearer {make_token(db_settings, 'ua-auditor2', 'auditor')}"}
    made = app_client.post("/api/v1/users", headers=admin, json={"username": "ua-formula", "role": "operator"})
    assert made.status_code == 201, made.text
    export = app_client.get("/api/v1/audit/export", params={"action": "user.create"}, headers=auditor)
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8")[1:])))
    row = next(r for r in rows if r["对象"] == str(made.json()["id"]))
    # A name beginning with @ would run as a formula in a spreadsheet: it gets a leading apostrophe.
    assert (row["用户"], row["操作"], row["对象类型"], row["结果"]) == ("'@ua-admin3", "user.create", "user", "ok")
