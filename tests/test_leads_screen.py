"""The Leads screen (docs/product.md#leads): every filter narrows, keyword, sort, pagination, htmx fragments."""
from datetime import datetime, timedelta

import pytest

from crm import clock
from crm.extensions import db
from crm.models import ActionPlan, ManageRequest
from crm.services import contacts as contact_service

import markup
from leads_list import ROWS, listed_names

NOW = datetime(2026, 11, 18, 15, 0)  # a Wednesday


def _filter_titles(response) -> list[str]:
    return markup.parse(response).texts("#search-form summary")


@pytest.fixture
def crowd(users, make_contact):
    """Four contacts of agent@demo.test that differ in every filtered field."""
    agent = users["agent"]
    with clock.frozen_at(NOW - timedelta(days=40)):
        old = make_contact(agent, "Olga", "Old", contact_status="Closed", contact_type="Seller",
                           contact_source="Realtor.com", business_source="Open House", priority="Dead",
                           interest_level=1, time_frame="12+ Months", lead_status="Inactive",
                           lead_type="Appointment", inquiry="Saved Property", street="9 Elm St", city="Brandon",
                           zip="33511")
    with clock.frozen_at(NOW - timedelta(days=3)):  # last Sunday: this week is Monday on
        week = make_contact(agent, "Wade", "Week", contact_status="Pending", contact_type="Buyer",
                            contact_source="Agent", business_source="Website", priority="Warm", interest_level=3,
                            time_frame="3-6 Months", inquiry="Showing Request", city="Tampa", zip="33602")
    with clock.frozen_at(NOW - timedelta(days=1)):
        monday = make_contact(agent, "Mona", "Monday", contact_status="Assigned", contact_type="Buyer-Seller",
                              contact_source="Broker", business_source="Referral", priority="Hot",
                              interest_level=5, time_frame="0-3 Months", inquiry="Property Inquiry",
                              emails=["mona@example.com"], phones=["555-201-3344"], created_by=agent,
                              zip="33603")
    with clock.frozen_at(NOW - timedelta(hours=2)):
        today = make_contact(agent, "Tess", "Today", contact_status="Shared", contact_type="Rental",
                             contact_source="Broker", business_source="Sign Call", priority="Cold",
                             interest_level=0, time_frame="Unknown", inquiry="Registration")
        contact_service.record_lead(today, "Showing Request", mls_number="T123456")
        db.session.commit()
    return {"old": old, "week": week, "monday": monday, "today": today}


@pytest.mark.parametrize("query, expected", [
    ("contact_status=Closed&contact_status=Pending", {"Olga Old", "Wade Week"}),
    ("contact_type=Buyer", {"Wade Week"}),
    ("contact_source=Realtor.com", {"Olga Old"}),
    ("business_source=Website&business_source=Referral", {"Wade Week", "Mona Monday"}),
    ("inquiry_type=Showing Request", {"Wade Week", "Tess Today"}),
    ("inquiry_type=Saved Property&inquiry_type=Property Inquiry", {"Olga Old", "Mona Monday"}),
    ("priority=Hot&priority=Cold", {"Mona Monday", "Tess Today"}),
    ("interest_level=3", {"Wade Week", "Mona Monday"}),
    ("time_frame=0-3 Months", {"Mona Monday"}),
    ("lead_status=Inactive", {"Olga Old"}),
    ("lead_type=Appointment", {"Olga Old"}),
    ("activity=Today", {"Tess Today"}),
    ("activity=This week", {"Mona Monday", "Tess Today"}),
    ("activity=Last 30 days", {"Wade Week", "Mona Monday", "Tess Today"}),
    ("activity_from=2026-11-15&activity_to=2026-11-15", {"Wade Week"}),
    ("keyword=brandon", {"Olga Old"}),
    ("keyword=t123456", {"Tess Today"}),
    ("keyword=33602", {"Wade Week"}),
    ("keyword=mona@example", {"Mona Monday"}),
    ("keyword=555-201-3344", {"Mona Monday"}),
    ("keyword=tess today", {"Tess Today"}),
    ("priority=Warm&contact_type=Buyer&activity=Last 30 days", {"Wade Week"}),
])
def test_each_filter_narrows_the_results(login_as, users, crowd, query, expected):
    client = login_as(users["agent"])
    with clock.frozen_at(NOW):
        response = client.get(f"/contacts?{query}")
    assert response.status_code == 200
    assert set(listed_names(response)) == expected


def test_action_plan_filter_and_column(login_as, users, crowd):
    plan = ActionPlan(name="New buyer")
    db.session.add(plan)
    db.session.flush()
    crowd["old"].action_plan_id = plan.id
    crowd["old"].plan_next_due_at = NOW - timedelta(days=1)
    crowd["week"].action_plan_id = plan.id
    crowd["week"].plan_next_due_at = NOW + timedelta(days=2)
    crowd["monday"].action_plan_id = plan.id
    crowd["monday"].plan_completed_at = NOW - timedelta(days=1)
    db.session.commit()
    client = login_as(users["agent"])
    with clock.frozen_at(NOW):
        late = client.get("/contacts?action_plan=Late Task")
        on_time_or_done = client.get("/contacts?action_plan=On Time&action_plan=Completed")
    assert listed_names(late) == ["Olga Old"]
    assert "Late Task" in late.get_data(as_text=True)
    assert set(listed_names(on_time_or_done)) == {"Wade Week", "Mona Monday"}


def test_owner_filter_is_for_managers_and_up(login_as, users, make_contact):
    make_contact(users["agent"], "Ann", "Alpha")
    make_contact(users["agent2"], "Bob", "Beta")
    manager = login_as(users["manager"])
    assert listed_names(manager.get(f"/contacts?owner={users['agent2'].id}")) == ["Bob Beta"]
    assert "Owner" in _filter_titles(manager.get("/contacts"))
    agent = login_as(users["agent"])
    assert listed_names(agent.get(f"/contacts?owner={users['agent2'].id}")) == ["Ann Alpha"]
    assert "Owner" not in _filter_titles(agent.get("/contacts"))


def test_request_column_shows_a_pending_request(login_as, users, crowd):
    db.session.add(ManageRequest(contact_id=crowd["week"].id, kind="Archive", requested_by_id=users["agent"].id))
    db.session.commit()
    rows = markup.parse(login_as(users["agent"]).get("/contacts?contact_type=Buyer")).select(ROWS)
    assert [(row.css_first("td.name > a").attributes["href"].split("#")[0],
             row.css_first(".request-cell").text(strip=True)) for row in rows] == [
        (f"/contacts/{crowd['week'].id}", "Archive")]


def test_keyword_does_not_find_a_contact_by_a_phone_the_agent_cannot_see(login_as, users, make_contact):
    make_contact(users["agent"], "Masked", "Person", phones=["555-777-1212"], emails=["hidden@example.com"])
    agent = login_as(users["agent"])
    assert listed_names(agent.get("/contacts?keyword=555-777-1212")) == []
    assert listed_names(agent.get("/contacts?keyword=hidden@example.com")) == []
    manager = login_as(users["manager"])
    assert listed_names(manager.get("/contacts?keyword=5557771212")) == ["Masked Person"]


@pytest.mark.parametrize("sort, direction, expected", [
    ("name", "asc", ["Mona Monday", "Olga Old", "Tess Today", "Wade Week"]),
    ("name", "desc", ["Wade Week", "Tess Today", "Olga Old", "Mona Monday"]),
    ("priority", "asc", ["Mona Monday", "Wade Week", "Tess Today", "Olga Old"]),
    ("interest_level", "desc", ["Mona Monday", "Wade Week", "Olga Old", "Tess Today"]),
    ("date", "desc", ["Tess Today", "Mona Monday", "Wade Week", "Olga Old"]),
    ("contact_status", "asc", ["Mona Monday", "Olga Old", "Wade Week", "Tess Today"]),
])
def test_column_titles_sort(login_as, users, crowd, sort, direction, expected):
    response = login_as(users["agent"]).get(f"/contacts?sort={sort}&dir={direction}")
    assert listed_names(response) == expected


def test_pagination_shows_the_total_and_pages(app, login_as, users, make_contact):
    for n in range(app.config["PAGE_SIZE"] + 3):
        make_contact(users["agent"], f"Person{n:02d}", "Paged")
    client = login_as(users["agent"])
    first = client.get("/contacts?sort=name&dir=asc")
    second = client.get("/contacts?sort=name&dir=asc&page=2")
    assert "Page 1 of 2 · 28 total" in first.get_data(as_text=True)
    assert len(listed_names(first)) == 25 and len(listed_names(second)) == 3
    assert markup.parse(first).attrs("a[rel=next]", "href") == ["/contacts?sort=name&dir=asc&page=2"]
    assert set(listed_names(first)).isdisjoint(listed_names(second))


@pytest.mark.parametrize("bad_query", [
    "page=abc", "page=-3", "page=999999999", "sort=drop_table", "dir=sideways", "contact_status=Nonsense",
    "interest_level=9", "interest_level=x", "activity=Yesterday", "activity_from=2026-13-45", "owner=abc",
    "keyword=%25_%5C", "inquiry_type=<script>",
])
def test_bad_parameters_are_ignored_and_the_rest_still_applies(login_as, users, crowd, bad_query):
    response = login_as(users["agent"]).get(f"/contacts?{bad_query}&priority=Hot")
    assert response.status_code == 200
    expected = [] if bad_query.startswith("keyword") else ["Mona Monday"]  # the odd keyword matches nobody
    assert listed_names(response) == expected
    assert "<script>" not in response.get_data(as_text=True)


def test_htmx_gets_the_results_fragment_and_a_plain_request_the_page(login_as, users, crowd):
    client = login_as(users["agent"])
    fragment = client.get("/contacts?priority=Hot", htmx=True)
    page = client.get("/contacts?priority=Hot")
    restore = client.get("/contacts?priority=Hot", htmx=True, headers={"HX-History-Restore-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert fragment.get_data(as_text=True).lstrip().startswith('<section id="results"')
    assert listed_names(fragment) == ["Mona Monday"]
    for full in (page, restore):
        assert "<html" in full.get_data(as_text=True) and markup.parse(full).has("form#search-form")
    assert "HX-Request" in fragment.headers["Vary"] and "HX-Request" in page.headers["Vary"]


def test_filter_panel_reflects_the_url(login_as, users, crowd):
    form = markup.parse(login_as(users["agent"]).get("/contacts?priority=Hot&keyword=mona&activity=Today"))
    assert form.attrs("input[name=priority][checked]", "value") == ["Hot"]
    assert form.attr("input[name=keyword]", "value") == "mona"
    assert form.attrs("input[name=activity][checked]", "value") == ["Today"]


def test_agents_see_only_their_own_and_shared_contacts(login_as, users, make_contact):
    from crm.models import ContactShare
    mine = make_contact(users["agent"], "Mine", "Own")
    theirs = make_contact(users["agent2"], "Theirs", "Other")
    shared = make_contact(users["agent2"], "Shared", "WithMe")
    db.session.add(ContactShare(contact_id=shared.id, user_id=users["agent"].id))
    db.session.commit()
    agent = login_as(users["agent"])
    assert set(listed_names(agent.get("/contacts"))) == {"Mine Own", "Shared WithMe"}
    assert agent.get(f"/contacts/{mine.id}").status_code == 200
    assert agent.get(f"/contacts/{shared.id}").status_code == 200
    assert agent.get(f"/contacts/{theirs.id}").status_code == 404
    assert agent.get(f"/contacts/{theirs.id}/sections/profile/edit").status_code == 404


def test_managers_see_their_office_and_the_broker_sees_everything(login_as, users, make_contact):
    make_contact(users["agent"], "Down", "Town")
    west = make_contact(users["west_agent"], "West", "Shore")
    manager = login_as(users["manager"])
    assert listed_names(manager.get("/contacts")) == ["Down Town"]
    assert manager.get(f"/contacts/{west.id}").status_code == 404
    assert set(listed_names(login_as(users["broker"]).get("/contacts"))) == {"Down Town", "West Shore"}
    assert set(listed_names(login_as(users["concierge"]).get("/contacts"))) == {"Down Town", "West Shore"}
