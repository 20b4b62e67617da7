"""Mail that is never given up silently (docs/product.md#delivery): through an outage the worker retries at most an
hour apart for at least three days, then marks the message failed, shows it on the notification
log and emails the broker once mail works again; a crashed send is re-sent with the same Message-ID."""
from datetime import datetime, timedelta
from itertools import pairwise

import pytest

from crm import clock
from crm.extensions import db
from crm.models import OutboxMessage
from crm.services import delivery, outbox

from events_support import free_port, smtp_server

NOW = datetime(2026, 11, 21, 18, 30)


@pytest.fixture
def smtp_port(app, monkeypatch):
    port = free_port()
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{port}")
    return port


def _queue(recipient="agent@demo.test") -> int:
    message = outbox.enqueue_email(recipient, "Lead alert", "Body", kind="alert")
    db.session.commit()
    return message.id


def _retry_through_outage(message_id: int, until: timedelta) -> list[datetime]:
    """Run the worker at each retry time while the mail server is down; the attempt times."""
    attempts = []
    while True:
        message = db.session.get(OutboxMessage, message_id)
        if message.status != "queued" or message.next_attempt_at - NOW > until:
            return attempts
        clock.advance(max(message.next_attempt_at - clock.now(), timedelta(0)))
        attempts.append(clock.now())
        delivery.deliver_outbox()
        db.session.expire_all()


def test_a_five_hour_outage_loses_nothing(users, smtp_port):
    with clock.frozen_at(NOW):
        message_id = _queue()
        attempts = _retry_through_outage(message_id, timedelta(hours=5))
        assert db.session.get(OutboxMessage, message_id).status == "queued"
        assert max(later - earlier for earlier, later in pairwise(attempts)) <= timedelta(hours=1)
        clock.advance(db.session.get(OutboxMessage, message_id).next_attempt_at - clock.now())
        with smtp_server(smtp_port) as mailbox:
            delivery.deliver_outbox()
        assert mailbox.outbox_ids() == [message_id]


def test_after_three_days_the_message_fails_and_the_broker_is_told_once_mail_works(users, login_as, smtp_port):
    with clock.frozen_at(NOW):
        message_id = _queue()
        attempts = _retry_through_outage(message_id, timedelta(days=4))
        failed = db.session.get(OutboxMessage, message_id)
        assert failed.status == "failed"
        assert attempts[-1] - NOW >= timedelta(days=3)
        assert max(later - earlier for earlier, later in pairwise(attempts)) <= timedelta(hours=1)
        assert len(attempts) == delivery.ATTEMPTS_BEFORE_FAILING + 1

        page = login_as(users["broker"]).get("/settings/notifications").get_data(as_text=True)
        assert "1 message could not be sent" in page

        _queue("agent2@demo.test")
        with smtp_server(smtp_port) as mailbox:
            delivery.deliver_outbox()  # mail works again: the queued alert goes, the broker is told
            delivery.deliver_outbox()  # ... and the report itself is sent
            delivery.deliver_outbox()  # reported once only
        reports = [message for message in mailbox.messages if "could not be sent" in message["Subject"]]
        assert [report["To"] for report in reports] == ["broker@demo.test"]
        assert f"#{message_id} email to agent@demo.test" in reports[0].get_body().get_content()


def test_the_lease_is_about_one_send_and_the_message_id_is_stable(users, smtp_port):
    assert timedelta(minutes=2) >= delivery.LEASE
    with clock.frozen_at(NOW):
        message_id = _queue()
        assert delivery.claim_batch() == [message_id]  # the worker "dies" after sending
        clock.advance(delivery.LEASE + timedelta(seconds=1))
        with smtp_server(smtp_port) as mailbox:
            delivery.deliver_outbox()
    first = delivery.build_email(db.session.get(OutboxMessage, message_id))["Message-ID"]
    assert mailbox.messages[0]["Message-ID"] == first == delivery.build_email(
        db.session.get(OutboxMessage, message_id))["Message-ID"]
