"""Lead rows carry copies of their contact's fields (crm/services/lead_rows.py): every change path
keeps them true, and `sync` repairs them set-wise."""
import pytest
from sqlalchemy import select, update

from crm.extensions import db
from crm.models import Contact, Lead
from crm.services import api_keys, contacts, lead_rows, manage

from events_support import EventsApi, event


def copies(contact: Contact) -> set[tuple]:
    db.session.expire_all()
    query = select(Lead.owner_id, Lead.office_id, Lead.contact_status, Lead.priority, Lead.priority_rank,
                   Lead.interest_level,
                   Lead.lead_type, Lead.contact_name_key, Lead.contact_archived, Lead.contact_deleted
                   ).where(Lead.contact_id == contact.id)
    return set(db.session.execute(query).all())


def expected(contact: Contact) -> set[tuple]:
    db.session.refresh(contact)
    rank = {"Hot": 0, "Warm": 1, "Cold": 2, "Dead": 3}.get(contact.priority, 9)  # Hot sorts first
    return {(contact.owner_id, contact.office_id, contact.contact_status, contact.priority, rank,
             contact.interest_level,
             contact.lead_type, f"{contact.last_name} {contact.first_name}".strip().lower(),
             contact.archived_at is not None, contact.deleted_at is not None)}


@pytest.fixture
def ana(users, make_contact):
    contact = make_contact(users["agent"], "Ana", "Ruiz", priority="Warm")
    contacts.record_lead(contact, "Showing Request", mls_number="T1")
    db.session.commit()
    return contact


def test_new_leads_from_add_lead_carry_the_contact(ana):
    assert copies(ana) == expected(ana)
    assert db.session.scalar(select(Lead.owner_id).where(Lead.contact_id == ana.id).limit(1)) == ana.owner_id


def test_hand_off_moves_the_rows_to_the_new_owner_and_office(users, ana):
    """The broker hands off across offices (a manager only inside their own)."""
    manage.perform(users["broker"], "hand_off", ana, users["west_agent"].id)
    db.session.commit()
    assert copies(ana) == expected(ana)
    assert {row[0] for row in copies(ana)} == {users["west_agent"].id}


def test_share_and_stop_sharing_update_the_status(users, ana):
    manage.perform(users["manager"], "share", ana, users["agent2"].id)
    db.session.commit()
    assert {row[2] for row in copies(ana)} == {"Shared"}
    manage.stop_sharing(users["manager"], ana, users["agent2"].id)
    db.session.commit()
    assert copies(ana) == expected(ana)


def test_field_edits_archive_and_delete_follow(users, ana):
    contacts.update_fields(ana, users["manager"], {"priority": "Hot", "interest_level": 4, "last_name": "Smith"},
                           {"priority": "Priority", "interest_level": "Interest", "last_name": "Last"})
    db.session.commit()
    assert copies(ana) == expected(ana)
    manage.perform(users["manager"], "archive", ana)
    db.session.commit()
    assert copies(ana) == expected(ana) and {row[8] for row in copies(ana)} == {True}
    manage.perform(users["broker"], "delete", ana)
    db.session.commit()
    assert {row[9] for row in copies(ana)} == {True}


def test_events_api_merges_into_the_contact_and_its_new_leads_carry_it(app, users):
    _key, plain = api_keys.create_key("site", rate_limit_per_minute=10_000)
    db.session.commit()
    api = EventsApi(app, plain)
    first = api.post(event()).get_json()
    api.post(event(type="Saved Property"))
    contact = db.session.get(Contact, first["id"])
    assert db.session.scalar(select(Lead.id).where(Lead.contact_id == contact.id).limit(1))
    assert len(db.session.scalars(select(Lead.id).where(Lead.contact_id == contact.id)).all()) == 2
    assert copies(contact) == expected(contact)


def test_sync_repairs_rows_for_one_contact_or_for_all(users, ana, make_contact):
    other = make_contact(users["agent2"], "Bob", "Beta")
    db.session.execute(update(Lead).values(owner_id=None, contact_status="Closed"))
    lead_rows.sync(db.session, [ana.id])
    assert copies(ana) == expected(ana)
    assert copies(other) != expected(other)
    lead_rows.sync(db.session)
    assert copies(other) == expected(other)


def test_sync_unfilled_fills_only_leads_inserted_without_copies(users, ana, make_contact):
    bob = make_contact(users["agent2"], "Bob", "Beta")
    db.session.execute(update(Lead).where(Lead.contact_id == bob.id).values(contact_name_key="", owner_id=None))
    db.session.execute(update(Lead).where(Lead.contact_id == ana.id).values(owner_id=None))
    lead_rows.sync_unfilled(db.session)
    assert copies(bob) == expected(bob)
    assert copies(ana) != expected(ana)


def test_copied_values_agree_with_the_sql_copy(users, ana):
    lead = db.session.scalars(select(Lead).where(Lead.contact_id == ana.id)).first()
    assert {name: getattr(lead, name) for name in lead_rows.COPIED_COLUMNS} == lead_rows.copied_values(ana)
