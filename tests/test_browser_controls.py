"""Brokerage controls in a real browser: requests and approvals, hand off, bulk actions, plan tasks, Dl CSV."""
import csv
import io

import pytest
from playwright.sync_api import expect

from crm.extensions import db
from crm.models import ActionPlan, ActionPlanTask, Contact, OutboxMessage
from crm.services import settings

pytestmark = pytest.mark.browser


@pytest.fixture
def second_page(browser, live_server):
    """Another person's browser (its own cookies), e.g. the manager next to the agent."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _contact(contact_id: int) -> Contact:
    db.session.expire_all()
    return db.session.get(Contact, contact_id)


def test_agent_requests_archive_and_the_manager_approves_it_on_requests(
        page, second_page, users, make_contact, sign_in_on, wait_until):
    contact = make_contact(users["agent"], "Bria", "Browser")
    sign_in_on(page, "agent@demo.test", f"/contacts/{contact.id}")
    page.get_by_label("Reason for your request").fill("Bought with another brokerage")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Request archive").click()
    expect(page.get_by_text("Archive request for Bria Browser sent to your manager.")).to_be_visible()
    expect(page.get_by_text("Your Archive request is waiting for a manager.")).to_be_visible()
    assert questions == ["Ask your manager to archive Bria Browser? Nothing changes to 1 contact until a manager "
                         "approves."]
    page.goto("/contacts")
    expect(page.locator(f'#results tr:has(a[href^="/contacts/{contact.id}#"])')).to_contain_text("Archive")

    manager = sign_in_on(second_page, "manager@demo.test", "/requests")
    row = manager.get_by_role("row", name="Bria Browser")
    expect(row).to_contain_text("Alex Agent")
    expect(row).to_contain_text("Bought with another brokerage")
    manager.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Approve Archive of Bria Browser").click()
    expect(row).to_contain_text("Approved by Marcus Manager")
    expect(row.get_by_role("button", name="Approve Archive of Bria Browser")).to_have_count(0)
    wait_until(lambda: _contact(contact.id).archived_at is not None)

    page.goto("/contacts")
    expect(page.get_by_role("status").filter(has_text="lead")).to_contain_text("0 leads")
    expect(page.get_by_role("link", name="Bria Browser")).to_have_count(0)


def test_a_manager_hands_off_a_lead(page, users, make_contact, sign_in_on, wait_until):
    contact = make_contact(users["agent"], "Hal", "Handoff")
    sign_in_on(page, "manager@demo.test", f"/contacts/{contact.id}")
    page.get_by_label("Hand Off to").select_option(label="Avery Agent")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Hand Off", exact=True).click()
    expect(page.get_by_text("Hal Handoff was handed off to Avery Agent, who gets an email.")).to_be_visible()
    expect(page.locator(".detail-head .meta")).to_contain_text("Owner: Avery Agent")
    email = wait_until(lambda: db.session.scalar(db.select(OutboxMessage).where(OutboxMessage.kind == "handoff")))
    assert email.recipient == "agent2@demo.test"
    assert _contact(contact.id).owner_id == users["agent2"].id


def test_hand_off_to_nobody_shows_the_message_in_place(page, users, make_contact, sign_in_on):
    contact = make_contact(users["agent"], "Nora", "Nobody")
    sign_in_on(page, "manager@demo.test", f"/contacts/{contact.id}")
    page.evaluate("document.getElementById('hand_off-agent').removeAttribute('required')")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Hand Off", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Choose an agent of the brokerage.")
    assert _contact(contact.id).owner_id == users["agent"].id


def test_an_agent_archives_selected_rows_in_bulk(page, users, make_contact, sign_in_on):
    chosen = [make_contact(users["agent"], "Bulk", name) for name in ("One", "Two")]
    make_contact(users["agent"], "Not", "Chosen")
    sign_in_on(page, "agent@demo.test", "/contacts")
    for contact in chosen:
        page.get_by_role("checkbox", name=f"Select {contact.name}").check()
    page.get_by_label("With selected").select_option(label="Request archive")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Ask your manager to archive 2 contacts? Nothing changes to 2 contacts")).to_be_visible()
    page.get_by_role("button", name="Request archive: 2 contacts").click()
    expect(page.get_by_text("Archive: 2 requests sent to your manager.")).to_be_visible()
    for contact in chosen:
        expect(page.locator(f'#results tr:has(a[href^="/contacts/{contact.id}#"])')).to_contain_text("Archive")


def test_an_agent_ticks_plan_tasks_on_contact_details(page, users, make_contact, sign_in_on):
    plan = ActionPlan(name="Quick", tasks=[ActionPlanTask(kind="Call", title="Say hello", due_days=0, position=0),
                                           ActionPlanTask(kind="Email", title="Send listings", due_days=2, position=1)])
    db.session.add(plan)
    db.session.commit()
    settings.put("plan_in_use_id", plan.id)
    db.session.commit()
    contact = make_contact(users["agent"], "Tia", "Tasks")
    sign_in_on(page, "agent@demo.test", f"/contacts/{contact.id}")
    plan_card = page.locator("#action-plan")
    expect(plan_card).to_contain_text("On Time")
    plan_card.get_by_label("Call: Say hello").check()
    expect(plan_card.get_by_text("done")).to_be_visible()
    plan_card.get_by_label("Email: Send listings").check()
    expect(plan_card).to_contain_text("Completed")
    expect(plan_card.get_by_label("Email: Send listings")).to_be_disabled()
    assert _contact(contact.id).plan_completed_at is not None


def test_an_agent_downloads_a_csv_with_chosen_columns(page, users, make_contact, sign_in_on):
    settings.put("roles_may_export", ["agent", "manager", "broker"])  # export is managers' unless granted
    make_contact(users["agent"], "Hattie", "Hot", priority="Hot", emails=["hattie@example.com"])
    make_contact(users["agent"], "Owen", "Own", priority="Hot", emails=["owen@example.com"], created_by=users["agent"])
    make_contact(users["agent"], "Cole", "Cold", priority="Cold")
    sign_in_on(page, "agent@demo.test", "/contacts?priority=Hot")
    page.get_by_role("link", name="Dl CSV").click()
    dialog = page.get_by_role("dialog", name="Dl CSV")
    expect(dialog).to_be_visible()
    for box in dialog.locator("input[name=column]").all():
        box.uncheck()
    for label in ("Name", "Email", "Priority"):
        dialog.get_by_label(label, exact=True).check()
    dialog.get_by_label("Sort by").select_option(label="Name")
    dialog.get_by_label("Order").select_option(label="Ascending")
    with page.expect_download() as download_info:
        dialog.get_by_role("button", name="Download").click()
    download = download_info.value
    assert download.suggested_filename.startswith("leads-") and download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8") as downloaded:
        text = downloaded.read()
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text[1:]))) == [
        ["Name", "Email", "Priority"], ["Hattie Hot", "XXX", "Hot"], ["Owen Own", "owen@example.com", "Hot"]]
    expect(dialog).to_be_hidden()


def test_the_download_dialog_shows_an_inverted_date_range_next_to_the_field(page, users, sign_in_on):
    sign_in_on(page, "manager@demo.test", "/contacts")
    page.get_by_role("link", name="Dl CSV").click()
    dialog = page.get_by_role("dialog", name="Dl CSV")
    dialog.get_by_label("Lead date from").fill("2026-03-10")
    dialog.get_by_label("Lead date to").fill("2026-03-01")
    dialog.get_by_role("button", name="Download").click()
    expect(dialog.get_by_text("The end date is before the start date.")).to_be_visible()
    expect(dialog.get_by_label("Lead date from")).to_have_value("2026-03-10")
