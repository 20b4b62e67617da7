"""One rule each: the main navigation shows exactly the pages the role's guards open (both ask
crm/policy.py), the status enums keep the strings the database holds, `?page=` is read one way and
each value is displayed one way."""
from html.parser import HTMLParser

import pytest

from crm.models.values import ImportStatus, OfferStatus, OutboxStatus, RecipientStatus, RequestStatus
from crm.policy import Role
from crm.services import display, paging

EVERYONE = {"Leads", "Add Lead", "Referrals", "Dashboard", "Preferences"}
NAVIGATION = {
    "agent": EVERYONE | {"Offers"},
    "concierge": EVERYONE | {"Concierge"},
    "manager": EVERYONE | {"Concierge", "Requests", "Compliance"},
    "broker": EVERYONE | {"Concierge", "Requests", "Compliance", "Settings"},
}


class _MainNavigation(HTMLParser):
    """The (label, href) of each link in `<nav aria-label="Main">`."""

    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._inside = False
        self._href: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "nav" and attributes.get("aria-label") == "Main":
            self._inside = True
        elif tag == "a" and self._inside:
            self._href, self._text = attributes["href"], ""

    def handle_data(self, data):
        if self._href is not None and not self._text:
            self._text = data.strip()

    def handle_endtag(self, tag):
        if tag == "nav":
            self._inside = False
        elif tag == "a" and self._href is not None:
            self.links.append((self._text, self._href))
            self._href = None


def main_navigation(html: str) -> dict[str, str]:
    parser = _MainNavigation()
    parser.feed(html)
    return dict(parser.links)


@pytest.mark.parametrize("role", sorted(NAVIGATION))
def test_the_main_navigation_shows_the_pages_the_role_may_open_and_only_those(role, users, login_as):
    client = login_as(users[role])
    links = main_navigation(client.get("/contacts").get_data(as_text=True))
    assert set(links) == NAVIGATION[role]
    for label, href in links.items():
        assert client.get(href).status_code == 200, f"{role}: {label} ({href})"
    # (The Offers list itself opens for everyone, empty but for agents: only agents receive offers.)
    hidden = {"/concierge/", "/requests", "/compliance", "/settings/"} - set(links.values())
    for href in hidden:
        assert client.get(href).status_code == 403, f"{role} opened {href}, which the navigation does not show"


def test_roles_and_statuses_are_the_strings_the_database_holds():
    assert list(Role) == ["agent", "concierge", "manager", "broker"]
    assert list(RequestStatus) == ["Pending", "Approved", "Declined"]
    assert list(OfferStatus) == ["Open", "Claimed", "Unclaimed", "Closed"]
    assert list(RecipientStatus) == ["Waiting", "Offered", "Claimed", "Declined", "Expired", "Skipped", "Withdrawn"]
    assert list(OutboxStatus) == ["queued", "sending", "sent", "logged", "failed"]
    assert list(ImportStatus) == ["Uploaded", "Queued", "Running", "Done", "Cancelled", "Failed", "Undone"]


@pytest.mark.parametrize(("raw", "page"), [
    (None, 1), ("1", 1), ("7", 7), ("0", 1), ("-2", 1), ("2.5", 1), ("two", 1), ("", 1),
    ("99999999999", paging.MAX_PAGE),
])
def test_page_is_read_one_way(raw, page):
    assert paging.page_number({} if raw is None else {"page": raw}) == page


def test_each_value_is_displayed_one_way():
    assert (display.name(None), display.name(""), display.name("Ann Lee")) == ("(no name)", "(no name)", "Ann Lee")
    assert display.address("12 Oak St", None, "", "33602") == "12 Oak St, 33602"
    assert display.address(None, "") == ""
    assert display.money(1234567.4) == "$1,234,567"
    assert [display.field_value(value) for value in (True, False, None, "", 0, "Hot")] == \
        ["Yes", "No", "—", "—", "0", "Hot"]
