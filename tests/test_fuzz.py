"""Schemathesis over the OpenAPI document: every operation, a fixed seed, no answer may be a 5xx.

It runs against its own database (the fuzzer deletes staff, activates generations, uploads files:
the session database other tests use must not see that), as an admin, in process (ASGI).
Response-schema conformance is not asserted yet (the typed answers are being added).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, seed, settings

from api.main import create_app
from gis.settings import AppSettings, DatabaseSettings
from gis.storage.database import drop_database
from tests.conftest import make_token, sample_database

EXAMPLES_PER_OPERATION = 6
SEED = 20261123


@pytest.fixture(scope="module")
def fuzz_db(db_settings: DatabaseSettings) -> Iterator[DatabaseSettings]:
    settings = sample_database(f"fengqiao_fuzz2_{os.getpid()}")
    yield settings
    drop_database(settings)


@pytest.fixture(scope="module")
def fuzz_client(fuzz_db: DatabaseSettings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = create_app(AppSettings(), fuzz_db)
    with TestClient(app) as client:  # runs the lifespan: pool and indexes on app.state
        yield client


def _prepare(case: Any) -> None:
    if case.path == "/api/v1/events":  # a stream: ask for the backlog only, or it never ends
        case.query = {**(case.query or {}), "once": "true", "max_events": "5"}


def test_no_operation_answers_with_a_server_error(fuzz_db: DatabaseSettings, fuzz_client: TestClient) -> None:
    headers = {"Authorization": f"Bearer {make_token(fuzz_db, 'fuzz-admin', 'admin')}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    calls: dict[str, int] = {}
    server_errors: list[str] = []

    for operation in operations:
        _exercise(operation, headers, calls, server_errors)

    assert len(operations) >= 35
    assert [label for label, n in calls.items() if n == 0] == []
    assert server_errors == [], "\n".join(server_errors)


def _exercise(operation: Any, headers: dict[str, str], calls: dict[str, int], server_errors: list[str]) -> None:
    label = f"{operation.method.upper()} {operation.path}"
    calls[label] = 0

    @seed(SEED)
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def exercise(case: Any) -> None:
        _prepare(case)
        calls[label] += 1
        try:
            response = case.call(headers=headers)
        except Exception as exc:  # the test client re-raises what the app did not handle
            server_errors.append(f"{label} raised {exc!r}: {case.as_curl_command()}")
            return
        if response.status_code >= 500:
            server_errors.append(f"{label} -> {response.status_code}: {case.as_curl_command()}"
                                 f"\n  {response.text[:300]}")

    exercise()
