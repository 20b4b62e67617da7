"""Leads of an agent with shares come from two index ranges (their own, and contacts shared with
them) merged into one order; sorts break ties by date; keywords find leads by their own street."""
from datetime import datetime, timedelta

import pytest

from crm import clock
from crm.extensions import db
from crm.models import ActionPlan, ContactShare, Lead, ManageRequest
from crm.services import action_plans
from crm.services import contacts as contact_service

import markup
from leads_list import lead_row_ids

NOW = datetime(2026, 11, 18, 15, 0)


@pytest.fixture
def mixed(users, make_contact):
    """Agent owns 20 people, agent2 owns 10 more shared with agent and 5 not shared; each has two leads.
    Every fifth has a pending request; every third an action plan: late, on time, due nothing or done."""
    plan = ActionPlan(name="Follow-Up")
    db.session.add(plan)
    people = []
    for n in range(35):
        owner = users["agent"] if n % 7 < 4 else users["agent2"]
        person = make_contact(owner, f"P{n:02d}", f"Name{(n * 13) % 35:02d}", priority=("Hot", "Cold")[n % 2])
        contact_service.record_lead(person, "Showing Request", occurred_at=NOW - timedelta(hours=n))
        if n % 5 == 0:
            db.session.add(ManageRequest(contact_id=person.id, kind="Archive", requested_by_id=owner.id))
        if n % 3 == 0:
            person.action_plan_id = plan.id
            person.plan_next_due_at = (None if n % 4 == 1 else NOW + timedelta(days=n % 9 - 4))
            person.plan_completed_at = NOW if n % 4 == 2 else None
        people.append(person)
    shared = [p for p in people if p.owner_id == users["agent2"].id][:10]
    db.session.add_all(ContactShare(contact_id=p.id, user_id=users["agent"].id) for p in shared)
    db.session.commit()
    visible = {p.id for p in people if p.owner_id == users["agent"].id} | {p.id for p in shared}
    return [lead.id for lead in db.session.query(Lead).filter(Lead.contact_id.in_(visible))]


def all_pages(client, url: str) -> list[int]:
    seen = []
    while url:
        response = client.get(url)
        seen += lead_row_ids(response)
        next_links = markup.parse(response).attrs("a[rel=next]", "href")
        url = next_links[0] if next_links else None
    return seen


def expected_order(lead_ids: list[int], sort: str, direction: str) -> list[int]:
    leads = db.session.query(Lead).filter(Lead.id.in_(lead_ids)).all()
    pending = set(db.session.scalars(db.select(ManageRequest.contact_id)))
    key = {"name": lambda lead: (lead.contact_name_key, lead.occurred_at, lead.id),
           "priority": lambda lead: (lead.priority_rank, lead.occurred_at, lead.id),
           "owner": lambda lead: (lead.owner_name, lead.occurred_at, lead.id),
           "action_plan": lambda lead: (lead.plan_rank, lead.plan_next_due or NOW, lead.occurred_at, lead.id),
           "request": lambda lead: (lead.contact_id not in pending, lead.occurred_at, lead.id),
           "date": lambda lead: (lead.occurred_at, lead.id)}[sort]
    return [lead.id for lead in sorted(leads, key=key, reverse=direction == "desc")]


@pytest.mark.parametrize("sort, direction", [("name", "asc"), ("name", "desc"), ("priority", "asc"),
                                             ("date", "desc"), ("date", "asc"), ("owner", "asc"), ("owner", "desc"),
                                             ("action_plan", "asc"), ("action_plan", "desc"), ("request", "asc"),
                                             ("request", "desc")])
def test_own_and_shared_leads_merge_in_order_over_every_page(login_as, users, mixed, sort, direction):
    seen = all_pages(login_as(users["agent"]), f"/contacts?sort={sort}&dir={direction}")
    assert len(mixed) == 60
    assert seen == expected_order(mixed, sort, direction)


def test_action_plan_sorts_late_then_on_time_then_completed_then_none(login_as, users, mixed):
    with clock.frozen_at(NOW):
        seen = all_pages(login_as(users["agent"]), "/contacts?sort=action_plan&dir=asc")
    leads = {lead.id: lead for lead in db.session.query(Lead).filter(Lead.id.in_(seen))}
    statuses = [action_plans.plan_status(leads[lead_id].contact, NOW) for lead_id in seen]
    order = ["Late Task", "On Time", "Completed", None]
    assert [order.index(status) for status in statuses] == sorted(order.index(status) for status in statuses)
    assert set(statuses) == set(order)


def test_the_count_adds_both_branches(login_as, users, mixed):
    assert "60 leads" in login_as(users["agent"]).get("/contacts").get_data(as_text=True)


def test_grouped_with_an_inquiry_type_counts_the_contacts_of_both_branches(login_as, users, mixed):
    page = login_as(users["agent"]).get("/contacts?group=contact&inquiry_type=Showing Request")
    assert "30 contacts" in page.get_data(as_text=True)


def test_a_contact_both_owned_and_shared_is_listed_once(login_as, users, make_contact):
    mine = make_contact(users["agent"], "Own", "AndShared")
    db.session.add(ContactShare(contact_id=mine.id, user_id=users["agent"].id))
    db.session.commit()
    response = login_as(users["agent"]).get("/contacts")
    assert len(lead_row_ids(response)) == 1 and "1 lead" in response.get_data(as_text=True)


def test_a_keyword_finds_a_lead_by_its_own_street_number(login_as, users, make_contact):
    person = make_contact(users["agent"], "Sam", "Street", inquiry="Registration")
    contact_service.record_lead(person, "Showing Request", property_street="4821 Bayshore Blvd")
    db.session.commit()
    response = login_as(users["agent"]).get("/contacts?keyword=4821")
    rows = lead_row_ids(response)
    assert len(rows) == 1 and "4821 Bayshore Blvd" in response.get_data(as_text=True)
