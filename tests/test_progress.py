"""Trial item 8: long CLI work shows progress on stderr in a terminal, and nothing when not in one."""

from __future__ import annotations

import io
import json
from pathlib import Path

import psycopg
import pytest

from api.cli import main as cli_main
from api.progress import StageProgress
from gis.boundaries.export import export_generation
from gis.boundaries.load import LoadOptions, commit, prepare
from gis.locate.batch import locate_csv, locate_geojson
from gis.settings import DatabaseSettings
from gis.storage.locate import load_index
from tests.conftest import use_database
from tests.fixtures.boundaries.make_fixtures import CORPUS


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def __call__(self, stage: str, done: int, total: int) -> None:
        assert 0 <= done <= total or total == 0, (stage, done, total)
        self.calls.append((stage, done, total))

    def stages(self) -> list[str]:
        return list(dict.fromkeys(stage for stage, _, _ in self.calls))

    def last(self, stage: str) -> tuple[int, int]:
        return next((d, t) for s, d, t in reversed(self.calls) if s == stage)


def test_load_and_commit_report_each_stage_to_the_end(conn: psycopg.Connection) -> None:
    seen = Recorder()
    prepared = prepare(conn, CORPUS / "clean", LoadOptions(standalone=True), progress=seen)
    assert seen.stages() == ["reading", "checking geometries", "checking tiers"]
    assert [seen.last(s) for s in seen.stages()] == [(4, 4), (7, 7), (4, 4)]  # 4 layers, 7 areas, 4 tiers
    stored = Recorder()
    commit(conn, prepared, name="progress-test", source="clean", progress=stored)
    assert stored.stages() == ["storing"] and stored.last("storing") == (8, 8)  # 7 areas + the SQL step


def test_export_and_batch_locate_report_progress(conn: psycopg.Connection, tmp_path: Path) -> None:
    seen = Recorder()
    export_generation(conn, ref="sample-county", tier="town", fmt="geojson", out=tmp_path / "t", progress=seen)
    assert seen.calls == [("exporting", 0, 2), ("exporting", 1, 2), ("exporting", 2, 2)]
    body = b"lon,lat\n" + b"114.6471302,24.0688967\n" * 1000
    located = Recorder()
    out = b"".join(locate_csv(load_index(conn), io.BytesIO(body), progress=located))
    assert out.count(b"449901001008007") == 1000 and located.last("locating") == (len(body), len(body))
    point = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [114.6471302, 24.0688967]},
             "properties": {}}
    features = Recorder()
    doc = json.dumps({"type": "FeatureCollection", "features": [point] * 30}).encode()
    b"".join(locate_geojson(load_index(conn), io.BytesIO(doc), progress=features))
    assert features.calls == [("locating", 30, 30)]


def test_bars_are_drawn_in_a_terminal_and_nothing_otherwise() -> None:
    terminal = io.StringIO()
    with StageProgress(stream=terminal, force=True) as progress:
        progress("checking geometries", 5000, 8535)
        progress("checking tiers", 4, 4)
    assert "checking geometries" in terminal.getvalue() and "4/4" in terminal.getvalue()
    pipe = io.StringIO()
    with StageProgress(stream=pipe) as progress:
        progress("checking geometries", 5000, 8535)
    assert pipe.getvalue() == ""


def test_cli_load_is_quiet_on_stderr_when_not_a_terminal(db_settings: DatabaseSettings,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    use_database(monkeypatch, db_settings)
    assert cli_main(["boundaries", "load", str(CORPUS / "clean"), "--standalone"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and "通过，可以提交（错误 0 项，提醒 0 项）" in captured.out
