"""Every page fits (docs/product.md#everyday-use): for every role, at 1280×800 and at 390×844 the page never scrolls
sideways, the top menu folds on the phone, and axe finds no serious or critical problem. The walk
also takes the screenshots that README and docs/ show."""
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from crm.extensions import db
from crm.models import ActionPlan, ActionPlanTask, Note
from crm.services import manage, requests, settings

from referral_helpers import convert, give_territory

pytestmark = pytest.mark.browser

VIEWPORTS = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
# (role, page name) pairs whose screenshot the README and docs/ show
SHOWN = {("agent", "contact"), ("agent", "referral"), ("agent", "offers"), ("concierge", "queue"),
         ("concierge", "contact"), ("manager", "compliance"), ("manager", "requests"), ("broker", "settings")}
OVERFLOW_REPORT = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > width + 1)
    .filter(el => !el.parentElement.closest('.table-wrap') && !el.closest('.visually-hidden'))
    .slice(0, 8)
    .map(el => el.tagName + '.' + el.className + '#' + el.id + ' ' + Math.round(el.getBoundingClientRect().right));
}"""


@pytest.fixture
def world(users, make_contact):
    """A little of everything, so that every page has real rows to lay out."""
    plan = ActionPlan(name="New buyer", tasks=[
        ActionPlanTask(kind="Call", title="Introduce yourself", due_days=0, position=0),
        ActionPlanTask(kind="Email", title="Send three matching listings", due_days=3, position=1)])
    db.session.add(plan)
    db.session.commit()
    settings.put("plan_in_use_id", plan.id)
    db.session.commit()
    give_territory(users["agent"], serves=["33602"], sponsors=["33602"])
    agent, agent2 = users["agent"], users["agent2"]
    long_name = make_contact(agent, "Maximiliana-Evangelina", "Fitzgerald-Worthington-Smythe",
                             emails=["maximiliana.evangelina.fitzgerald.worthington@extremely-long-domain.example"],
                             phones=["(813) 555-0142"], zip="33602",
                             street="12345 Northwest Bayshore Boulevard Apt 1207",
                             city="Tampa", created_by=agent)
    offered = make_contact(None, "Olga", "Offer", phones=["813-555-0199"], zip="33602", street="9 Palm Ave",
                           city="Tampa", inquiry="Seller Inquiry")
    offer = convert(offered, users["concierge"])
    requested = make_contact(agent, "Rita", "Request", phones=["813-555-0100"])
    requests.create(requested, agent, "Delete", "Duplicate of another lead")
    archived = make_contact(agent, "Archie", "Archived")
    manage.archive_contact(archived, users["manager"])
    db.session.add(Note(contact_id=long_name.id, author_id=agent.id, body="Prefers texts after 5 pm. " * 6))
    for n in range(12):
        make_contact(agent if n % 2 else agent2, f"Lead{n}", "Sample", phones=[f"813-555-01{n:02d}"],
                     inquiry="Showing Request", zip="33602", city="Tampa")
    inactive = make_contact(agent2, "Ina", "Inactive", zip="33602", lead_status="Inactive")
    db.session.commit()
    return dict(contact=long_name, archived=archived, inactive=inactive, plan=plan, offer_id=offer.id)


def _pages(role: str, world: dict) -> dict[str, str]:
    contact = world["contact"].id
    pages = {"leads": "/contacts", "contact": f"/contacts/{contact}", "add lead": "/contacts/new",
             "referrals": "/referrals", "referral": f"/referrals/{contact}", "preferences": "/preferences",
             "dashboard": "/dashboard"}
    if role != "concierge":
        pages["archived"] = "/contacts?archived=1"
        pages["archived contact"] = f"/contacts/{world['archived'].id}"
    if role == "agent":
        pages |= {"offers": "/offers/", "offer": f"/offers/{world['offer_id']}"}
    if role in ("concierge", "manager", "broker"):
        pages |= {"queue": "/concierge/", "convert": f"/concierge/{world['inactive'].id}/convert",
                  "routing log": f"/concierge/{contact}/routing"}
    if role in ("manager", "broker"):
        pages |= {"requests": "/requests", "compliance": "/compliance", "download": "/contacts/export",
                  "import": "/settings/import"}
    if role == "broker":
        pages |= {"settings": "/settings/", "action plans": "/settings/action-plans",
                  "action plan": f"/settings/action-plans/{world['plan'].id}", "api keys": "/settings/api-keys",
                  "lead flow": "/settings/lead-flow", "notification log": "/settings/notifications",
                  "offer settings": "/settings/offers", "permissions": "/settings/permissions",
                  "territories": "/settings/territories", "trash": "/settings/trash", "users": "/settings/users",
                  "offices": "/settings/offices", "sources": "/settings/sources", "webhooks": "/settings/webhooks"}
    return pages


def _assert_fits(page, where: str) -> None:
    sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], f"{where} scrolls sideways {sizes}: {page.evaluate(OVERFLOW_REPORT)}"


def _assert_accessible(page, where: str) -> None:
    results = Axe().run(page)
    serious = [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{where}: {serious}\n{results.generate_report()}"


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("role", ["agent", "concierge", "manager", "broker"])
def test_every_page_fits_without_sideways_scrolling_and_passes_axe(
        browser, live_server, world, role, viewport, sign_in_on):
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS[viewport])
    context.set_default_timeout(10_000)
    page = sign_in_on(context.new_page(), f"{role}@demo.test")
    try:
        for name, path in _pages(role, world).items():
            response = page.goto(path)
            assert response.status == 200, f"{path} answered {response.status}"
            where = f"{role} {name} ({path}) at {viewport}"
            _assert_fits(page, where)
            _assert_accessible(page, where)
            if (role, name) in SHOWN:
                page.screenshot(path=str(SCREENSHOTS / f"{role}-{name}-{viewport}.png"), full_page=False)
    finally:
        context.close()


def test_the_phone_menu_folds_behind_a_button_and_opens(browser, live_server, users, sign_in_on):
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS["phone"])
    page = sign_in_on(context.new_page(), "broker@demo.test")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("button", name="Sign out")).to_be_in_viewport()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings")).to_be_in_viewport()
    _assert_fits(page, "the open menu")
    page.screenshot(path=str(SCREENSHOTS / "broker-menu-phone.png"))
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    context.close()


def test_without_javascript_the_menu_is_a_wrapping_list_that_fits(browser, live_server, users, sign_in_on):
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS["phone"], java_script_enabled=False)
    page = sign_in_on(context.new_page(), "broker@demo.test")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Preferences")).to_be_visible()
    _assert_fits(page, "the menu without JavaScript")
    context.close()
