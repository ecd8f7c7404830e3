"""The OpenAPI document is the contract: valid 3.1, typed answers, one error shape, docs that work offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from gis.settings import DatabaseSettings
from tests.browser_support import chromium, live_server

SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"


def test_document_is_valid_openapi_31_with_our_error_shape(app_client: TestClient) -> None:
    doc = app_client.get("/openapi.json").json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and set(schemas["ErrorBody"]["required"]) == {"error"}
    untyped, missing_errors = [], []
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            ok = operation["responses"].get("200") or operation["responses"].get("201") or operation[
                "responses"].get("204")
            content = (ok or {}).get("content", {})
            if "application/json" in content and content["application/json"].get("schema") in (None, {}):
                untyped.append(f"{method} {path}")
            if operation.get("security") and not {"401", "403"} <= set(operation["responses"]):
                missing_errors.append(f"{method} {path}")
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
    assert untyped == [] and missing_errors == []
    case = doc["paths"]["/api/v1/cases/{case_id}"]["get"]["responses"]
    assert case["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/CaseDetail"}
    assert {"401", "403", "404", "422", "503"} <= set(case)


def test_errors_answer_in_the_documented_shape(app_client: TestClient, admin_headers: dict[str, str]) -> None:
    bad = app_client.get("/api/v1/cases", params={"limit": 0}, headers=admin_headers)
    assert bad.status_code == 422 and bad.json()["error"]["reason"] == "validation_failed"
    assert bad.json()["error"]["problems"][0]["field"] == "query.limit"
    missing = app_client.get("/api/v1/cases/999999999", headers=admin_headers)
    assert missing.status_code == 404 and set(missing.json()["error"]) >= {"reason", "message"}


@pytest.mark.browser
def test_swagger_ui_works_without_internet(db_settings: DatabaseSettings) -> None:
    with live_server(db_settings) as base_url, chromium() as browser:
        page = browser.new_page()
        external: list[str] = []
        page.on("request", lambda r: external.append(r.url) if not r.url.startswith(base_url) else None)
        page.goto(base_url + "/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=30_000)
        paths = page.eval_on_selector_all(".opblock-summary-path", "els => els.map(e => e.textContent)")
        assert any("/api/v1/locate" in p for p in paths) and external == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "docs.png"))
