"""Lead rows carry copies of their contact's fields (crm/services/lead_rows.py): every change path
keeps them true, and `sync` repairs them set-wise."""
from datetime import timedelta

import pytest
from import_files import FUB_HEADERS, csv_bytes, start_import, upload_file
from sqlalchemy import select, update

from crm import clock
from crm.extensions import db
from crm.models import Contact, Lead, User
from crm.services import action_plans, api_keys, contacts, imports, lead_rows, manage, offers, settings

from events_support import EventsApi, event
from referral_helpers import convert, give_territory

OPEN, NOTHING_DUE, COMPLETED, NO_PLAN = 0, 1, 2, 3  # the plan ranks, Late and On Time first


def copies(contact: Contact) -> set[tuple]:
    db.session.expire_all()
    query = select(Lead.owner_id, Lead.office_id, Lead.contact_status, Lead.priority, Lead.priority_rank,
                   Lead.interest_level,
                   Lead.lead_type, Lead.contact_name_key, Lead.contact_archived, Lead.contact_deleted,
                   Lead.owner_name, Lead.plan_rank, Lead.plan_next_due
                   ).where(Lead.contact_id == contact.id)
    return set(db.session.execute(query).all())


def expected(contact: Contact) -> set[tuple]:
    db.session.refresh(contact)
    rank = {"Hot": 0, "Warm": 1, "Cold": 2, "Dead": 3}.get(contact.priority, 9)  # Hot sorts first
    owner = db.session.get(User, contact.owner_id) if contact.owner_id else None
    if contact.action_plan_id is None:
        plan_rank = NO_PLAN
    elif contact.plan_completed_at is not None:
        plan_rank = COMPLETED
    else:
        plan_rank = NOTHING_DUE if contact.plan_next_due_at is None else OPEN
    return {(contact.owner_id, contact.office_id, contact.contact_status, contact.priority, rank,
             contact.interest_level,
             contact.lead_type, f"{contact.last_name} {contact.first_name}".strip().lower(),
             contact.archived_at is not None, contact.deleted_at is not None,
             owner.name if owner else None, plan_rank, contact.plan_next_due_at)}


def plan_ranks(contact: Contact) -> set[int]:
    return {row[11] for row in copies(contact)}


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


def test_a_renamed_owner_is_renamed_on_their_leads(users, ana):
    users["agent"].name = "Alexandra Agent"
    db.session.commit()
    assert copies(ana) == expected(ana)
    assert {row[10] for row in copies(ana)} == {"Alexandra Agent"}


def test_a_claimed_offer_gives_the_rows_the_new_owner(users, make_contact):
    give_territory(users["agent2"], serves=["33602"], sponsors=["33602"])
    lead = make_contact(None, "Ana", "Ruiz", inquiry="Seller Inquiry", zip="33602")
    offer = convert(lead, users["concierge"])
    assert offers.claim(offer.id, users["agent2"]) is not None
    db.session.commit()
    assert copies(lead) == expected(lead)
    assert {row[10] for row in copies(lead)} == {users["agent2"].name}


def test_the_events_api_routes_a_new_contact_and_reroutes_a_merged_one(app, users):
    _key, plain = api_keys.create_key("site", rate_limit_per_minute=10_000)
    db.session.commit()
    api = EventsApi(app, plain)
    first = api.post(event()).get_json()
    contact = db.session.get(Contact, first["id"])
    assert copies(contact) == expected(contact)
    owner = db.session.get(User, contact.owner_id)
    if owner is not None:  # the owner left: the next event routes the contact anew, its older leads follow
        owner.is_active_user = False
        db.session.commit()
    api.post(event(type="Saved Property"))
    assert copies(contact) == expected(contact)


@pytest.fixture
def follow_up(users):
    """A plan in use whose first task is due the day it starts; completed plans go to agent2."""
    plan = action_plans.create_plan("Follow-Up")
    action_plans.add_task(plan, "Call", "Intro call", 0)
    action_plans.add_task(plan, "Email", "Listings", 2)
    settings.put("plan_in_use_id", plan.id)
    settings.put("completed_plans_to_id", users["agent2"].id)
    db.session.commit()
    return plan


def test_add_lead_starts_the_plan_and_its_rows_sort_by_the_next_task(users, follow_up, make_contact):
    pat = make_contact(users["agent"], "Pat", "Plan")
    assert copies(pat) == expected(pat) and plan_ranks(pat) == {OPEN}


def test_ticking_every_task_completes_the_plan_and_hands_the_rows_on(users, follow_up, make_contact):
    pat = make_contact(users["agent"], "Pat", "Plan")
    first, second = action_plans.tasks_of(pat)
    action_plans.set_task_done(pat, first.id, users["agent"], done=True)
    db.session.commit()
    assert copies(pat) == expected(pat) and plan_ranks(pat) == {OPEN}
    action_plans.set_task_done(pat, second.id, users["agent"], done=True)
    db.session.commit()
    assert copies(pat) == expected(pat) and plan_ranks(pat) == {COMPLETED}
    assert {row[10] for row in copies(pat)} == {users["agent2"].name}


def test_reset_restarts_the_plan_on_the_rows(users, follow_up, make_contact):
    pat = make_contact(users["agent"], "Pat", "Plan")
    for task in action_plans.tasks_of(pat):
        action_plans.set_task_done(pat, task.id, users["agent"], done=True)
    with clock.frozen_at(clock.now() + timedelta(days=3)):
        manage.perform(users["manager"], "reset_plan", db.session.get(Contact, pat.id))
        db.session.commit()
    assert copies(pat) == expected(pat) and plan_ranks(pat) == {OPEN}


def test_a_plan_without_tasks_is_completed_at_once(users, make_contact):
    empty = action_plans.create_plan("Nothing to do")
    settings.put("plan_in_use_id", empty.id)
    pat = make_contact(users["agent"], "Pat", "Plan")
    db.session.commit()
    assert copies(pat) == expected(pat) and plan_ranks(pat) == {COMPLETED}


def test_the_events_api_starts_the_plan_on_a_new_contacts_lead(app, follow_up):
    _key, plain = api_keys.create_key("site", rate_limit_per_minute=10_000)
    db.session.commit()
    contact = db.session.get(Contact, EventsApi(app, plain).post(event()).get_json()["id"])
    assert copies(contact) == expected(contact) and plan_ranks(contact) == {OPEN}


def test_imported_people_carry_their_owner_and_plan(users, login_as, follow_up):
    broker = login_as(users["broker"])
    response = upload_file(broker, csv_bytes([FUB_HEADERS, ["Ivy", "Import", "ivy@example.com", "", "Zillow",
                                                            "33602", "Hello"]]))
    start_import(broker, response, assign_to=str(users["agent"].id))
    assert imports.run_imports() == 1
    ivy = db.session.scalar(select(Contact).where(Contact.last_name == "Import"))
    assert copies(ivy) == expected(ivy) and plan_ranks(ivy) == {OPEN}
    assert {row[10] for row in copies(ivy)} == {users["agent"].name}
