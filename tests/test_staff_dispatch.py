"""Roster, positions, explainable ranking, dispatch orders (no double-booking), assignment plans, SSE."""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis.settings import DatabaseSettings
from gis.staff.assignment import greedy_plan, optimal_plan
from gis.staff.roster import StaffRecord
from gis.storage import staff as store
from gis.storage.pool import connect
from tests.conftest import make_token, settle

LON, LAT = 114.6471302, 24.0688967  # 隆联街道 / 坪湾社区 / 第7网格
GRID, VILLAGE, TOWN = "449901001008007", "449901001008", "449901001000"
KM_LON = 1000 / (111_320 * math.cos(math.radians(LAT)))


def at(km_east: float) -> tuple[float, float]:
    return LON + km_east * KM_LON, LAT


def person(code: str, role: str = "mediator", *, km: float, territory: tuple[str, ...] = (),
           skills: tuple[str, ...] = ("02",), **extra: Any) -> StaffRecord:
    lon, lat = at(km)
    return StaffRecord(staff_code=code, name=f"测试{code}", role=role, skills=skills, territory=territory,
                       home_lon=lon, home_lat=lat, home_village_code=extra.pop("home_village_code", None), **extra)


ROSTER = [
    person("TM1", km=1.0, territory=(VILLAGE,)),
    person("TM2", km=0.2),
    person("TM3", km=3.0, territory=(GRID,), skills=("05",)),
    person("TM4", km=0.5, territory=(VILLAGE,), duty_status="off_duty"),
    person("TM5", km=0.6, territory=(TOWN,)),  # gets a stale GPS fix below
    person("TM6", km=0.7, capacity=1),  # gets an order on another case below
    person("TM7", km=0.8, home_village_code="449901001008"),  # lives in the parties' village
    person("TP1", "police", km=0.3, skills=("10",), capacity=1),
]


@pytest.fixture(scope="module")
def roster(db_settings: DatabaseSettings) -> Iterator[dict[str, int]]:
    with connect(db_settings) as c:
        store.upsert_staff(c, records=ROSTER)
        c.commit()
        ids = {code: int(i) for code, i in c.execute("SELECT staff_code, id FROM staff WHERE staff_code LIKE 'T%'")}
    yield ids
    with connect(db_settings) as c:
        c.execute("UPDATE staff SET active = false WHERE staff_code LIKE 'T%'")
        c.commit()


@pytest.fixture(scope="module")
def operator(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'dispatcher', 'operator')}"}


def new_case(client: TestClient, headers: dict[str, str], **extra: Any) -> int:
    body = {"category": "0201", "source_channel": "walk_in", "description": "邻里纠纷", "lon": LON, "lat": LAT,
            **extra}
    response = client.post("/api/v1/cases", json=body, headers={"Idempotency-Key": str(uuid.uuid4()), **headers})
    assert response.status_code == 201, response.text
    settle(client)  # roster and position writes reach the staff trees in the background
    return int(response.json()["id"])


def dispatch(client: TestClient, headers: dict[str, str], case_id: int, *staff: tuple[int, str]) -> Any:
    return client.post(f"/api/v1/cases/{case_id}/dispatches", headers=headers,
                       json={"staff": [{"staff_id": s, "role": r} for s, r in staff]})


def test_ranking_with_reasons_and_exclusions(app_client: TestClient, operator: dict[str, str],
                                             roster: dict[str, int]) -> None:
    stale = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    lon5, lat5 = at(0.6)
    fix = app_client.post(f"/api/v1/staff/{roster['TM5']}/positions", headers=operator,
                          json={"lon": lon5, "lat": lat5, "recorded_at": stale})
    assert fix.status_code == 200, fix.text
    other = new_case(app_client, operator)
    assert dispatch(app_client, operator, other, (roster["TM6"], "lead")).status_code == 201
    case_id = new_case(app_client, operator, parties=[{"name": "当事人", "village_code": "449901001008"}])
    body = app_client.get(f"/api/v1/cases/{case_id}/recommendations", params={"role": "mediator", "k": 5},
                          headers=operator).json()
    assert body["crs_metric"] == "EPSG:4547"  # CGCS2000 3-degree GK, central meridian 114E
    ranked = body["roles"]["mediator"]["candidates"]
    assert [c["staff_code"] for c in ranked] == ["TM3", "TM1", "TM2"]
    assert ranked[0]["reasons"][:2] == ["负责本网格", "技能不匹配"]
    assert ranked[1]["reasons"][:2] == ["负责本村（社区）", "擅长该类纠纷"]
    assert ranked[2]["reasons"][0] == "非属地"
    assert [round(c["distance_m"], -1) for c in ranked] == [3000, 1000, 200]
    assert ranked[1]["score_terms"] == {"responsibility": 100.0, "skill": 0.0, "distance": 2.0, "workload": 0.0,
                                        "staleness": 0.0}
    excluded = {c["staff_code"]: c["excluded_because"] for c in body["roles"]["mediator"]["excluded"]}
    assert excluded == {"TM4": ["off_duty"], "TM5": ["stale_position"], "TM6": ["at_capacity"],
                        "TM7": ["conflict_of_interest"]}


def test_several_roles_at_once(app_client: TestClient, operator: dict[str, str], roster: dict[str, int]) -> None:
    case_id = new_case(app_client, operator)
    body = app_client.get(f"/api/v1/cases/{case_id}/recommendations", params={"role": ["mediator", "police"]},
                          headers=operator).json()
    assert [c["staff_code"] for c in body["roles"]["police"]["candidates"]] == ["TP1"]
    bad = app_client.get(f"/api/v1/cases/{case_id}/recommendations", params={"role": "wizard"}, headers=operator)
    assert bad.status_code == 422 and bad.json()["error"]["reason"] == "unknown_role"


def test_whistle_dispatch_and_order_steps(app_client: TestClient, operator: dict[str, str], roster: dict[str, int],
                                          db_settings: DatabaseSettings) -> None:
    case_id = new_case(app_client, operator)
    made = dispatch(app_client, operator, case_id, (roster["TM1"], "lead"), (roster["TP1"], "assist"))
    assert made.status_code == 201
    orders = {o["staff_code"]: o for o in made.json()["orders"]}
    assert {k: (v["role"], v["status"]) for k, v in orders.items()} == {
        "TM1": ("lead", "dispatched"), "TP1": ("assist", "dispatched")}
    field = {"Authorization": f"Bearer {make_token(db_settings, 'tm1', 'field', staff_code='TM1')}"}
    mine = orders["TM1"]["id"]
    for status in ("accepted", "en_route", "on_scene", "completed"):
        response = app_client.patch(f"/api/v1/dispatches/{mine}", json={"status": status}, headers=field)
        assert response.status_code == 200, response.text
    steps = app_client.get(f"/api/v1/cases/{case_id}/dispatches", headers=operator).json()["orders"]
    done = next(o for o in steps if o["id"] == mine)
    assert done["status"] == "completed"
    assert done["dispatched_at"] <= done["accepted_at"] <= done["en_route_at"] <= done["on_scene_at"] <= (
        done["completed_at"])
    others = app_client.patch(f"/api/v1/dispatches/{orders['TP1']['id']}", json={"status": "accepted"}, headers=field)
    assert others.status_code == 404 and others.json()["error"]["reason"] == "dispatch_not_found"
    again = app_client.patch(f"/api/v1/dispatches/{mine}", json={"status": "accepted"}, headers=field)
    assert again.status_code == 409 and again.json()["error"]["state"] == "completed"
    # police declines: a reason is required, and the recommendation is re-run without him
    no_reason = app_client.patch(f"/api/v1/dispatches/{orders['TP1']['id']}", json={"status": "declined"},
                                 headers=operator)
    assert no_reason.status_code == 422
    declined = app_client.patch(f"/api/v1/dispatches/{orders['TP1']['id']}",
                                json={"status": "declined", "reason": "正在处置其他警情"}, headers=operator).json()
    police = declined["recommendations"]["police"]
    assert police["candidates"] == []
    assert {c["staff_code"]: c["excluded_because"] for c in police["excluded"]} == {"TP1": ["declined_this_case"]}


def test_all_or_nothing_and_bad_requests(app_client: TestClient, operator: dict[str, str],
                                         roster: dict[str, int], conn: psycopg.Connection) -> None:
    case_id = new_case(app_client, operator)
    before = conn.execute("SELECT count(*) FROM dispatch_orders").fetchone()
    off = dispatch(app_client, operator, case_id, (roster["TM2"], "lead"), (roster["TM4"], "assist"))
    assert off.status_code == 409 and off.json()["error"]["reason"] == "staff_off_duty"
    assert conn.execute("SELECT count(*) FROM dispatch_orders").fetchone() == before  # TM2's order rolled back
    two_leads = dispatch(app_client, operator, case_id, (roster["TM1"], "lead"), (roster["TM2"], "lead"))
    assert two_leads.status_code == 422 and two_leads.json()["error"]["reason"] == "several_leads"
    assert dispatch(app_client, operator, case_id, (roster["TM2"], "lead")).status_code == 201
    twice = dispatch(app_client, operator, case_id, (roster["TM2"], "assist"))
    assert twice.status_code == 409 and twice.json()["error"]["reason"] == "already_dispatched"
    assert dispatch(app_client, operator, case_id, (999999, "lead")).json()["error"]["reason"] == "staff_not_found"


def test_no_double_booking_under_concurrency(app_client: TestClient, operator: dict[str, str],
                                             db_settings: DatabaseSettings) -> None:
    with connect(db_settings) as c:
        store.upsert_staff(c, records=[person("TCONC", km=0.1, capacity=1)])
        c.commit()
        staff_id = int(c.execute("SELECT id FROM staff WHERE staff_code = 'TCONC'").fetchone()[0])  # type: ignore[index]
    cases = [new_case(app_client, operator), new_case(app_client, operator)]
    for _ in range(30):
        barrier = threading.Barrier(2)
        results: list[Any] = [None, None]

        def send(i: int, barrier: threading.Barrier = barrier, results: list[Any] = results) -> None:
            barrier.wait()
            results[i] = dispatch(app_client, operator, cases[i], (staff_id, "lead"))

        threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(r.status_code for r in results) == [201, 409]
        loser = next(r for r in results if r.status_code == 409)
        assert loser.json()["error"]["reason"] == "staff_at_capacity"
        winner = next(r for r in results if r.status_code == 201).json()["orders"][0]["id"]
        cancel = app_client.patch(f"/api/v1/dispatches/{winner}", json={"status": "cancelled", "reason": "演练"},
                                  headers=operator)
        assert cancel.status_code == 200
    with connect(db_settings) as c:
        assert c.execute("SELECT count(*) FROM dispatch_orders WHERE staff_id = %s", (staff_id,)).fetchone() == (30,)


def test_assignment_plan_beats_greedy() -> None:
    import numpy as np

    # case A at 0 km, case B at 10 km; S1 at 4 km, S2 at -100 km; one slot each
    distance = np.array([[4.0, 100.0], [6.0, 110.0]]) * 1000
    allowed = np.ones((2, 2), dtype=bool)
    free = np.array([1, 1])
    greedy, best = greedy_plan(distance, allowed, free), optimal_plan(distance, allowed, free)
    assert greedy.pairs == [(0, 0), (1, 1)] and greedy.total_m == 114_000
    assert best.pairs == [(0, 1), (1, 0)] and best.total_m == 106_000
    only_s2 = np.array([[False, True], [False, True]])
    assert optimal_plan(distance, only_s2, free).unassigned == [1]
    assert optimal_plan(distance, allowed, np.array([2, 0])).pairs == [(0, 0), (1, 0)]


def test_plan_endpoint(app_client: TestClient, operator: dict[str, str], roster: dict[str, int]) -> None:
    ids = [new_case(app_client, operator), new_case(app_client, operator)]
    body = app_client.post("/api/v1/assignments/plan", json={"case_ids": ids, "role": "mediator"},
                           headers=operator).json()
    assert len(body["optimal"]["pairs"]) == 2
    assert body["optimal"]["total_m"] <= body["greedy"]["total_m"]
    assert {p["case_id"] for p in body["optimal"]["pairs"]} == set(ids)


def test_positions_batch_validation_and_purge(app_client: TestClient, operator: dict[str, str],
                                              roster: dict[str, int], db_settings: DatabaseSettings) -> None:
    now = datetime.now(UTC).isoformat()
    ok = app_client.post("/api/v1/staff/positions/batch", headers=operator, json={"positions": [
        {"staff_id": roster["TM1"], "lon": LON, "lat": LAT, "recorded_at": now, "accuracy_m": 8},
        {"staff_id": roster["TM2"], "lon": LON, "lat": LAT, "crs": "gcj02", "recorded_at": now}]})
    assert ok.status_code == 200 and ok.json() == {"stored": 2}
    bad = app_client.post("/api/v1/staff/positions/batch", headers=operator, json={"positions": [
        {"staff_id": roster["TM1"], "lon": LAT, "lat": LON},
        {"staff_id": roster["TM1"], "lon": LON, "lat": LAT, "recorded_at": "2031-01-01T00:00:00+00:00"}]})
    assert bad.status_code == 422
    assert [p["reason"] for p in bad.json()["error"]["problems"]] == ["lat_lon_swapped", "time_out_of_range"]
    unknown = app_client.post("/api/v1/staff/positions/batch", headers=operator,
                              json={"positions": [{"staff_id": 987654, "lon": LON, "lat": LAT}]})
    assert unknown.json()["error"]["reason"] == "unknown_staff"
    nan = app_client.post("/api/v1/staff/positions/batch", headers={**operator, "Content-Type": "application/json"},
                          content='{"positions": [{"staff_id": 1, "lon": NaN, "lat": 24}]}')
    assert nan.status_code == 422
    field = {"Authorization": f"Bearer {make_token(db_settings, 'tm2', 'field', staff_code='TM2')}"}
    own = app_client.post(f"/api/v1/staff/{roster['TM2']}/positions", json={"lon": LON, "lat": LAT}, headers=field)
    assert own.status_code == 200
    other = app_client.post(f"/api/v1/staff/{roster['TM1']}/positions", json={"lon": LON, "lat": LAT}, headers=field)
    assert other.status_code == 404  # field users see and report only themselves
    hidden = app_client.get(f"/api/v1/staff/{roster['TM1']}", headers=field)
    assert hidden.status_code == 404 and hidden.json()["error"]["reason"] == "staff_not_found"
    me = app_client.get(f"/api/v1/staff/{roster['TM2']}", headers=field).json()
    assert me["staff_code"] == "TM2" and me["position_lon"] == pytest.approx(LON)
    with connect(db_settings) as c:
        total = c.execute("SELECT count(*) FROM staff_positions").fetchone()[0]  # type: ignore[index]
        removed = store.purge_positions(c, before=datetime.now(UTC) - timedelta(minutes=30))
        c.commit()
        assert removed >= 1  # the two-hour-old stale fix
        assert c.execute("SELECT count(*) FROM staff_positions").fetchone()[0] == total - removed  # type: ignore[index]


def test_roster_import_reports_every_bad_row(app_client: TestClient, operator: dict[str, str]) -> None:
    text = ("staff_code,name,role,capacity,home_lon,home_lat\nTX1,甲,mediator,2,114.6,24.1\n"
            "TX2,乙,wizard,1,,\nTX3,,police,1,,\nTX1,丙,police,1,,\n")
    response = app_client.post("/api/v1/staff/import", headers=operator,
                               files={"file": ("roster.csv", text.encode("gb18030"), "text/csv")})
    assert response.status_code == 422
    assert response.json()["error"]["problems"] == [
        {"row": 3, "problem": "unknown role 'wizard'"}, {"row": 4, "problem": "missing name"},
        {"row": 5, "problem": "duplicate staff_code TX1"}]
    assert app_client.get("/api/v1/staff", params={"role": "mediator", "limit": 1000},
                          headers=operator).json()["total"] >= 7
    good_csv = text.splitlines()[0].encode() + "\nTX9,丁,lawyer,1,,\n".encode()
    good = app_client.post("/api/v1/staff/import", headers=operator,
                           files={"file": ("roster.csv", good_csv, "text/csv")})
    assert good.status_code == 200 and good.json() == {"imported": 1}


def test_events_replay_and_scope(app_client: TestClient, operator: dict[str, str],
                                 db_settings: DatabaseSettings) -> None:
    start = app_client.get("/api/v1/events", params={"once": True, "after": 0}, headers=operator).text
    last_id = max(int(line[4:]) for line in start.splitlines() if line.startswith("id: "))
    case_id = new_case(app_client, operator)
    app_client.post(f"/api/v1/cases/{case_id}/transitions", json={"action": "triage"}, headers=operator)
    replay = app_client.get("/api/v1/events", params={"once": True},
                            headers={**operator, "Last-Event-ID": str(last_id)})
    assert replay.headers["content-type"].startswith("text/event-stream")
    kinds = [line[7:] for line in replay.text.splitlines() if line.startswith("event: ")]
    assert kinds[:2] == ["case.created", "case.transition"]
    ids = [int(line[4:]) for line in replay.text.splitlines() if line.startswith("id: ")]
    assert ids == sorted(ids) and ids[0] > last_id
    limited = app_client.get("/api/v1/events", params={"after": last_id, "max_events": 1}, headers=operator)
    assert limited.text.count("\nevent: ") + limited.text.startswith("event: ") == 1
    other_town = {"Authorization": f"Bearer {make_token(db_settings, 'evt-other', 'operator', '449901100000')}"}
    theirs = app_client.get("/api/v1/events", params={"once": True, "after": last_id}, headers=other_town).text
    assert "case.created" not in theirs
    field = {"Authorization": f"Bearer {make_token(db_settings, 'evt-field', 'field')}"}
    everything = app_client.get("/api/v1/events", params={"once": True, "after": 0}, headers=field).text
    assert "staff.position" not in everything and "case.created" not in everything  # only their own orders


def test_locate_names_the_responsible_staff(app_client: TestClient, operator: dict[str, str],
                                            roster: dict[str, int]) -> None:
    body = app_client.get("/api/v1/locate", params={"lon": LON, "lat": LAT}, headers=operator).json()
    assert [m["staff_code"] for m in body["responsible"]["mediators"]] == ["TM1", "TM4"]  # the village's
    assert body["responsible"]["grid_workers"] == []


def test_nearest_staff_is_exact_against_brute_force() -> None:
    import numpy as np

    from gis.staff.spatial import Metric, StaffPoints

    rng = np.random.default_rng(8)
    lon = np.concatenate([rng.uniform(114.3, 114.9, 3000), rng.uniform(115.5, 115.6, 5)])  # a sparse corner too
    lat = np.concatenate([rng.uniform(23.9, 24.3, 3000), rng.uniform(24.5, 24.6, 5)])
    points = StaffPoints.build(Metric(4547), [(i, "mediator", x, y) for i, (x, y) in
                                              enumerate(zip(lon, lat, strict=True))])
    xy = points.metric.xy(lon, lat)
    for qlon, qlat in [*zip(rng.uniform(114.3, 114.9, 300), rng.uniform(23.9, 24.3, 300), strict=True),
                       (115.55, 24.55), (116.5, 25.0)]:
        q = points.metric.xy(qlon, qlat)[0]
        truth = np.argsort(np.hypot(*(xy - q).T), kind="stable")[:5]
        got = points.nearest("mediator", qlon, qlat, 5)
        assert [i for i, _ in got] == truth.tolist()
        assert [d for _, d in got] == pytest.approx(np.hypot(*(xy[truth] - q).T).tolist())
