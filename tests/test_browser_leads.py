"""Browser tests of the foundation (docs/product.md#leads): what an agent clicks on Leads, Contact Details, Add Lead."""
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from crm import clock
from crm.extensions import db
from crm.models import Contact, ManageRequest

pytestmark = pytest.mark.browser


@pytest.fixture
def agent_contacts(users, make_contact):
    agent = users["agent"]
    make_contact(agent, "Hannah", "Hot", priority="Hot", contact_type="Buyer", inquiry="Showing Request")
    make_contact(agent, "Harry", "HotSeller", priority="Hot", contact_type="Seller")
    make_contact(agent, "Wanda", "Warm", priority="Warm", contact_type="Buyer")
    with clock.frozen_at(clock.now() - timedelta(days=60)):
        make_contact(agent, "Colin", "Cold", priority="Cold", contact_type="Buyer")
    return agent


def result_names(page) -> list[str]:
    return page.locator("#results tbody tr td:first-child a").all_inner_texts()


def open_filter(page, title: str) -> None:
    page.locator("#search-form summary", has_text=title).click()


def test_filters_swap_the_results_push_the_url_and_back_restores(sign_in, page, agent_contacts):
    sign_in("agent@demo.test")
    assert sorted(result_names(page)) == ["Colin Cold", "Hannah Hot", "Harry HotSeller", "Wanda Warm"]
    page.evaluate("window.notReloaded = true")

    open_filter(page, "Priority")
    page.get_by_label("Hot", exact=True).check()
    open_filter(page, "Contact Type")
    page.get_by_label("Buyer", exact=True).check()
    page.get_by_role("button", name="Go").click()

    page.wait_for_url("**/contacts?*priority=Hot*")
    assert "contact_type=Buyer" in page.url
    page.wait_for_function("document.querySelectorAll('#results tbody tr').length === 1")
    assert result_names(page) == ["Hannah Hot"]
    assert page.evaluate("window.notReloaded") is True, "the filter caused a full page load"
    assert page.get_by_role("status").first.inner_text() == "1 lead"

    page.go_back()
    page.wait_for_function("document.querySelectorAll('#results tbody tr').length === 4")
    assert page.url.endswith("/contacts")
    assert not page.get_by_label("Hot", exact=True).is_checked()

    page.go_forward()
    page.wait_for_function("document.querySelectorAll('#results tbody tr').length === 1")
    assert page.get_by_label("Hot", exact=True).is_checked()


def test_a_pasted_url_shows_the_same_results_and_clear_all_resets(sign_in, page, agent_contacts):
    sign_in("agent@demo.test", "/contacts?priority=Hot&sort=name&dir=asc")
    assert result_names(page) == ["Hannah Hot", "Harry HotSeller"]
    page.get_by_role("link", name="Name ▲").click()
    page.wait_for_url("**dir=desc*")
    assert result_names(page) == ["Harry HotSeller", "Hannah Hot"]
    page.get_by_role("link", name="Clear All").click()
    page.wait_for_url("**/contacts")
    assert len(result_names(page)) == 4


def test_the_request_title_sorts_pending_requests_first(sign_in, page, users, agent_contacts):
    colin = db.session.scalar(db.select(Contact).where(Contact.last_name == "Cold"))
    db.session.add(ManageRequest(contact_id=colin.id, kind="Archive", requested_by_id=users["agent"].id))
    db.session.commit()
    sign_in("agent@demo.test")
    assert result_names(page)[-1] == "Colin Cold"  # the oldest lead
    page.get_by_role("link", name="Request", exact=True).click()
    page.wait_for_url("**sort=request*")
    assert "dir=asc" in page.url
    expect(page.locator("#results tbody tr").first).to_contain_text("Colin Cold")
    expect(page.locator("#results th[aria-sort]")).to_have_text("Request ▲")


def test_keyword_searches_as_you_type(sign_in, page, agent_contacts):
    sign_in("agent@demo.test")
    page.get_by_label("Keyword").fill("wanda")
    page.wait_for_url("**keyword=wanda*")
    assert result_names(page) == ["Wanda Warm"]


def test_view_opens_contact_details_and_a_field_is_edited_in_place(sign_in, page, agent_contacts):
    sign_in("agent@demo.test", "/contacts?priority=Warm")
    page.get_by_role("link", name="View Wanda Warm").click()
    page.wait_for_url("**/contacts/*")
    assert page.get_by_role("heading", name="Wanda Warm").is_visible()
    page.evaluate("window.notReloaded = true")

    page.get_by_role("link", name="Edit Profile").click()
    page.get_by_label("Priority").select_option("Hot")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector('#section-profile [data-field="priority"]:text("Hot")')
    page.get_by_role("link", name="Edit Profile").click()  # at once: the section is live as soon as it is swapped
    expect(page.locator("#section-profile form select").first).to_be_focused()  # the form's first field
    page.keyboard.press("Escape")
    expect(page.get_by_role("link", name="Edit Profile")).to_be_focused()
    assert page.evaluate("window.notReloaded") is True

    page.get_by_role("link", name="Edit Contact").click()
    page.get_by_label("First Name").fill("")
    page.get_by_label("Zip").fill("12")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("#section-person .error")
    assert page.get_by_text("Enter a 5-digit zip code.").is_visible()
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_selector('#section-person [data-field="first_name"]:text("Wanda")')
    contact = db.session.scalars(db.select(Contact).where(Contact.last_name == "Warm")).one()
    db.session.refresh(contact)
    assert (contact.priority, contact.first_name) == ("Hot", "Wanda")


def test_add_lead(sign_in, page, users):
    sign_in("agent@demo.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Add Lead").click()
    page.get_by_label("Name", exact=True).fill("Paula Park")
    page.get_by_label("Email", exact=True).fill("paula@example.com")
    page.get_by_label("Phone", exact=True).fill("555-123-9876")
    page.get_by_label("Lead Source").select_option("Realtor.com")
    page.get_by_label("Buy/Sell/Rent").select_option("Buy & Sell")
    page.get_by_label("Lead Property MLSID").fill("T424242")
    page.get_by_label("Contact Message").fill("Looking in Hyde Park")
    page.get_by_role("button", name="Add Lead").click()
    page.wait_for_url("**/contacts/*")
    assert page.get_by_text("Lead added: Paula Park.").is_visible()
    assert page.get_by_text("paula@example.com").is_visible()
    assert page.get_by_text("Manual Entry").is_visible()


@pytest.mark.parametrize("path", ["/contacts", "/contacts/{id}", "/contacts/new"])
def test_pages_have_no_serious_accessibility_violations(sign_in, page, agent_contacts, path):
    contact_id = db.session.scalars(db.select(Contact.id).limit(1)).one()
    sign_in("agent@demo.test", path.format(id=contact_id))
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], results.generate_report()
