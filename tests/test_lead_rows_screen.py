"""Leads lists one row per lead (docs/product.md#leads): events become rows, lead-level and
contact-level filters, masking in the rows, Group by contact, keyset paging, Smart Lists, a
statement count that does not grow with the rows, and bad input never answering 500."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event as sa_event

from crm import clock
from crm.extensions import db
from crm.models import ContactShare, SmartList
from crm.services import api_keys
from crm.services import contacts as contact_service

import markup
from events_support import EventsApi, event
from leads_list import lead_row_ids, listed_names, listed_rows

NOW = datetime(2026, 11, 18, 15, 0)


@pytest.fixture
def api(app, users):
    _key, plain = api_keys.create_key("smithandassociates.com", rate_limit_per_minute=10_000)
    db.session.commit()
    return EventsApi(app, plain)


@pytest.fixture
def busy(users, make_contact):
    """Ana (agent, masked) with five showing requests and a saved property; Bob (agent2) with one."""
    agent = users["agent"]
    with clock.frozen_at(NOW - timedelta(days=10)):
        ana = make_contact(agent, "Ana", "Ruiz", inquiry="Registration", priority="Hot",
                           emails=["ana@example.com"], phones=["555-201-3344"], zip="33611")
    for day in range(5):
        contact_service.record_lead(ana, "Showing Request", occurred_at=NOW - timedelta(days=day, hours=1),
                                    property_street=f"{day + 1} Oak St", property_city="Tampa",
                                    property_zip="33602", mls_number=f"T10000{day}")
    contact_service.record_lead(ana, "Saved Property", occurred_at=NOW - timedelta(days=20),
                                mls_number="T555555", property_zip="33629")
    contact_service.record_lead(ana, "General Inquiry", occurred_at=NOW - timedelta(days=30),
                                message="Call me at (555) 201-3344 or ana@example.com, thanks")
    bob = make_contact(users["agent2"], "Bob", "Beta", inquiry="Showing Request", priority="Cold")
    db.session.commit()
    return {"ana": ana, "bob": bob}


def test_five_showing_requests_through_the_events_api_are_five_rows(api, login_as, users):
    for day in range(5):
        body = event(occurredAt=f"2026-11-1{day}T18:02:00Z",
                     property={"street": f"{day} Oak St", "city": "Tampa", "code": "33602", "mlsNumber": f"T{day}"})
        assert api.post(body).status_code in (200, 201)
    html_response = login_as(users["broker"]).get("/contacts?inquiry_type=Showing Request")
    rows = listed_rows(html_response)
    assert rows == [("Ana Ruiz", "Showing Request")] * 5
    assert "5 leads" in html_response.get_data(as_text=True)
    grouped = login_as(users["broker"]).get("/contacts?inquiry_type=Showing Request&group=contact")
    assert listed_rows(grouped) == [("Ana Ruiz", "Showing Request")]
    assert "(5 leads)" in grouped.get_data(as_text=True) and "1 contact" in grouped.get_data(as_text=True)


@pytest.mark.parametrize("query, expected", [
    ("inquiry_type=Showing Request", [("Ana Ruiz", "Showing Request")] * 5),
    ("inquiry_type=Saved Property", [("Ana Ruiz", "Saved Property")]),
    ("priority=Hot&inquiry_type=Registration", [("Ana Ruiz", "Registration")]),
    ("activity_from=2026-11-16&activity_to=2026-11-17", [("Ana Ruiz", "Showing Request")] * 2),
    ("keyword=T555555", [("Ana Ruiz", "Saved Property")]),
    ("keyword=33629", [("Ana Ruiz", "Saved Property")]),
    ("priority=Cold", []),  # Bob is agent2's: never the agent's row
])
def test_lead_level_filters_select_leads_and_the_others_select_by_contact(login_as, users, busy, query, expected):
    with clock.frozen_at(NOW):
        response = login_as(users["agent"]).get(f"/contacts?{query}")
    assert response.status_code == 200
    assert listed_rows(response) == expected


def test_contact_level_filters_keep_every_lead_of_the_matching_contact(login_as, users, busy):
    response = login_as(users["manager"]).get("/contacts?priority=Hot")
    assert {name for name, _ in listed_rows(response)} == {"Ana Ruiz"}
    assert len(listed_rows(response)) == 8
    assert listed_rows(login_as(users["manager"]).get("/contacts?priority=Cold")) == [("Bob Beta", "Showing Request")]


def test_newest_lead_first_and_view_opens_the_lead(login_as, users, busy):
    response = login_as(users["agent"]).get("/contacts")
    ids = lead_row_ids(response)
    first_row = markup.parse(response).select("table.lead-rows tbody tr")[0]
    assert first_row.css_first("td.name a").attributes["href"] == f"/contacts/{busy['ana'].id}#lead-{ids[0]}"
    assert markup.parse(login_as(users["agent"]).get(f"/contacts/{busy['ana'].id}")).has(f"#lead-{ids[0]}")


def test_masked_phone_and_email_never_show_in_lead_rows(login_as, users, busy):
    agent_html = login_as(users["agent"]).get("/contacts?inquiry_type=General Inquiry").get_data(as_text=True)
    assert "Ana Ruiz" in agent_html
    for secret in ("201-3344", "ana@example.com", "5552013344"):
        assert secret not in agent_html
    assert "XXX" in agent_html
    assert listed_rows(login_as(users["agent"]).get("/contacts?keyword=555-201-3344")) == []
    manager_html = login_as(users["manager"]).get("/contacts?inquiry_type=General Inquiry").get_data(as_text=True)
    assert "ana@example.com" in manager_html


def test_group_by_contact_gives_one_row_per_contact(login_as, users, busy, make_contact):
    make_contact(users["agent"], "Cleo", "Calm", inquiry="Viewed Page")
    grouped = login_as(users["agent"]).get("/contacts?group=contact&sort=name")
    assert listed_names(grouped) == ["Cleo Calm", "Ana Ruiz"]  # by last name
    assert len(listed_rows(grouped)) == 2
    assert "(8 leads)" in grouped.get_data(as_text=True) and "2 contacts" in grouped.get_data(as_text=True)
    assert markup.parse(grouped).attrs("input[name=group][checked]", "value") == ["contact"]


def test_keyset_paging_has_no_duplicates_or_gaps_while_leads_arrive(app, login_as, users, make_contact):
    person = make_contact(users["agent"], "Paul", "Pager", inquiry="Registration")
    for minute in range(60):
        contact_service.record_lead(person, "Viewed Page", occurred_at=NOW - timedelta(minutes=minute + 1))
    db.session.commit()
    client = login_as(users["agent"])
    seen, url = [], "/contacts"
    while url:
        response = client.get(url)
        seen += lead_row_ids(response)
        contact_service.record_lead(person, "Showing Request", occurred_at=clock.now())  # arrives meanwhile
        db.session.commit()
        next_links = markup.parse(response).attrs("a[rel=next]", "href")
        url = next_links[0] if next_links else None
    assert len(seen) == len(set(seen)) == 61


def test_filters_keep_the_sort_and_empty_fields_leave_the_url(login_as, users, busy):
    client = login_as(users["agent"])
    fragment = client.get("/contacts?sort=name&dir=asc&priority=Hot", htmx=True)
    assert markup.parse(fragment).attrs("input[type=hidden][name=sort][form=search-form]", "value") == ["name"]
    assert fragment.headers["HX-Push-Url"] == "/contacts?priority=Hot&sort=name&dir=asc"
    plain = client.get("/contacts?keyword=&interest_level=&activity=&priority=Hot")
    assert plain.status_code == 302 and plain.headers["Location"].endswith("/contacts?priority=Hot")


@pytest.mark.parametrize("key, direction", [("name", "asc"), ("priority", "asc"), ("date", "desc"),
                                            ("interest_level", "desc")])
def test_the_first_click_on_a_column_sorts_the_useful_way(login_as, users, busy, key, direction):
    html = login_as(users["agent"]).get("/contacts?sort=owner&dir=asc").get_data(as_text=True)
    assert f"sort={key}&amp;dir={direction}" in html


def test_priority_first_click_puts_hot_first(login_as, users, busy, make_contact):
    make_contact(users["agent"], "Dee", "Dead", priority="Dead")
    make_contact(users["agent"], "Nan", "Nopriority")
    names = listed_names(login_as(users["agent"]).get("/contacts?sort=priority&dir=asc"))
    assert names == ["Ana Ruiz", "Dee Dead", "Nan Nopriority"]


def test_a_reversed_date_range_says_so(login_as, users, busy):
    response = login_as(users["agent"]).get("/contacts?activity_from=2026-11-20&activity_to=2026-11-01")
    assert "end before they start" in response.get_data(as_text=True)
    assert len(listed_rows(response)) == 8


def test_one_page_costs_the_same_statements_however_many_rows(login_as, users, make_contact):
    def statements_for_page() -> int:
        client = login_as(users["agent"])
        count = [0]

        def counter(*_args):
            count[0] += 1
        sa_event.listen(db.engine, "before_cursor_execute", counter)
        try:
            assert client.get("/contacts").status_code == 200
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", counter)
        return count[0]

    make_contact(users["agent"], "One", "Person", emails=["one@example.com"], phones=["555-111-2222"])
    few = statements_for_page()
    for n in range(30):
        person = make_contact(users["agent"], f"Many{n}", "People", emails=[f"m{n}@example.com"],
                              phones=[f"555-333-{n:04d}"])
        contact_service.record_lead(person, "Showing Request", message="call me")
    db.session.commit()
    assert statements_for_page() == few


@pytest.mark.parametrize("bad_query", [
    "after=garbage", "after=2026-99-01T00:00:00_5", "after=2026-01-01T00:00:00_99999999999999999999",
    "group=everything", "keyword=%21%40%23%24%25%5E%26%2A%28%29", "keyword=%00%00", "sort=property&dir=up",
    "owner=99999999999999999999999", "activity_from=0001-01-01", "inquiry_type=Nope&contact_status=Nope",
    "page=400&group=contact", "keyword=" + "x" * 500,
])
def test_bad_input_never_answers_500(login_as, users, busy, bad_query):
    response = login_as(users["manager"]).get(f"/contacts?{bad_query}")
    assert response.status_code in (200, 302, 400)  # 400: a NUL byte or an id beyond the columns, said plainly
    if response.status_code == 200:
        assert "Leads" in response.get_data(as_text=True)


def test_bulk_actions_from_lead_rows_count_each_contact_once(login_as, users, busy):
    client = login_as(users["manager"])
    page = client.get("/contacts?inquiry_type=Showing Request&priority=Hot").get_data(as_text=True)
    boxes = markup.parse(page).attrs("input[name=contact_ids]", "value")
    assert boxes == [str(busy["ana"].id)] * 5
    asked = client.post("/contacts/bulk", data={"action": "share", "contact_ids": boxes,
                                               "agent_id": users["agent2"].id, "next": "/contacts"})
    assert "1 contact" in asked.get_data(as_text=True)  # the confirmation counts the person once
    response = client.post("/contacts/bulk", data={"action": "share", "contact_ids": boxes, "confirmed": "1",
                                                  "agent_id": users["agent2"].id, "next": "/contacts"})
    assert response.status_code in (200, 303, 302)
    assert db.session.query(ContactShare).filter_by(contact_id=busy["ana"].id).count() == 1


def test_the_csv_has_one_row_per_listed_lead_by_default(login_as, users, busy):
    response = login_as(users["manager"]).get(
        "/contacts/export.csv?inquiry_type=Showing Request&priority=Hot&column=name&column=inquiry_type")
    lines = response.get_data(as_text=True).lstrip("\ufeff").strip().splitlines()
    assert lines == ["Name,Inquiry Type"] + ["Ana Ruiz,Showing Request"] * 5


# --- Smart Lists -------------------------------------------------------------------------------

def save_list(client, name, query="inquiry_type=Showing+Request", shared=False):
    data = {"name": name, "query": query}
    if shared:
        data["shared"] = "y"
    return client.post("/contacts/lists", data=data)


def test_a_smart_list_is_saved_listed_with_its_count_and_applied(login_as, users, busy):
    agent = login_as(users["agent"])
    response = save_list(agent, "Showings")
    assert response.status_code == 303
    smart_list = db.session.query(SmartList).one()
    assert smart_list.owner_id == users["agent"].id and smart_list.shared_office_id is None
    page = agent.get("/contacts").get_data(as_text=True)
    smart_lists = markup.parse(page).select("section.smart-lists li")
    assert [(item.css_first("a").text(), item.css_first("span.count").text()) for item in smart_lists] \
        == [("Showings", "5")]
    applied = agent.get(f"/contacts/lists/{smart_list.id}")
    assert listed_rows(applied) == [("Ana Ruiz", "Showing Request")] * 5
    assert login_as(users["agent2"]).get(f"/contacts/lists/{smart_list.id}").status_code == 404


@pytest.mark.parametrize("name, message", [
    ("", "Enter a name for the list."),
    ("x" * 200, "at most 80 characters"),
    ("showings", "You already have a list named"),
])
def test_bad_list_names_get_a_clear_message(login_as, users, busy, name, message):
    agent = login_as(users["agent"])
    save_list(agent, "Showings")
    response = save_list(agent, name)
    assert response.status_code == 303
    assert message in agent.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.query(SmartList).count() == 1


def test_only_managers_and_the_broker_share_lists_with_their_office(login_as, users, busy):
    agent = login_as(users["agent"])
    save_list(agent, "Mine", shared=True)
    assert db.session.query(SmartList).count() == 0
    manager = login_as(users["manager"])
    save_list(manager, "Office showings", shared=True)
    shared = db.session.query(SmartList).one()
    assert shared.shared_office_id == users["manager"].office_id
    assert "Office showings" in login_as(users["agent2"]).get("/contacts").get_data(as_text=True)
    assert "Office showings" not in login_as(users["west_agent"]).get("/contacts").get_data(as_text=True)
    assert login_as(users["west_agent"]).get(f"/contacts/lists/{shared.id}").status_code == 404
    # Only the owner renames or deletes.
    assert agent.post(f"/contacts/lists/{shared.id}/rename", data={"name": "Taken"}).status_code == 404
    assert agent.post(f"/contacts/lists/{shared.id}/delete").status_code == 404
    assert manager.post(f"/contacts/lists/{shared.id}/rename", data={"name": "Renamed"}).status_code == 303
    assert db.session.get(SmartList, shared.id).name == "Renamed"
    assert manager.post(f"/contacts/lists/{shared.id}/delete").status_code == 303
    assert db.session.query(SmartList).count() == 0


def test_a_list_naming_a_vanished_value_opens_and_says_what_it_dropped(login_as, users, busy):
    smart_list = SmartList(owner_id=users["agent"].id, name="Old source",
                           query="contact_source=Zillow&inquiry_type=Showing+Request")
    db.session.add(smart_list)
    db.session.commit()
    response = login_as(users["agent"]).get(f"/contacts/lists/{smart_list.id}")
    assert response.status_code == 200
    assert "leaves out Contact Source: Zillow" in response.get_data(as_text=True)
    assert len(listed_rows(response)) == 5
