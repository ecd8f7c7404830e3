"""Batch location over HTTP (streamed) and on the command line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from fastapi.testclient import TestClient

from api.cli import main as cli_main
from gis.settings import DatabaseSettings
from tests.conftest import use_database

ROWS = "经度,纬度,名称\n114.6471302,24.0688967,甲\nabc,24.1,乙\n24.0688967,114.6471302,丙\n114.0,24.0,丁\n"
EXPECTED = [
    ("甲", "449901001008007", "449901001008", "449901001000", "True", ""),
    ("乙", "", "", "", "False", "not_a_number"),
    ("丙", "", "", "", "False", "lat_lon_swapped"),
    ("丁", "", "", "", "False", ""),
]


def _rows(text: str) -> list[tuple[str, ...]]:
    return [(r["名称"], r["grid_code"], r["village_code"], r["town_code"], r["inside"], r["error"])
            for r in csv.DictReader(io.StringIO(text))]


def test_batch_csv_gb18030_and_utf8(app_client: TestClient, admin_headers: dict[str, str]) -> None:
    for encoding in ("gb18030", "utf-8"):
        response = app_client.post("/api/v1/locate/batch", content=ROWS.encode(encoding),
                                   headers={**admin_headers, "Content-Type": "text/csv"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert _rows(response.text) == EXPECTED


def test_batch_geojson(app_client: TestClient, admin_headers: dict[str, str]) -> None:
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [114.6471302, 24.0688967]},
         "properties": {"id": 1}},
        {"type": "Feature", "geometry": None, "properties": {"id": 2}},
    ]}
    response = app_client.post("/api/v1/locate/batch", content=json.dumps(doc),
                               headers={**admin_headers, "Content-Type": "application/geo+json"})
    assert response.status_code == 200
    features = response.json()["features"]
    assert [(f["properties"]["id"], f["properties"]["grid_code"], f["properties"]["error"]) for f in features] == [
        (1, "449901001008007", ""), (2, "", "not_a_number")]


def test_batch_many_rows_in_chunks(app_client: TestClient, admin_headers: dict[str, str]) -> None:
    lines = ["lon,lat"] + ["114.6471302,24.0688967"] * 250_000
    response = app_client.post("/api/v1/locate/batch", content="\n".join(lines).encode(),
                               headers={**admin_headers, "Content-Type": "text/csv"})
    assert response.status_code == 200
    out = response.text.splitlines()
    assert len(out) == 250_001 and out[0] == "lon,lat,grid_code,village_code,town_code,inside,error"
    assert out[-1] == "114.6471302,24.0688967,449901001008007,449901001008,449901001000,True,"


def test_batch_bad_input(app_client: TestClient, admin_headers: dict[str, str]) -> None:
    cases = [
        (b"name,value\na,1\n", "text/csv", "missing_coordinate_columns"),
        (b"", "text/csv", "empty_file"),
        (b"{not json", "application/geo+json", "bad_geojson"),
        (b"lon,lat\n1,2\n", "application/pdf", "unsupported_media_type"),
    ]
    for body, kind, reason in cases:
        response = app_client.post("/api/v1/locate/batch", content=body,
                                   headers={**admin_headers, "Content-Type": kind})
        assert response.status_code == 422, (reason, response.text)
        assert response.json()["error"]["reason"] == reason


def test_cli_locate(tmp_path: Path, db_settings: DatabaseSettings, monkeypatch: object,
                    capsys: object) -> None:
    source = tmp_path / "points.csv"
    source.write_bytes(ROWS.encode("gb18030"))
    out = tmp_path / "located.csv"
    use_database(monkeypatch, db_settings)  # type: ignore[attr-defined]
    assert cli_main(["locate", str(source), "--out", str(out)]) == 0
    assert _rows(out.read_text(encoding="utf-8")) == EXPECTED
    assert cli_main(["locate", str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv: no such file" in capsys.readouterr().err  # type: ignore[attr-defined]
