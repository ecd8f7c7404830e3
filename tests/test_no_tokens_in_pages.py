"""Pages are signed in by the session cookie only: no page's code reads a token from the address or from web
storage, or adds a credential to a request; no test hands a page a token (in a URL, storage, a cookie or a
header) instead of signing in through /login or a device link."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "maps" / "static"
PAGE_FILES = sorted(p for p in STATIC.rglob("*") if p.suffix in {".js", ".html"} and "vendor" not in p.parts)
TEST_FILES = sorted(p for p in (ROOT / "tests").rglob("*.py") if p.name != Path(__file__).name)

# What a page must never do (comments count too: a page that talks about it is checked by a person).
PAGE_RULES = {
    "token from the address": re.compile(r"""\.get\(\s*["'](?:token|access_token)["']|[?&](?:token|access_token)=""",
                                         re.IGNORECASE),
    "web storage": re.compile(r"\bsessionStorage\b|localStorage\.(?:getItem|setItem)\(\s*[\"'][^\"']*"
                              r"(?:token|session|auth|key|credential|jwt)", re.IGNORECASE),
    "credential added by hand": re.compile(r"[\"']Authorization[\"']|Bearer\s*[\"'+]", re.IGNORECASE),
    "cookie written by script": re.compile(r"document\.cookie"),
}
# What a browser test must never do to a page.
TEST_RULES = {
    "token in a page URL": re.compile(r"""(?:goto|navigate|url)\([^)]*[?&](?:token|access_token)="""),
    "cookie set by hand": re.compile(r"\badd_cookies\("),
    "credential header for a page": re.compile(r"set_extra_http_headers\(|extra_http_headers\s*="),
    "token put into web storage": re.compile(r"(?:session|local)Storage\.setItem|add_init_script\("),
}


def offences(files: list[Path], rules: dict[str, re.Pattern[str]]) -> list[str]:
    found = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found.extend(f"{path.relative_to(ROOT)}:{number}: {name}: {line.strip()}"
                         for name, rule in rules.items() if rule.search(line))
    return found


def test_no_page_reads_a_token_from_the_address_or_web_storage() -> None:
    assert len(PAGE_FILES) >= 20  # the console, field, login, device, supervisor and docs pages are all here
    assert offences(PAGE_FILES, PAGE_RULES) == []


def test_no_test_hands_a_page_a_token() -> None:
    browser_tests = [p for p in TEST_FILES if "chromium" in p.read_text(encoding="utf-8")]
    assert len(browser_tests) >= 3
    assert offences(TEST_FILES, TEST_RULES) == []


def test_the_rules_catch_what_the_pages_used_to_do() -> None:
    """The patterns find the old code (the regression they guard against): a check that finds nothing is no check."""
    # Written in parts, so a search of the repository for tokens in pages passes over these examples.
    old_page = [
        'const token = params.get("' + 'token");',
        'sessionStorage.setI' + 'tem(TOKEN_KEY, token);',
        'var token = localStorage.getI' + 'tem("fengqiao.token");',
        'if (token) headers["Authorization"] = "Bearer " + token;',
        'fetch(path, {headers: token ? {"Authorization": "Bearer " + token} : {}})',
    ]
    old_test = ['page.goto(f"{base_url}/?' + 'token={operator}")', 'phone.goto(f"{base_url}/field?' + 'token={field}")',
                'context.add_cookies([{"name": "fengqiao_session"}])']
    for line in old_page:
        assert any(rule.search(line) for rule in PAGE_RULES.values()), line
    for line in old_test:
        assert any(rule.search(line) for rule in TEST_RULES.values()), line
