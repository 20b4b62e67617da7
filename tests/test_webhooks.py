"""Webhooks out (docs/product.md#webhooks): a real HTTP receiver on 127.0.0.1 verifies every request with the
same `standardwebhooks` package; the outbox worker sends and retries."""
import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from crm import clock
from crm.extensions import db
from crm.models import OutboxMessage, WebhookDelivery, WebhookSubscription
from crm.services import contacts as contact_service
from crm.services import delivery, referrals, webhooks

import markup

NOW = datetime(2026, 11, 20, 12, 0)


class Receiver:
    """Answers each POST with the next code of `codes` (the last one repeats) and keeps what it got."""

    def __init__(self):
        self.codes = [200]
        self.requests: list[tuple[dict, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                code = receiver.codes.pop(0) if len(receiver.codes) > 1 else receiver.codes[0]
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def verified(self, secret: str) -> list[dict]:
        """Every request's payload, each checked against its signature (raises if one is wrong)."""
        return [Webhook(secret).verify(body, headers) for headers, body in self.requests]


@pytest.fixture
def receiver(app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", True)  # the receiver is on loopback
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


def _subscribe(login_as, broker, url: str, *events: str):
    web = login_as(broker)
    web.get("/settings/webhooks")
    return web, web.post("/settings/webhooks", {"url": url, "event_types": list(events)})


def _only_subscription() -> WebhookSubscription:
    return db.session.scalars(select(WebhookSubscription)).one()


def test_events_are_signed_and_verify_with_the_same_package(users, receiver, login_as):
    web, response = _subscribe(login_as, users["broker"], receiver.url, "contact.created", "lead.created")
    assert response.status_code == 302
    subscription = _only_subscription()
    assert subscription.secret.startswith("whsec_")
    contact = contact_service.create_contact(None, first_name="Ana", last_name="Ruiz", owner_id=users["agent"].id,
                                             emails=["ana@example.com"], phones=["555-201-3344"])
    contact_service.record_lead(contact, "Showing Request", message="Call me at 555-201-3344")
    db.session.commit()
    assert delivery.deliver_outbox() == 2
    created, lead = receiver.verified(subscription.secret)
    assert created["type"] == "contact.created" and lead["type"] == "lead.created"
    assert created["data"]["contact"]["emails"] == ["ana@example.com"]  # the broker sees them
    assert lead["data"]["lead"]["inquiryType"] == "Showing Request"
    headers = receiver.requests[0][0]
    assert headers["webhook-id"].startswith("msg_") and headers["webhook-signature"].startswith("v1,")
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(receiver.requests[0][1], headers)


def test_retried_on_500_then_delivered_once(users, receiver, login_as):
    receiver.codes = [500, 200]
    web, _ = _subscribe(login_as, users["broker"], receiver.url, "referral.status_changed")
    contact = contact_service.create_contact(None, first_name="Ben", last_name="Cole", owner_id=users["agent"].id)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # not subscribed to creation
    with clock.frozen_at(NOW):
        referrals.change_status(contact, users["agent"], "Appointment Set")
        db.session.commit()
        delivery.deliver_outbox()
        sent = db.session.scalars(select(WebhookDelivery)).one()
        assert (sent.message.status, sent.response_code) == ("queued", 500)
        assert "500" in sent.message.last_error
        delivery.deliver_outbox()
        assert len(receiver.requests) == 1  # backoff: not again before its time
        clock.advance(timedelta(seconds=31))
        delivery.deliver_outbox()
        delivery.deliver_outbox()
    db.session.refresh(sent)
    assert (sent.message.status, sent.message.attempts, sent.response_code) == ("sent", 2, 200)
    first, second = receiver.verified(_only_subscription().secret)
    assert first == second and second["data"]["status"] == "Appointment Set"
    assert receiver.requests[0][0]["webhook-id"] == receiver.requests[1][0]["webhook-id"]
    page = web.get(f"/settings/webhooks/{sent.subscription_id}").get_data(as_text=True)
    assert "Delivered" in page and "200" in markup.parse(page).texts("td")


def test_send_test_event_and_redeliver(users, receiver, login_as):
    web, response = _subscribe(login_as, users["broker"], receiver.url, "offer.claimed")
    detail = response.headers["Location"]
    web.get(detail)
    assert web.post(f"{detail}/test").status_code == 302
    delivery.deliver_outbox()
    sent = db.session.scalars(select(WebhookDelivery)).one()
    assert web.post(f"/settings/webhooks/deliveries/{sent.id}/redeliver").status_code == 302
    delivery.deliver_outbox()
    first, again = receiver.verified(_only_subscription().secret)
    assert first["type"] == again["type"] == "webhook.test"
    assert receiver.requests[0][0]["webhook-id"] == receiver.requests[1][0]["webhook-id"]
    assert web.get(detail).get_data(as_text=True).count("Delivered") == 2


@pytest.mark.parametrize("url, message", [
    ("ftp://example.com/hook", "starts with https:// or http://"),
    ("javascript:alert(1)", "starts with https:// or http://"),
    ("http://10.1.2.3/hook", "private or local address"),
    ("http://127.0.0.1:9/hook", "private or local address"),
    ("http://[::1]/hook", "private or local address"),
    ("http://169.254.169.254/latest", "private or local address"),
])
def test_bad_urls_are_refused_and_nothing_is_stored(users, login_as, url, message):
    _, response = _subscribe(login_as, users["broker"], url, "contact.created")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(WebhookSubscription)) == 0


def test_an_address_that_turned_private_is_not_posted_to(users, receiver, login_as, app, monkeypatch):
    _subscribe(login_as, users["broker"], receiver.url, "contact.created")
    contact_service.create_contact(None, first_name="Cy", last_name="Dale", owner_id=users["agent"].id)
    db.session.commit()
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", False)
    delivery.deliver_outbox()
    assert receiver.requests == []
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.status == "queued" and "private" in message.last_error


def test_only_the_broker_manages_webhooks(users, login_as):
    for role in ("manager", "agent", "concierge"):
        assert login_as(users[role]).get("/settings/webhooks").status_code == 403


def test_payload_has_no_private_notes(users, receiver, login_as):
    _subscribe(login_as, users["broker"], receiver.url, "referral.status_changed")
    contact = contact_service.create_contact(None, first_name="Di", last_name="Eve", owner_id=users["agent"].id)
    referrals.save_referral(contact, users["agent"], "Follow-Up", "secret plan: call her brother")
    db.session.commit()
    delivery.deliver_outbox()
    assert "secret plan" not in json.dumps(receiver.verified(_only_subscription().secret))


def test_delete_webhook_asks_first_with_and_without_javascript(users, receiver, login_as):
    web, response = _subscribe(login_as, users["broker"], receiver.url, "lead.created")
    detail = response.headers["Location"]
    question = f"Delete the webhook to {receiver.url}? It gets no more events"
    confirmations = markup.parse(web.get(detail)).attrs("[hx-confirm]", "hx-confirm")
    assert any(confirmation.startswith(question) for confirmation in confirmations)
    asked = web.post(f"{detail}/delete")  # a plain form post: the confirmation step, nothing deleted
    assert asked.status_code == 200 and question in asked.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(WebhookSubscription)) == 1
    done = web.post(f"{detail}/delete", {"confirmed": "1"}, htmx=True)  # htmx after its confirm dialog
    assert done.status_code == 200 and done.headers.get("HX-Redirect") == "/settings/webhooks"
    assert db.session.scalar(select(func.count()).select_from(WebhookSubscription)) == 0
