"""Browser tests of the dashboard: its chart bars and table cells lead to the Leads list behind them."""
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe

from crm import clock
from crm.extensions import db
from crm.models import ActivityLog
from crm.services import contacts as contact_service

pytestmark = pytest.mark.browser


@pytest.fixture
def answered_lead(users):
    agent = users["agent"]
    contact = contact_service.create_contact(None, first_name="Rita", last_name="Realtor", owner_id=agent.id,
                                             contact_source="Realtor.com")
    lead = contact_service.record_lead(contact, "Showing Request", clock.now() - timedelta(hours=1))
    db.session.add(ActivityLog(contact_id=contact.id, actor_id=agent.id, action="Called",
                               created_at=lead.occurred_at + timedelta(minutes=12)))
    db.session.commit()
    return contact


def test_a_chart_bar_opens_the_filtered_leads_list(sign_in, page, answered_lead):
    sign_in("manager@demo.test", "/dashboard")
    assert page.locator("#overall-median").inner_text() == "12.0 min"
    page.locator("#chart-sources a[aria-label^='Realtor.com']").first.click()
    page.wait_for_url("**/contacts?contact_source=Realtor.com*")
    assert "activity_from=" in page.url
    assert page.get_by_role("link", name="Rita Realtor").first.is_visible()


def test_show_table_reveals_the_numbers_with_links(sign_in, page, answered_lead):
    sign_in("manager@demo.test", "/dashboard")
    section = page.locator("section", has=page.locator("h2", has_text="Leads per day by inquiry type"))
    table = section.locator("table")
    assert not table.is_visible()
    section.get_by_text("Show table").click()
    assert table.is_visible()
    table.get_by_role("link", name="1", exact=True).click()
    page.wait_for_url("**/contacts?inquiry_type=Showing+Request*")
    assert page.get_by_role("link", name="Rita Realtor").first.is_visible()


def test_dashboard_has_no_serious_accessibility_violations(sign_in, page, answered_lead):
    sign_in("manager@demo.test", "/dashboard")
    page.get_by_text("Show table").first.click()
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], results.generate_report()


def test_with_an_office_chosen_a_bar_opens_a_list_of_as_many_leads(sign_in, page, users, answered_lead):
    """The broker's office rides along: the Westshore lead is neither in the bar nor in the list."""
    west = contact_service.create_contact(None, first_name="Walt", last_name="Westshore",
                                          owner_id=users["west_agent"].id, contact_source="Realtor.com")
    contact_service.record_lead(west, "Showing Request", clock.now() - timedelta(hours=1))
    db.session.commit()
    downtown = users["agent"].office_id
    sign_in("broker@demo.test", f"/dashboard?office={downtown}")
    bar = page.locator("#chart-sources a[aria-label^='Realtor.com']").first
    count = bar.get_attribute("aria-label").rsplit(": ", 1)[1].split()[0]
    assert count == "1"
    bar.click()
    page.wait_for_url(f"**/contacts?contact_source=Realtor.com*office={downtown}*")
    assert page.locator("p.total").inner_text().split()[0] == count
    assert page.get_by_role("link", name="Rita Realtor").first.is_visible()
    assert page.get_by_role("link", name="Walt Westshore").count() == 0
