"""Browser tests of users and passwords by email (docs/product.md#settings) with a real SMTP server: the broker
invites a user who opens the emailed link, sets a password and signs in; `Forgot password?`
through the emailed reset link; Change password and the time zone in Preferences; axe on the
new pages."""
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from crm.services import delivery

from events_support import free_port, smtp_server, text_part

pytestmark = pytest.mark.browser
NEW_PASSWORD = "harbor lights 2026"


@pytest.fixture
def mailbox(app, monkeypatch, live_server):
    monkeypatch.setitem(app.config, "BASE_URL", live_server.url)
    port = free_port()
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{port}")
    with smtp_server(port) as received:
        yield received


def emailed_link(mailbox, address: str) -> str:
    delivery.deliver_outbox()
    [message] = mailbox.to(address)
    return re.search(r"(http://127\.0\.0\.1:\d+/set-password/\S+)", text_part(message)).group(1)


def sign_in_with(page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def set_password_on(page, password: str) -> None:
    page.get_by_label("New password").fill(password)
    page.get_by_label("Confirm password").fill(password)
    page.get_by_role("button", name="Set password").click()


def test_the_broker_invites_a_user_who_follows_the_link_sets_a_password_and_signs_in(
        users, page, sign_in, mailbox):
    sign_in("broker@demo.test", "/settings/users")
    page.get_by_label("Name").fill("Nora Newhire")
    page.get_by_label("Email", exact=True).fill("nora@demo.test")
    page.get_by_label("Role", exact=True).select_option("agent")
    page.get_by_label("Office", exact=True).select_option(label="Westshore")
    page.get_by_role("button", name="Add User").click()
    expect(page.get_by_text("Invitation sent to nora@demo.test")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Nora Newhire"))).to_contain_text("Invited")
    page.get_by_role("button", name="Sign out").click()

    page.goto(emailed_link(mailbox, "nora@demo.test"))
    expect(page.get_by_role("heading", name="Welcome, Nora Newhire")).to_be_visible()
    set_password_on(page, "nora@demo.test")
    expect(page.get_by_text("Your password must not be your email address.")).to_be_visible()
    set_password_on(page, NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/login$"))
    sign_in_with(page, "nora@demo.test", NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/contacts$"))
    expect(page.get_by_text("Nora Newhire · agent")).to_be_visible()


def test_forgot_password_emails_a_link_that_resets_the_password_once(users, page, mailbox):
    page.goto("/login")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("Email").fill("agent@demo.test")
    page.get_by_role("button", name="Email me a reset link").click()
    expect(page.get_by_text("a link to reset its password is on its way")).to_be_visible()

    link = emailed_link(mailbox, "agent@demo.test")
    page.goto(link)
    set_password_on(page, NEW_PASSWORD)
    expect(page.get_by_text("Your password is set.")).to_be_visible()
    sign_in_with(page, "agent@demo.test", NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/contacts$"))

    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text("This link has expired or was already used.")


def test_preferences_change_the_password_and_the_time_zone(users, page, sign_in):
    sign_in("agent@demo.test", "/preferences")
    page.get_by_label("Time zone").fill("Europe/Atlantis")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Enter an IANA time zone name, such as America/New_York.")).to_be_visible()
    page.get_by_label("Time zone").fill("America/Denver")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Times show in America/Denver.")).to_be_visible()

    page.get_by_label("Current password").fill("demo1234")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password is changed.")).to_be_visible()


@pytest.mark.parametrize("email, path", [
    ("broker@demo.test", "/settings/users"),
    ("broker@demo.test", "/settings/offices"),
    ("broker@demo.test", "/settings/sources"),
    ("agent@demo.test", "/preferences"),
])
def test_the_new_pages_have_no_serious_accessibility_violations_and_fit_a_laptop(users, page, sign_in, email, path):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(email, path)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], results.generate_report()


def test_the_signed_out_password_pages_have_no_serious_accessibility_violations(users, page, mailbox):
    page.goto("/forgot-password")
    page.get_by_label("Email").fill("agent@demo.test")
    page.get_by_role("button", name="Email me a reset link").click()
    for url in ("/forgot-password", emailed_link(mailbox, "agent@demo.test")):
        page.goto(url)
        results = Axe().run(page)
        serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], results.generate_report()
