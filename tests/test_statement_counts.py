"""No page's database work grows with the data (SPEC §7): each main page runs a small constant
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
