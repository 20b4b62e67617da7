"""Web hardening (docs/product.md#trust): headers on every page, cookies, and the app working in a real browser
under its Content-Security-Policy (no inline script anywhere)."""
import pytest
from playwright.sync_api import expect

from crm import create_app
from crm.services import settings


@pytest.fixture
def strict_page(browser, live_server):
    """A browser tab that enforces the CSP and records every violation it reports."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.violations = []
    page.on("console",
            lambda message: "Content Security Policy" in message.text and page.violations.append(message.text))
    yield page
    context.close()


def test_every_page_sends_the_security_headers(login_as, users, make_contact):
    contact = make_contact(users["agent"])
    client = login_as(users["agent"])
    for url in ("/contacts", f"/contacts/{contact.id}", "/referrals", "/login"):
        headers = client.get(url).headers
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] and headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(web):
    assert "no-store" not in web.get("/static/crm.js").headers.get("Cache-Control", "")


def test_no_page_has_inline_script_or_handlers(login_as, users, make_contact):
    contact = make_contact(users["agent"])
    for role, urls in {"agent": ["/contacts", f"/contacts/{contact.id}", "/referrals", "/contacts/export"],
                       "broker": ["/settings/api-keys", "/contacts", f"/contacts/{contact.id}"]}.items():
        client = login_as(users[role])
        for url in urls:
            html = client.get(url).get_data(as_text=True).lower()
            assert "<script>" not in html and " onclick=" not in html and " onsubmit=" not in html, url
            assert "hx-on" not in html, url


def test_session_cookies_are_secure_when_the_base_url_is_https(app):
    https_app = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                            "BASE_URL": "https://crm.example.com"})
    assert https_app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_the_app_works_under_its_csp_in_a_browser(strict_page, users, make_contact, sign_in_on):
    settings.put("roles_may_export", ["agent", "manager", "broker"])  # granted, so the agent has Dl CSV
    make_contact(users["agent"], "Hattie", "Hot", priority="Hot")
    make_contact(users["agent"], "Cole", "Cold", priority="Cold")
    sign_in_on(strict_page, "agent@demo.test", "/contacts")
    strict_page.get_by_role("link", name="Dl CSV").click()
    dialog = strict_page.get_by_role("dialog", name="Dl CSV")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    select_all = strict_page.get_by_label("Select all rows")
    select_all.check()
    boxes = strict_page.locator("input[name=contact_ids]")
    expect(boxes).to_have_count(2)
    for index in range(2):
        expect(boxes.nth(index)).to_be_checked()
    assert strict_page.violations == []


def test_revoking_an_api_key_asks_first_under_the_csp(strict_page, users, sign_in_on):
    from crm.extensions import db
    from crm.services import api_keys
    api_keys.create_key("probe.example")
    db.session.commit()
    sign_in_on(strict_page, "broker@demo.test", "/settings/api-keys")
    questions = []
    strict_page.on("dialog", lambda prompt: (questions.append(prompt.message), prompt.dismiss()))
    strict_page.get_by_role("button", name="Revoke probe.example").click()
    expect(strict_page.get_by_text("Active")).to_be_visible()
    assert questions == ["Revoke probe.example? Websites using it will be refused."]
    assert strict_page.violations == []
