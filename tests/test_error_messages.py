"""Every error a person may read is in Chinese: each reason raised in the code has a sentence, and answers use it."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from api.errors import error_body
from api.reasons_zh import REASON_ZH

ROOT = Path(__file__).resolve().parent.parent
RAISED = re.compile(r"""reason=["']([a-z_]+)["']|error_body\(["']([a-z_]+)["']|^    reason = ["']([a-z_]+)["']""",
                    re.MULTILINE)
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_reason_raised_in_the_code_has_a_chinese_sentence() -> None:
    raised = set()
    for package in ("gis", "api"):
        for path in (ROOT / package).rglob("*.py"):
            for match in RAISED.finditer(path.read_text(encoding="utf-8")):
                raised.add(match.group(1) or match.group(2) or match.group(3))
    assert len(raised) > 100
    missing = sorted(r for r in raised if r not in REASON_ZH)
    assert missing == []
    assert all(CJK.search(sentence) for sentence in REASON_ZH.values())


def test_error_body_keeps_the_reason_and_moves_technical_text_to_detail() -> None:
    body = error_body("invalid_k", "k must be 1-50")["error"]
    assert body == {"reason": "invalid_k", "message": "推荐人数（k）须为 1 到 50", "detail": "k must be 1-50"}
    already = error_body("window_too_short", "乡镇用户的统计时段至少为 7 天")["error"]
    assert already == {"reason": "window_too_short", "message": "乡镇用户的统计时段至少为 7 天"}


def test_api_answers_carry_chinese_messages(app_client: TestClient) -> None:
    answers = [app_client.get("/api/v1/locate?lon=abc&lat=1"), app_client.get("/api/v1/cases"),
               app_client.get("/api/v1/locate?lon=200&lat=95"), app_client.get("/api/v1/no-such-route"),
               app_client.get("/api/v1/areas/nope%00")]
    for answer in answers:
        error = answer.json()["error"]
        assert 400 <= answer.status_code < 500 and error["reason"], answer.text
        assert CJK.search(error["message"]), answer.text
