"""Browser tests of the Leads screen as lead rows (docs/product.md#leads, #everyday-use): filtering,
sorting kept across filters, Group by contact, Back/Forward, View at the lead, Save List, the
Search fold at 390 px, no sideways scrolling, and axe."""
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe

from crm import clock
from crm.extensions import db
from crm.services import contacts as contact_service

pytestmark = pytest.mark.browser


@pytest.fixture
def showings(users, make_contact):
    """Rosa with five showing requests, Theo with one saved property, and 20 quiet people."""
    agent = users["agent"]
    now = clock.now()
    with clock.frozen_at(now - timedelta(hours=1)):
        rosa = make_contact(agent, "Rosa", "Showings", priority="Hot", inquiry="Registration")
    for n in range(5):
        contact_service.record_lead(rosa, "Showing Request", occurred_at=now - timedelta(minutes=n + 1),
                                    property_street=f"{n + 1} Oak St", property_city="Tampa", mls_number=f"T{n}00")
    with clock.frozen_at(now - timedelta(days=1)):
        theo = make_contact(agent, "Theo", "Favorites", priority="Warm", inquiry="Saved Property")
    for n in range(20):
        with clock.frozen_at(now - timedelta(days=n + 2)):
            make_contact(agent, f"Quiet{n:02d}", "Person", priority="Cold", inquiry="Viewed Page")
    db.session.commit()
    return {"rosa": rosa, "theo": theo}


# The Leads screen's own part of the page (the top navigation's folding is another screen's work).
WIDEST_IN_MAIN = "Math.max(...[...document.querySelectorAll('main *')].map(e => e.getBoundingClientRect().right))"


def rows(page) -> list[tuple[str, str]]:
    cells = page.locator("#results tbody tr").evaluate_all(
        "trs => trs.map(tr => [tr.cells[0].innerText.trim(), tr.cells[1].innerText.trim()])")
    return [tuple(cell) for cell in cells]


def wait_rows(page, count: int) -> None:
    page.wait_for_function(f"document.querySelectorAll('#results tbody tr').length === {count}")


def test_the_whole_flow_with_back_and_forward(sign_in, page, showings):
    sign_in("agent@demo.test")
    assert rows(page)[:5] == [("Rosa Showings", "Showing Request")] * 5
    page.evaluate("window.notReloaded = true")

    page.get_by_role("link", name="Name", exact=True).click()
    page.wait_for_url("**sort=name*")
    assert "dir=asc" in page.url
    page.locator("#search-form summary", has_text="Inquiry Type").click()
    page.get_by_label("Showing Request", exact=True).check()
    page.get_by_role("button", name="Go").click()
    page.wait_for_url("**inquiry_type=Showing+Request*")
    assert "sort=name" in page.url, "filtering lost the sort"
    wait_rows(page, 5)
    assert page.get_by_role("status").first.inner_text() == "5 leads"

    page.get_by_label("Group by contact").check()
    page.wait_for_url("**group=contact*")
    wait_rows(page, 1)
    assert "(5 leads)" in page.locator("#results tbody").inner_text()
    assert "keyword=" not in page.url, "empty fields went into the URL"

    page.go_back()
    wait_rows(page, 5)
    page.go_forward()
    wait_rows(page, 1)
    assert page.evaluate("window.notReloaded") is True

    page.get_by_label("Group by contact").uncheck()
    wait_rows(page, 5)
    page.get_by_role("link", name="View Rosa Showings").first.click()
    page.wait_for_url("**/contacts/*#lead-*")
    lead_id = page.url.rsplit("#", 1)[1]
    highlighted = page.evaluate(f"getComputedStyle(document.getElementById('{lead_id}')).outlineStyle")
    assert highlighted == "solid"


def test_next_brings_the_top_of_the_results_into_view(sign_in, page, showings, make_contact, users):
    for n in range(10):
        make_contact(users["agent"], f"Extra{n}", "Row")
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in("agent@demo.test")
    page.get_by_role("link", name="Next").scroll_into_view_if_needed()
    page.get_by_role("link", name="Next").click()
    page.wait_for_url("**page=2*")
    page.wait_for_function("document.getElementById('results').getBoundingClientRect().top >= -1")
    assert page.evaluate("document.getElementById('results').getBoundingClientRect().top") < 800


def test_save_list_then_apply_it(sign_in, page, showings):
    sign_in("agent@demo.test", "/contacts?inquiry_type=Showing+Request")
    page.get_by_label("List name").fill("Rosa's showings")
    page.get_by_role("button", name="Save List").click()
    page.wait_for_url("**/contacts/lists/*")
    assert page.get_by_text("Saved the list").is_visible()
    lists = page.locator(".smart-lists")
    assert lists.get_by_role("link", name="Rosa's showings").is_visible()
    assert lists.locator(".count").first.inner_text() == "5"
    page.goto("/contacts")
    page.locator(".smart-lists").get_by_role("link", name="Rosa's showings").click()
    wait_rows(page, 5)
    page.get_by_label("List name").fill("")
    page.get_by_label("List name").fill("Rosa's showings")
    page.get_by_role("button", name="Save List").click()
    assert page.get_by_text("You already have a list named").is_visible()


def test_fits_1280_with_15_rows_and_folds_at_390(browser, live_server, showings, sign_in_on):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in_on(page, "agent@demo.test")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    visible = page.evaluate("[...document.querySelectorAll('#results tbody tr')]"
                            ".filter(tr => tr.getBoundingClientRect().bottom <= innerHeight).length")
    assert visible >= 15
    for check in ("Add Lead", "View Rosa Showings"):  # Dl CSV is for managers unless Settings grant it
        box = page.get_by_role("link", name=check).first.bounding_box()
        assert box["x"] + box["width"] <= 1280

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate(WIDEST_IN_MAIN) <= 390
    keyword = page.get_by_label("Keyword")
    assert not keyword.is_visible()
    toggle = page.get_by_role("button", name="Search", exact=True)
    toggle.click()
    assert keyword.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    keyword.fill("theo")
    page.wait_for_url("**keyword=theo*")
    wait_rows(page, 1)
    assert page.evaluate(WIDEST_IN_MAIN) <= 390
    context.close()


@pytest.mark.parametrize("path", ["/contacts", "/contacts?group=contact", "/contacts?inquiry_type=Showing+Request"])
def test_lead_rows_have_no_serious_accessibility_violations(sign_in, page, showings, path):
    sign_in("agent@demo.test", path)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], results.generate_report()
