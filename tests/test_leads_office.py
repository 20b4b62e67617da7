"""The Leads list's `office` parameter: the broker picks any office, a manager only their own
(implicitly), agents none; it survives the filter form, sorting, paging and Smart Lists."""
import csv
import io
from urllib.parse import parse_qs, urlsplit

import pytest

from crm.extensions import db
from crm.models import SmartList

import markup
from leads_list import listed_names


@pytest.fixture
def spread(users, make_contact):
    """Downtown has 26 people (two pages), Westshore one."""
    for n in range(26):
        make_contact(users["agent"], f"Down{n:02d}", "Town")
    make_contact(users["west_agent"], "West", "Shore")
    return users["agent"].office_id, users["west_agent"].office_id


def links(response, rel_or_text: str) -> list[dict[str, list[str]]]:
    """The query of each results link whose rel or text is `rel_or_text`."""
    hrefs = [link.attributes["href"] for link in markup.parse(response).select("a[href]")
             if link.attributes.get("rel") == rel_or_text or link.text(strip=True).split(" ")[0] == rel_or_text]
    assert hrefs, f"no {rel_or_text} link"
    return [parse_qs(urlsplit(href).query) for href in hrefs]


def chosen_office(response) -> list[tuple[str, str]] | None:
    """(value, label) of the selected options of the Search panel's `Office`; None without that field."""
    page = markup.parse(response)
    if not page.has("select#office"):
        return None
    assert page.text("label[for=office]") == "Office" and page.attr("select#office", "name") == "office"
    return [(option.attributes["value"], option.text()) for option in page.select("select#office option[selected]")]


def test_the_broker_picks_any_office_and_it_survives_sorting_and_paging(login_as, users, spread):
    downtown, westshore = spread
    broker = login_as(users["broker"])
    west = broker.get(f"/contacts?office={westshore}")
    assert listed_names(west) == ["West Shore"]
    assert chosen_office(west) == [(str(westshore), "Westshore")]
    assert all(query.get("office") == [str(westshore)] for query in links(west, "Name"))
    down = broker.get(f"/contacts?office={downtown}&sort=name&dir=asc", htmx=True)
    assert "26 leads" in down.get_data(as_text=True)
    assert "West Shore" not in listed_names(down)
    [next_page] = links(down, "next")
    assert next_page["office"] == [str(downtown)] and next_page["page"] == ["2"]
    second = broker.get(f"/contacts?office={downtown}&sort=name&dir=asc&page=2")
    assert listed_names(second) == ["Down25 Town"]
    grouped = broker.get(f"/contacts?office={westshore}&group=contact")
    assert listed_names(grouped) == ["West Shore"]
    everyone = broker.get("/contacts")
    assert "27 leads" in everyone.get_data(as_text=True)
    assert chosen_office(everyone) == []  # "Every office" is the unselected default


def test_a_manager_keeps_their_own_office_implicitly_and_other_offices_are_dropped(login_as, users, spread):
    downtown, westshore = spread
    manager = login_as(users["manager"])
    own = manager.get(f"/contacts?office={downtown}&sort=name&dir=asc")
    assert "26 leads" in own.get_data(as_text=True)
    assert chosen_office(own) is None
    assert all(query.get("office") == [str(downtown)] for query in links(own, "next"))
    other = manager.get(f"/contacts?office={westshore}")
    assert "West Shore" not in listed_names(other)
    assert "26 leads" in other.get_data(as_text=True)
    assert all("office" not in query for query in links(other, "Name"))


def test_agents_cannot_filter_by_office(login_as, users, spread):
    _downtown, westshore = spread
    agent = login_as(users["west_agent"])
    response = agent.get(f"/contacts?office={westshore}")
    assert listed_names(response) == ["West Shore"]
    assert chosen_office(response) is None
    assert all("office" not in query for query in links(response, "Name"))
    assert agent.get("/contacts?office=abc").status_code == 200


def test_a_smart_list_keeps_the_office_and_a_viewer_who_may_not_pick_it_gets_it_dropped(login_as, users, spread):
    _downtown, westshore = spread
    broker = login_as(users["broker"])
    assert broker.post("/contacts/lists", data={"name": "West", "query": f"office={westshore}",
                                                "shared": "y"}).status_code == 303
    smart_list = db.session.query(SmartList).one()
    assert smart_list.query == f"office={westshore}"
    applied = broker.get(f"/contacts/lists/{smart_list.id}")
    assert listed_names(applied) == ["West Shore"]
    smart_lists = markup.parse(broker.get("/contacts")).select("section.smart-lists li")
    assert [(item.css_first("a").text(), item.css_first("span.count").text()) for item in smart_lists] \
        == [("West", "1")]
    # The broker's office is Downtown: its manager opens the shared list without the office it cannot pick.
    opened = login_as(users["manager"]).get(f"/contacts/lists/{smart_list.id}")
    assert opened.status_code == 200
    assert f"leaves out Office: {westshore}" in opened.get_data(as_text=True)
    assert "West Shore" not in listed_names(opened)


def test_the_csv_keeps_the_office(login_as, users, spread):
    _downtown, westshore = spread
    response = login_as(users["broker"]).get(f"/contacts/export.csv?office={westshore}&column=name")
    assert response.status_code == 200
    assert [row[0] for row in csv.reader(io.StringIO(response.get_data(as_text=True)))][1:] == ["West Shore"]
