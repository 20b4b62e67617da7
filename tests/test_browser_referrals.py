"""Browser tests of offers and claims (docs/product.md#offers-and-claims): the concierge converts a lead, the offered
agent claims it and sees the unlocked phone while another agent's claim is refused; an agent moves a referral between
sub-tabs by changing its status and the phone stays `XXX`."""
import re
from datetime import datetime, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe

from crm import clock
from crm.extensions import db
from crm.models import AppointmentOffer, Contact
from crm.services import offers

from referral_helpers import give_territory

pytestmark = pytest.mark.browser

START = datetime(2030, 3, 1, 9, 0)  # the server runs in this process, so it sees the frozen clock too


@pytest.fixture
def open_page(browser, live_server, sign_in_on):
    """Pages in browser contexts of their own (one signed-in user each)."""
    contexts = []

    def open_as(email: str, path: str):
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return sign_in_on(context.new_page(), email, path)

    yield open_as
    for context in contexts:
        context.close()


def _no_serious_accessibility_problems(page) -> None:
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], results.generate_report()


def test_concierge_converts_the_offered_agent_claims_and_another_agents_claim_is_refused(
        open_page, users, make_contact):
    give_territory(users["agent2"], serves=["33602"], sponsors=["33602"])  # ranked first
    give_territory(users["agent"], serves=["33602"])
    make_contact(None, "Ana", "Ruiz", phones=["813-555-0142"], zip="33602", street="12 Oak St", city="Tampa",
                 inquiry="Seller Inquiry")
    with clock.frozen_at(START):
        concierge = open_page("concierge@demo.test", "/concierge/")
        concierge.locator("tr", has_text="Ana Ruiz").get_by_role("link", name="Convert to Appointment").click()
        concierge.get_by_label("Date").fill("2030-03-02")
        concierge.get_by_label("Time").fill("10:30")
        concierge.get_by_label("Note").fill("Wants a valuation before listing")
        concierge.get_by_role("button", name="Convert to Appointment").click()
        concierge.get_by_text("Ana Ruiz is converted: offered to Avery Agent, who has 30 minutes").wait_for()
        _no_serious_accessibility_problems(concierge)

        first = open_page("agent2@demo.test", "/offers/")
        first.get_by_role("link", name="Ana Ruiz").click()
        first.get_by_text("30 minutes left").wait_for()
        assert first.get_by_role("button", name="Claim").is_visible()
        assert "813-555-0142" not in first.content()

        clock.advance(timedelta(minutes=31))
        assert offers.expire_offers() == 1  # the worker's job: agent2's window is over, agent is next

        second = open_page("agent@demo.test", "/offers/")
        second.get_by_role("link", name="Ana Ruiz").click()
        second.get_by_text("30 minutes left").wait_for()
        _no_serious_accessibility_problems(second)
        second.get_by_role("button", name="Claim").click()
        second.wait_for_url("**/contacts/*")
        second.get_by_text("The appointment is yours").wait_for()
        assert second.locator("#section-channels").get_by_text("813-555-0142").is_visible()

        first.get_by_role("button", name="Claim").click()  # the page agent2 left open
        first.get_by_role("alert").filter(has_text="Another agent claimed this offer first.").wait_for()

    db.session.expire_all()
    offer = db.session.scalar(db.select(AppointmentOffer))
    assert (offer.status, offer.claimed_by_id) == ("Claimed", users["agent"].id)
    assert db.session.scalar(db.select(Contact.owner_id)) == users["agent"].id


def test_an_agent_moves_a_referral_between_sub_tabs_and_the_phone_stays_masked(open_page, users, make_contact):
    contact = make_contact(users["agent"], "Maya", "Masked", phones=["813-555-0199"], emails=["maya@example.com"],
                           zip="33611")
    make_contact(users["agent"], "Wendy", "Winner", referral_status="Closed")
    page = open_page("agent@demo.test", "/referrals")
    page.evaluate("window.notReloaded = true")
    tabs = page.get_by_role("navigation", name="Referral sub-tabs")

    def tab(name: str):
        return tabs.get_by_role("link", name=re.compile(rf"^{re.escape(name)} \d+$"))

    assert tab("Active Leads").inner_text() == "Active Leads 1"
    assert tab("Active Appointments").inner_text() == "Active Appointments 0"
    row = page.locator("tr", has_text="Maya Masked")
    assert row.get_by_role("cell", name="XXX").count() == 2

    row.get_by_role("link", name="Maya Masked").click()
    page.wait_for_url(f"**/referrals/{contact.id}")
    panel = page.locator("#referral-panel")
    panel.get_by_label("Referral Status").select_option("In Progress")
    panel.get_by_label("Notes").fill("Met at the open house; call Tuesday")
    panel.get_by_role("button", name="Save").click()

    page.get_by_text("Saved: Referral Status is In Progress (Active Appointments); note saved.").wait_for()
    current = tabs.locator("[aria-current=page]")
    assert current.inner_text() == "Active Appointments 1"
    assert tab("Active Leads").inner_text() == "Active Leads 0"
    assert page.locator("tr", has_text="Maya Masked").get_by_role("cell", name="XXX").count() == 2
    assert page.locator("#referral-panel").get_by_text("Met at the open house; call Tuesday").is_visible()
    assert "813-555-0199" not in page.content() and "maya@example.com" not in page.content()
    _no_serious_accessibility_problems(page)

    tab("Wins").click()
    page.wait_for_url("**/referrals?tab=wins")
    page.locator("tr", has_text="Wendy Winner").wait_for()
    page.go_back()
    page.wait_for_url(f"**/referrals/{contact.id}")
    page.locator("#referral-panel").get_by_text("Maya Masked").wait_for()
    assert page.evaluate("window.notReloaded") is True, "switching sub-tabs reloaded the page"
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).lead_type == "Active"
