"""Lead alerts (docs/product.md#alerts) and delivery (docs/product.md#delivery) through a real SMTP server (aiosmtpd):
immediate alerts, digests, masking and escaping, retries with backoff, several workers at once,
the console fallback, texts, and the notification log's Retry."""
import json
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm import clock, worker
from crm.extensions import db
from crm.models import Lead, LeadFlowRule, OutboxMessage, ZipSponsorship
from crm.services import alerts, api_keys, delivery, outbox

import markup
from events_support import EventsApi, event, free_port, html_part, person, smtp_server, text_part

NOW = datetime(2026, 11, 21, 18, 30)
PASSIVE = ("Saved Property", "Viewed Property", "Saved Property Search")


@pytest.fixture
def api(app, users):
    """All new website contacts go to agent@demo.test (Alex Agent)."""
    db.session.add(LeadFlowRule(position=1, zip="33602", assign_to_id=users["agent"].id))
    _key, plain = api_keys.create_key("smithandassociates.com", rate_limit_per_minute=10_000)
    db.session.commit()
    return EventsApi(app, plain)


@pytest.fixture
def smtp_port(app, monkeypatch):
    port = free_port()
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{port}")
    return port


@pytest.fixture
def mailbox(smtp_port):
    with smtp_server(smtp_port) as received:
        yield received


def statuses() -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


def queue_alerts(recipients: list[str]) -> list[int]:
    messages = [outbox.enqueue_email(address, f"Alert {n}", f"Body {n}", f"<p>Body {n}</p>", kind="alert")
                for n, address in enumerate(recipients)]
    db.session.commit()
    return [message.id for message in messages]


# --- Immediate alerts ----------------------------------------------------------------------------

def test_an_immediate_lead_emails_its_owner_with_the_contact_what_they_did_and_the_link(api, users, mailbox):
    contact_id = api.post(event()).get_json()["id"]

    assert worker.run_once()["deliver_outbox"] == 1
    [message] = mailbox.messages
    assert message["To"] == "agent@demo.test"
    assert message["Subject"] == "Lead alert: Ana Ruiz — Showing Request"
    text, html = text_part(message), html_part(message)
    assert f"http://crm.test/contacts/{contact_id}" in text
    alert = markup.parse(html)
    assert f"http://crm.test/contacts/{contact_id}" in alert.attrs("a", "href")
    assert "Ana Ruiz used Schedule Showing on a property" in text
    assert alert.texts("p > strong")[0] == "Ana Ruiz"
    assert any(line.startswith("Ana Ruiz used Schedule Showing on a property") for line in alert.texts("p"))
    for expected in ("12 Oak St, Tampa, FL 33602", "MLS T123456",
                     "$450,000", "Can I see it Saturday?", "Tampa · zip 33602 · $300,000 to $500,000"):
        assert expected in text and expected in html
    assert statuses() == ["sent"]


def test_an_alert_masks_contact_info_the_owner_may_not_see(api, mailbox):
    api.post(event(message="Call me at 555-201-3344 or write to ana@example.com"))
    worker.run_once()

    [message] = mailbox.messages
    for part in (text_part(message), html_part(message)):
        assert "555-201-3344" not in part and "ana@example.com" not in part
    details = markup.parse(html_part(message))
    assert "Email: XXX" in text_part(message)
    assert dict(zip(details.texts("tr > th"), details.texts("tr > td"), strict=True))["Email"] == "XXX"
    assert "Call me at XXX or write to XXX" in text_part(message)


def test_an_alert_shows_contact_info_to_an_owner_who_may_see_it(api, users, mailbox):
    db.session.add(ZipSponsorship(user_id=users["agent"].id, zip="33602"))
    db.session.commit()
    api.post(event())
    worker.run_once()

    text = text_part(mailbox.messages[0])
    assert "Email: ana@example.com" in text and "Phone: 555-201-3344" in text


def test_consumer_text_is_escaped_in_the_html_part(api, mailbox):
    api.post(event(message='<script>alert("x")</script> & <b>bold</b>',
                   person={"firstName": "<img src=x onerror=alert(1)>"}))
    worker.run_once()

    html = html_part(mailbox.messages[0])
    assert "<script>" not in html and "<img" not in html and "<b>bold" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_unsubscribed_and_passive_leads_send_no_immediate_alert(api, mailbox):
    api.post(event(type="Unsubscribed"))
    api.post(event(type="Viewed Page"))

    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


# --- Digests -------------------------------------------------------------------------------------

def test_the_digest_gathers_passive_leads_into_one_email_at_most_hourly(api, users, mailbox):
    with clock.frozen_at(NOW):
        ana = api.post(event(type=PASSIVE[0], occurredAt=None)).get_json()["id"]
        for inquiry in PASSIVE[1:]:
            api.post(event(type=inquiry, occurredAt=None))
        bob = api.post(event(type="Property Search", occurredAt=None,
                             person=person("Bob", "Baker", "bob@example.com"))).get_json()["id"]

        worker.run_once()
        [digest] = mailbox.messages
        assert digest["To"] == "agent@demo.test"
        assert digest["Subject"] == "Lead digest: 4 website activities from 2 contacts"
        text = text_part(digest)
        for expected in ("Ana Ruiz", f"http://crm.test/contacts/{ana}", "Bob Baker", f"http://crm.test/contacts/{bob}",
                         "Saved Property: favorited a property", "Viewed Property", "Saved Property Search",
                         "Property Search: ran a search"):
            assert expected in text
        assert f"http://crm.test/contacts/{bob}" in markup.parse(html_part(digest)).attrs("a", "href")

        clock.advance(timedelta(minutes=30))
        api.post(event(type="Visited Website", occurredAt=None))
        worker.run_once()
        assert len(mailbox.messages) == 1, "a second digest within the hour"

        clock.advance(timedelta(minutes=31))
        worker.run_once()
        assert len(mailbox.messages) == 2
        assert mailbox.messages[1]["Subject"] == "Lead digest: 1 website activity from 1 contact"
    assert not db.session.scalar(select(func.count()).select_from(Lead).where(Lead.digest_pending.is_(True)))


def test_an_agent_who_turned_digests_off_gets_none(api, users, login_as, mailbox):
    agent = login_as(users["agent"])
    saved = agent.post("/preferences", {})  # the checkbox left unticked
    assert saved.status_code == 302
    assert "Digest emails turned off." in agent.get("/preferences").get_data(as_text=True)

    api.post(event(type="Saved Property"))
    api.post(event(type="Showing Request"))
    worker.run_once()

    assert [message["Subject"] for message in mailbox.messages] == ["Lead alert: Ana Ruiz — Showing Request"]


def test_pending_digest_leads_are_dropped_when_the_owner_turns_digests_off(api, users, mailbox):
    api.post(event(type="Saved Property"))
    users["agent"].digest_emails = False
    db.session.commit()

    worker.run_once()

    assert mailbox.messages == []
    assert not db.session.scalar(select(func.count()).select_from(Lead).where(Lead.digest_pending.is_(True)))


def test_two_workers_gathering_digests_at_once_queue_one(app, api):
    for inquiry in PASSIVE:
        api.post(event(type=inquiry))
    queued = []

    def gather() -> None:
        with app.app_context():
            queued.append(alerts.send_digests())

    workers = [threading.Thread(target=gather) for _ in range(2)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()

    assert sorted(queued) == [0, 1]
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "digest")) == 1


# --- Delivery: retries, backoff, exactly once ----------------------------------------------------

def test_a_mail_server_down_then_up_gets_every_message_exactly_once(app, users, smtp_port):
    with clock.frozen_at(NOW):
        ids = queue_alerts([f"agent{n}@demo.test" for n in range(5)])

        assert delivery.deliver_outbox() == 5
        assert statuses() == ["queued"] * 5
        failed = db.session.get(OutboxMessage, ids[0])
        assert failed.attempts == 1 and "Connection refused" in failed.last_error
        assert failed.next_attempt_at == NOW + timedelta(seconds=30)
        assert delivery.deliver_outbox() == 0, "retried before its backoff"

        clock.advance(timedelta(seconds=30))
        assert delivery.deliver_outbox() == 5
        second = db.session.get(OutboxMessage, ids[0])
        assert second.attempts == 2 and second.next_attempt_at == NOW + timedelta(seconds=30 + 60)

        clock.advance(timedelta(seconds=60))
        with smtp_server(smtp_port) as mailbox:
            assert delivery.deliver_outbox() == 5
            clock.advance(timedelta(hours=3))
            assert delivery.deliver_outbox() == 0
        assert sorted(mailbox.outbox_ids()) == ids
    assert statuses() == ["sent"] * 5
    assert all(message.last_error is None for message in db.session.scalars(select(OutboxMessage)))


def test_a_server_that_refuses_leaves_the_message_queued_then_failed_after_three_days(users, mailbox):
    mailbox.refuse = True
    with clock.frozen_at(NOW):
        [message_id] = queue_alerts(["agent@demo.test"])
        delivery.deliver_outbox()
        message = db.session.get(OutboxMessage, message_id)
        assert message.status == "queued" and "550" in message.last_error

        clock.advance(delivery.KEEP_TRYING)
        message.next_attempt_at = clock.now()
        db.session.commit()
        delivery.deliver_outbox()
    assert db.session.get(OutboxMessage, message_id).status == "failed"
    assert mailbox.messages == []


def test_a_message_held_by_a_worker_that_died_is_sent_after_its_lease(users, mailbox):
    with clock.frozen_at(NOW):
        [message_id] = queue_alerts(["agent@demo.test"])
        assert delivery.claim_batch() == [message_id]  # claimed, then the worker "dies"
        assert delivery.deliver_outbox() == 0

        clock.advance(delivery.LEASE + timedelta(seconds=1))
        assert delivery.deliver_outbox() == 1
    assert mailbox.outbox_ids() == [message_id]


def test_a_batch_slower_than_its_lease_is_leased_again_and_never_taken_over(users, mailbox, monkeypatch):
    """Outcomes are committed once per batch; a batch whose sends take as long as a send may is
    leased again before each send that might outlast the lease, so no other worker takes it."""
    attempt, taken_over = delivery._attempt, []

    def slow_attempt(message, smtp):
        outcome = attempt(message, smtp)
        clock.advance(delivery.ONE_SEND)
        taken_over.extend(delivery.claim_batch())  # another worker, right after each send
        return outcome

    monkeypatch.setattr(delivery, "_attempt", slow_attempt)
    with clock.frozen_at(NOW):
        ids = queue_alerts(["agent@demo.test", "agent2@demo.test", "broker@demo.test"])
        assert delivery.deliver_outbox() == 3
    assert taken_over == []
    assert sorted(mailbox.outbox_ids()) == ids
    assert statuses() == ["sent"] * 3


def test_two_workers_at_once_send_nothing_twice(app, database_url, users, mailbox, smtp_port):
    """Real worker processes (`flask --app crm worker --once`) racing over one outbox."""
    ids = queue_alerts([f"agent{n % 7}@demo.test" for n in range(80)])
    environment = {**os.environ, "CRM_DATABASE_URL": database_url, "CRM_SMTP_URL": app.config["SMTP_URL"],
                   "CRM_SECRET_KEY": "test-secret", "CRM_BASE_URL": "http://crm.test"}
    command = [sys.executable, "-m", "flask", "--app", "crm", "worker", "--once"]
    workers = [subprocess.Popen(command, env=environment, cwd=Path(__file__).parent.parent,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in workers]

    assert [process.returncode for process in workers] == [0, 0], outputs
    assert sorted(mailbox.outbox_ids()) == ids
    db.session.expire_all()
    assert statuses() == ["sent"] * len(ids)
    handled = [int(out.split("deliver_outbox: ")[1].split(",")[0]) for out, _err in outputs]
    assert sum(handled) == len(ids)


# --- Without a mail server; texts ----------------------------------------------------------------

def test_without_smtp_url_messages_are_logged_whole_and_kept_in_the_log(users, caplog):
    [message_id] = queue_alerts(["agent@demo.test"])

    assert delivery.deliver_outbox() == 1

    [line] = [record for record in caplog.records if record.name == "crm.services.delivery"]
    assert line.getMessage() == "outbox message logged: no CRM_SMTP_URL configured"
    assert (line.outbox_id, line.to, line.subject, line.body) == (message_id, "agent@demo.test", "Alert 0", "Body 0")
    message = db.session.get(OutboxMessage, message_id)
    assert message.status == "logged" and message.sent_at is not None


class _SmsEndpoint(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        self.received.append(json.loads(self.rfile.read(length)))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_texts_are_posted_to_the_sms_url(app, users, monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _SmsEndpoint)
    _SmsEndpoint.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setitem(app.config, "SMS_URL", f"http://127.0.0.1:{server.server_port}/sms")
    try:
        text = outbox.enqueue_sms("555-201-0000", "New appointment offer: claim within 30 minutes.", kind="offer")
        db.session.commit()
        delivery.deliver_outbox()
    finally:
        server.shutdown()

    assert _SmsEndpoint.received == [{"to": "555-201-0000", "id": text.id,
                                      "body": "New appointment offer: claim within 30 minutes."}]
    assert statuses() == ["sent"]


def test_texts_without_an_sms_url_are_logged_only(users, caplog):
    outbox.enqueue_sms("555-201-0000", "Offer text", kind="offer")
    db.session.commit()

    delivery.deliver_outbox()

    assert statuses() == ["logged"]
    assert [(record.channel, record.body) for record in caplog.records if record.name == "crm.services.delivery"] \
        == [("sms", "Offer text")]


# --- The notification log ------------------------------------------------------------------------

def test_the_notification_log_shows_state_and_last_error_and_retry_sends_again(users, login_as, mailbox):
    sent, failed = queue_alerts(["agent@demo.test", "agent2@demo.test"])
    db.session.get(OutboxMessage, sent).status = "sent"
    failing = db.session.get(OutboxMessage, failed)
    failing.status, failing.attempts, failing.last_error = "failed", 78, "SMTPRecipientsRefused: 550"
    db.session.commit()
    broker = login_as(users["broker"])

    page = broker.get("/settings/notifications").get_data(as_text=True)
    assert "Failed" in page and "SMTPRecipientsRefused: 550" in page and "Sent" in page
    assert page.count(">Retry</button>") == 1
    only_failed = broker.get("/settings/notifications?status=failed").get_data(as_text=True)
    assert "agent2@demo.test" in only_failed and "agent@demo.test" not in only_failed

    row = broker.post(f"/settings/notifications/{failed}/retry", htmx=True)
    assert row.status_code == 200 and "Queued" in markup.parse(row).text(f"tr#message-{failed}")
    delivery.deliver_outbox()
    assert mailbox.to("agent2@demo.test") and db.session.get(OutboxMessage, failed).status == "sent"


def test_a_sent_message_cannot_be_retried(users, login_as):
    [message_id] = queue_alerts(["agent@demo.test"])
    db.session.get(OutboxMessage, message_id).status = "sent"
    db.session.commit()

    login_as(users["broker"]).post(f"/settings/notifications/{message_id}/retry")

    assert statuses() == ["sent"]
