"""Browser tests of alerts and delivery (docs/product.md#alerts): an alert's link opened signed out, the API keys and
notification log pages of Settings, and an agent's digest preference — clicked as a user would."""
import json
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from crm import worker
from crm.extensions import db
from crm.models import User
from crm.services import api_keys, outbox

from events_support import basic_auth, event, free_port, smtp_server, text_part

pytestmark = pytest.mark.browser


@pytest.fixture
def mailbox(app, monkeypatch):
    port = free_port()
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{port}")
    with smtp_server(port) as received:
        yield received


def post_event(server_url: str, key: str, body: dict) -> int:
    request = urllib.request.Request(f"{server_url}/api/v1/events", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **basic_auth(key)})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_link_in_an_alert_leads_signed_out_through_sign_in_to_the_contact(
        app, users, live_server, page, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", live_server.url)
    _key, plain = api_keys.create_key("smithandassociates.com")
    db.session.commit()
    assert post_event(live_server.url, plain, event()) == 201
    worker.run_once()

    [alert] = mailbox.to("agent@demo.test")
    link = re.search(r"Open the contact: (\S+)", text_part(alert)).group(1)
    assert link.startswith(f"{live_server.url}/contacts/")

    page.goto(link)
    expect(page).to_have_url(re.compile(r"/login\?next=/contacts/\d+$"))
    page.get_by_label("Email").fill("agent@demo.test")
    page.get_by_label("Password").fill("demo1234")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana Ruiz")
    expect(page.get_by_text("Showing Request").first).to_be_visible()


def test_the_broker_creates_an_api_key_a_website_uses_it_and_the_broker_revokes_it(
        users, live_server, sign_in, page):
    sign_in("broker@demo.test", "/settings/")
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("Realtor feed")
    page.get_by_role("button", name="Create API key").click()

    key = page.get_by_label("New API key").inner_text()
    assert key.startswith("crm_")
    assert post_event(live_server.url, key, event()) == 201

    page.get_by_role("link", name="Settings").first.click()
    page.get_by_role("link", name="API keys").click()  # the key is never shown again
    expect(page.get_by_label("New API key")).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke Realtor feed").click()
    expect(page.get_by_text("is revoked")).to_be_visible()
    assert post_event(live_server.url, key, event()) == 401


def test_the_broker_retries_a_failed_message_from_the_notification_log(users, sign_in, page, mailbox):
    message = outbox.enqueue_email("agent2@demo.test", "Lead alert: Bo Li — Registration", "Body", kind="alert")
    message.status, message.attempts, message.last_error = "failed", 10, "SMTPRecipientsRefused: 550 unknown user"
    db.session.commit()

    sign_in("broker@demo.test", "/settings/notifications")
    row = page.locator(f"#message-{message.id}")
    expect(row).to_contain_text("Failed")
    expect(row).to_contain_text("SMTPRecipientsRefused: 550 unknown user")
    row.get_by_role("button", name="Retry").click()
    expect(row).to_contain_text("Queued")
    expect(row).to_contain_text("queued to be sent again")

    worker.run_once()
    page.reload()
    expect(page.locator(f"#message-{message.id}")).to_contain_text("Sent")
    assert [sent["Subject"] for sent in mailbox.to("agent2@demo.test")] == ["Lead alert: Bo Li — Registration"]


def test_an_agent_turns_digest_emails_off_from_the_nav(users, sign_in, page):
    sign_in("agent@demo.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Preferences").click()
    digest = page.get_by_label("Send me digest emails")
    expect(digest).to_be_checked()
    digest.uncheck()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Digest emails turned off.")).to_be_visible()
    expect(page.get_by_label("Send me digest emails")).not_to_be_checked()
    db.session.expire_all()
    assert db.session.get(User, users["agent"].id).digest_emails is False
