"""Demo data for import, webhooks and the dashboard (docs/product.md#settings), seen from the demo accounts at once: a
finished import of a kvCORE export with a few skipped rows, a webhook subscription whose delivery
log holds a success and a failure, and owners answering their recent immediate leads, so that the
dashboard's speed to lead means something. Ends with the dashboard's counts folded."""
import io
import json
import random
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from crm import clock
from crm.models import Lead, User, WebhookSubscription
from crm.models.values import IMMEDIATE_INQUIRIES, OutboxStatus
from crm.services import activity, dashboard_rollup, imports, webhooks

IMPORT_ROWS = 40
ANSWERED_LEADS = 3_000  # the most recent immediate leads: four in five get their owner's call
FIRST_CALL_MINUTES = (2, 5, 9, 15, 25, 40, 70, 120, 240, 600)
KVCORE_HEADERS = ["First Name", "Last Name", "Email", "Cell Phone", "Zip", "Lead Type", "Date Added"]
SKIPPED = [
    ["", "", "", "", "33602", "Buyer", "2026-10-02"],  # no name, email or phone
    ["Sam", "Nobody", "sam-at-example", "", "33611", "Buyer", "2026-10-03"],  # not an email
    ["Rae", "Formula", "=HYPERLINK(\"x\")", "", "33609", "Seller", "2026-10-04"],  # a spreadsheet formula
]


def add_demo(session, users_by_email: dict[str, User]) -> None:
    broker, agent = users_by_email.get("broker@demo.test"), users_by_email.get("agent@demo.test")
    if broker is None or agent is None:
        return
    rng = random.Random(13)
    _answered_leads(session, rng)
    _finished_import(session, broker, agent)
    _webhook_with_a_delivery_log(session, broker)
    session.commit()
    dashboard_rollup.fold_changes()


def _answered_leads(session, rng: random.Random) -> None:
    """The owner's first call after most recent immediate leads (the triggers set `answered_at`)."""
    recent = session.execute(
        select(Lead.contact_id, Lead.owner_id, Lead.occurred_at)
        .where(Lead.inquiry_type.in_(IMMEDIATE_INQUIRIES), Lead.owner_id.is_not(None),
               Lead.occurred_at <= clock.now() - timedelta(hours=10))
        .order_by(Lead.occurred_at.desc()).limit(ANSWERED_LEADS)).all()
    activity.log_many([
        dict(contact_id=contact_id, actor_id=owner_id, action="Called", detail="First call",
             created_at=occurred_at + timedelta(minutes=rng.choice(FIRST_CALL_MINUTES) * rng.uniform(0.8, 1.2)))
        for contact_id, owner_id, occurred_at in recent if rng.random() < 0.8])


def _finished_import(session, broker: User, agent: User) -> None:
    today = clock.now().date()
    rows = [KVCORE_HEADERS] + [
        [f"Kim{n}", "Switcher", f"kim{n}.switcher@example.com", f"555-013-{n:04d}", "33602",
         "Buyer" if n % 3 else "Seller", (today - timedelta(days=n % 20 + 1)).isoformat()]
        for n in range(IMPORT_ROWS)] + SKIPPED
    text = "\n".join(",".join(f'"{cell}"' for cell in row) for row in rows)
    upload = FileStorage(io.BytesIO(text.encode()), filename="kvcore-export.csv")
    stored = imports.upload(broker, upload, Path(current_app.instance_path) / "imports")
    imports.start(stored, broker, {name: int(index) for name, index in json.loads(stored.mapping).items()},
                  agent.id)
    session.commit()
    imports.run_imports()


def _webhook_with_a_delivery_log(session, broker: User) -> None:
    """Subscribed after the import (the demo queues nothing for it); one event delivered, one refused."""
    subscription = WebhookSubscription(url="https://hooks.example.com/lead-crm", event_types="lead.created",
                                       secret=webhooks.new_secret(), created_by_id=broker.id)
    session.add(subscription)
    delivered, refused = webhooks.send_test_event(subscription), webhooks.send_test_event(subscription)
    delivered.response_code, delivered.message.status, delivered.message.attempts = 200, OutboxStatus.SENT, 1
    refused.response_code, refused.message.status, refused.message.attempts = 500, OutboxStatus.FAILED, 5
    refused.message.last_error = "HTTP 500 from the receiver after 5 attempts"
    session.flush()
