"""No page's database work grows with the data (docs/product.md#scale): each main page runs a small constant
number of SQL statements, the same with 3 contacts as with 30, settings read once."""
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from crm.extensions import db

MAX_STATEMENTS = 15
PAGES = [  # (role, path)
    ("agent", "/contacts"),
    ("manager", "/contacts"),
    ("agent", "/contacts/{contact_id}"),
    ("broker", "/contacts/{contact_id}"),
    ("agent", "/referrals"),
    ("manager", "/referrals"),
    ("concierge", "/concierge/"),
    ("agent", "/offers/"),
    ("manager", "/requests"),
    ("broker", "/compliance"),
    ("broker", "/settings/permissions"),
]


@contextmanager
def counted_statements():
    statements: list[str] = []

    def count(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _add_contacts(make_contact, users, how_many: int, start: int):
    for number in range(start, start + how_many):
        owner = users["agent"] if number % 2 else users["agent2"]
        make_contact(owner, "Count", f"Person{number}", emails=[f"count{number}@example.com"],
                     phones=[f"555-300-{number:04d}"], inquiry="Showing Request", is_referral=True,
                     referral_status="New")


def _statements_for(client, path: str) -> list[str]:
    with counted_statements() as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return list(statements)


@pytest.mark.parametrize("role,path", PAGES)
def test_a_page_runs_the_same_small_number_of_statements_whatever_the_data(login_as, users, make_contact,
                                                                            role, path):
    _add_contacts(make_contact, users, 3, 0)
    client = login_as(users[role])
    contact_id = db.session.scalar(db.select(db.text("min(id) FROM contacts WHERE owner_id = :owner")),
                                   {"owner": users["agent"].id})
    path = path.format(contact_id=contact_id)
    few = _statements_for(client, path)
    _add_contacts(make_contact, users, 27, 3)
    many = _statements_for(client, path)

    assert len(many) == len(few) <= MAX_STATEMENTS, "\n".join(many)
    assert sum("FROM settings" in statement for statement in many) <= 1


# --- The events API: a few statements per event, however many contacts there are ---------------

MAX_STATEMENTS_PER_EVENT = 10
PERSON_LOCK = 1  # PostgreSQL: the advisory lock on the person's emails and phones, before matching


@pytest.fixture
def events_api(app, users):
    from crm.services import action_plans, api_keys, settings

    from events_support import EventsApi

    plan = action_plans.create_plan("Website follow-up")
    action_plans.add_task(plan, "Call", "Call them", 0)
    action_plans.add_task(plan, "Email", "Send listings", 2)
    db.session.flush()
    settings.put("plan_in_use_id", plan.id)
    _key, plain = api_keys.create_key("count.example", rate_limit_per_minute=100_000)
    db.session.commit()
    return EventsApi(app, plain)


def _event_statements(api, body: dict, headers: dict | None = None) -> tuple[int, list[str]]:
    with counted_statements() as statements:
        response = api.post(body, headers=headers)
    return response.status_code, list(statements)


@pytest.mark.parametrize("contacts_before", [0, 40])
def test_an_event_is_at_most_ten_statements_and_does_not_grow_with_the_contacts(events_api, contacts_before):
    from events_support import event, person

    for number in range(contacts_before):
        events_api.post(event(person=person("Seen", f"Before{number}", f"seen{number}@example.com")))
    new_person = event(type="Showing Request", person=person("Nora", "New", "nora@example.com", "555-201-7788"))
    returning = event(type="Showing Request", person=person("Nora", "New", "nora@example.com"))

    created, new_statements = _event_statements(events_api, new_person)
    matched, returning_statements = _event_statements(events_api, returning, {"Idempotency-Key": "visit-2"})

    lock = PERSON_LOCK if db.engine.dialect.name == "postgresql" else 0
    assert (created, matched) == (201, 200)
    # new: claim, lookup, round robin, contact, emails, phones, lead, tasks, activity, alert email
    assert len(new_statements) <= MAX_STATEMENTS_PER_EVENT + lock, "\n".join(new_statements)
    # returning: claim, lookup, contact's list columns, lead, routing log, alert email, idempotency record
    assert len(returning_statements) <= 7 + lock, "\n".join(returning_statements)
