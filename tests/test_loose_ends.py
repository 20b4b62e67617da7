"""Unsubscribed and loose ends (docs/product.md#everyday-use): an `Unsubscribed` event marks the contact, Leads and
Contact Details say so, no email goes to that consumer while agents' alerts about them still go;
the migration and the demo mark contacts that already have an Unsubscribed lead; update requests
come once per owner per run and only for referrals in the Active sub-tabs; one plural rule."""
from datetime import datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, select, text

from crm import clock, create_app, worker
from crm.demo_accounts import mark_unsubscribed_contacts
from crm.extensions import db
from crm.models import Contact, LeadFlowRule, OutboxMessage, ServiceZip
from crm.models.values import REFERRAL_TABS
from crm.services import api_keys, offers, outbox, settings, update_requests
from crm.wording import plural

import markup
from events_support import EventsApi, event, person

START = datetime(2030, 3, 1, 9, 0)


@pytest.fixture
def api(app, users):
    db.session.add(LeadFlowRule(position=1, zip="33602", assign_to_id=users["agent"].id))
    _key, plain = api_keys.create_key("smithandassociates.com", rate_limit_per_minute=10_000)
    db.session.commit()
    return EventsApi(app, plain)


def test_an_unsubscribed_event_marks_the_contact_for_every_screen_and_stops_consumer_email(api, users, login_as):
    consumer = person("Ana", "Ruiz", "una@example.com")
    api.post(event(type="Registration", person=consumer))
    api.post(event(type="Unsubscribed", person=consumer))
    contact = db.session.scalar(select(Contact).where(Contact.first_name == "Ana"))
    assert contact.unsubscribed is True

    agent = login_as(users["agent"])
    assert set(markup.parse(agent.get("/contacts")).texts("td.name span.badge.unsubscribed")) == {"Unsubscribed"}
    assert "Unsubscribed" in markup.parse(agent.get(f"/contacts/{contact.id}")).texts("span.badge")

    assert outbox.enqueue_email("UNA@example.com", "Open house", "Come by", kind="newsletter") is None
    alert = outbox.enqueue_email(users["agent"].email, "Lead alert: Ana Ruiz", "About Ana", kind="alert",
                                 user=users["agent"], contact_id=contact.id)
    db.session.commit()
    recipients = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert "una@example.com" not in [r.lower() for r in recipients] and alert.id is not None
    assert "agent@demo.test" in recipients


def test_a_consumer_who_did_not_unsubscribe_still_gets_email(make_contact, users):
    make_contact(users["agent"], emails=["still@example.com"])
    assert outbox.enqueue_email("still@example.com", "Open house", "Come by", kind="newsletter") is not None


def test_the_demo_marks_contacts_with_an_unsubscribed_lead(make_contact, users):
    left = make_contact(users["agent"], "Left", "Us", inquiry="Unsubscribed")
    stayed = make_contact(users["agent"], "Stayed", "Here")
    assert left.unsubscribed is False  # recorded without the event's rule, as bulk loading does
    mark_unsubscribed_contacts(db.session)
    db.session.commit()
    db.session.expire_all()
    assert (db.session.get(Contact, left.id).unsubscribed, db.session.get(Contact, stayed.id).unsubscribed) == (
        True, False)


def test_the_migration_backfills_contacts_that_already_have_an_unsubscribed_lead(tmp_path):
    """On a database of its own at the first release's schema, then upgraded through every revision."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "BASE_URL": "http://crm.test",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite3'}"})
    with app.app_context():
        upgrade(revision="a0969579359a")
        for contact_id, inquiry in ((1, "Unsubscribed"), (2, "Registration")):
            db.session.execute(text(
                "INSERT INTO contacts (id, first_name, last_name, contact_status, contact_type, contact_source, "
                "interest_level, time_frame, lead_status, lead_type, referral_status, referral_status_changed_at, "
                "prequalified, is_referral, unsubscribed, is_client, lead_count, search_text, created_at, updated_at) "
                "VALUES (:id, 'C', 'C', 'Assigned', 'Buyer', 'Broker', 0, 'Unknown', 'Active', 'Active', 'New', "
                ":now, false, false, false, false, 1, '', :now, :now)"), {"id": contact_id, "now": START})
            db.session.execute(text(
                "INSERT INTO leads (contact_id, inquiry_type, occurred_at, created_at, digest_pending) "
                "VALUES (:id, :inquiry, :now, :now, false)"), {"id": contact_id, "inquiry": inquiry, "now": START})
        db.session.commit()
        upgrade()
        marked = db.session.execute(text("SELECT id, unsubscribed FROM contacts ORDER BY id")).all()
        assert [(row[0], bool(row[1])) for row in marked] == [(1, True), (2, False)]
        downgrade(revision="a0969579359a")
        db.session.remove()
        db.engine.dispose()


# --- Update requests: one email per owner per run, Active sub-tabs only ------------------------------

def _bulk_referrals(owner_id: int, count: int, status: str, since: datetime) -> None:
    db.session.execute(insert(Contact), [
        dict(first_name=f"R{n}", last_name=status, owner_id=owner_id, referral_status=status,
             referral_status_changed_at=since, created_at=since, updated_at=since) for n in range(count)])


def test_update_requests_come_once_per_owner_per_run_however_many_batches(users):
    alex, avery = users["agent"], users["agent2"]
    many = update_requests.BATCH * 2 + 30
    _bulk_referrals(alex.id, many, "New", START - timedelta(days=30))
    _bulk_referrals(avery.id, 3, "Appointment Set", START - timedelta(days=30))
    db.session.commit()
    with clock.frozen_at(START):
        assert update_requests.send_update_requests() == many + 3
        assert update_requests.send_update_requests() == 0
    emails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "update_request")).all()
    assert sorted(m.recipient for m in emails) == ["agent2@demo.test", "agent@demo.test"]
    alex_email = next(m for m in emails if m.recipient == "agent@demo.test")
    assert alex_email.subject == f"Update requested: {many:,} referrals"
    assert f"...and {many - update_requests.MAX_LISTED:,} more referrals under Referrals" in alex_email.body_text


@pytest.mark.parametrize("tab", ["Wins", "Lost Listings/Sales", "Inactive Leads"])
def test_no_update_request_for_referrals_outside_the_active_sub_tabs(users, tab):
    for status in REFERRAL_TABS[tab]:
        _bulk_referrals(users["agent"].id, 2, status, START - timedelta(days=30))
    db.session.commit()
    with clock.frozen_at(START):
        worker.run_once()
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "update_request")).all() == []


# --- Wording -------------------------------------------------------------------------------------

@pytest.mark.parametrize("count, singular, plural_form, words", [
    (1, "minute", None, "1 minute"), (0, "minute", None, "0 minutes"), (2, "minute", None, "2 minutes"),
    (1, "website activity", "website activities", "1 website activity"),
    (1204, "lead", None, "1,204 leads"),
])
def test_one_plural_rule(count, singular, plural_form, words):
    assert plural(count, singular, plural_form) == words


def test_time_left_uses_the_plural_rule():
    now = datetime(2030, 3, 1, 9, 0)
    assert offers.time_left(now + timedelta(seconds=30), now) == "1 minute left"
    assert offers.time_left(now + timedelta(hours=1, minutes=1), now) == "61 minutes left"
    assert offers.time_left(now + timedelta(hours=25), now) == "25 hours left"
    assert offers.time_left(now + timedelta(days=3), now) == "3 days left"


def test_the_conversion_flash_says_1_minute(login_as, users, make_contact):
    settings.put("claim_window_minutes", 1)
    db.session.add(ServiceZip(user_id=users["agent"].id, zip="33602"))
    contact = make_contact(None, "Una", "Minute", zip="33602")
    db.session.commit()
    with clock.frozen_at(START):
        concierge = login_as(users["concierge"])
        concierge.post(f"/concierge/{contact.id}/convert", {"date": "2030-03-02", "time": "10:00"})
        page = concierge.get("/concierge/").get_data(as_text=True)
    assert "who has 1 minute to claim it" in page and "1 minutes" not in page
