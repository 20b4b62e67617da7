"""Everyday use in a real browser (docs/product.md#everyday-use): confirmations (dismissed: nothing happens; accepted:
done), the busy indicator of a slow request, focus after in-place Save/Cancel/Escape, and the
referral panel opening where the user is looking on a phone."""
import re

import pytest
from playwright.sync_api import expect

from crm.extensions import db
from crm.models import Contact

pytestmark = pytest.mark.browser


def _contact(contact_id: int) -> Contact:
    db.session.expire_all()
    return db.session.get(Contact, contact_id)


def _answer_next_dialog(page, accept: bool) -> list[str]:
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()
    page.once("dialog", answer)
    return questions


def test_delete_asks_first_dismissed_nothing_happens_accepted_it_is_in_the_trash(
        page, users, make_contact, sign_in_on, wait_until):
    contact = make_contact(users["agent"], "Dora", "Delete")
    sign_in_on(page, "manager@demo.test", f"/contacts/{contact.id}")
    questions = _answer_next_dialog(page, accept=False)
    page.get_by_role("button", name="Delete", exact=True).click()
    wait_until(lambda: questions)
    assert questions == ["Delete Dora Delete? 1 contact will go to the trash; the broker can restore them for 30 days."]
    expect(page.get_by_role("heading", name="Dora Delete")).to_be_visible()
    assert _contact(contact.id).deleted_at is None

    _answer_next_dialog(page, accept=True)
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page.get_by_text("Dora Delete was moved to the trash")).to_be_visible()
    assert _contact(contact.id).deleted_at is not None


def test_bulk_actions_have_no_default_and_confirm_with_the_count(page, users, make_contact, sign_in_on):
    chosen = [make_contact(users["agent"], "Bulk", name) for name in ("One", "Two", "Three")]
    sign_in_on(page, "manager@demo.test", "/contacts")
    expect(page.get_by_label("With selected")).to_have_value("")
    for contact in chosen:
        page.get_by_role("checkbox", name=f"Select {contact.name}").check()
    page.get_by_label("With selected").select_option(label="Delete")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Delete 3 contacts? 3 contacts will go to the trash")).to_be_visible()
    assert all(_contact(c.id).deleted_at is None for c in chosen)  # asking deleted nothing

    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_text("Delete 3 contacts?")).to_have_count(0)
    assert all(_contact(c.id).deleted_at is None for c in chosen)

    for contact in chosen:
        page.get_by_role("checkbox", name=f"Select {contact.name}").check()
    page.get_by_label("With selected").select_option(label="Delete")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("button", name="Delete: 3 contacts").click()
    expect(page.get_by_text("Delete: done for 3 contacts.")).to_be_visible()
    assert all(_contact(c.id).deleted_at is not None for c in chosen)


def test_a_slow_request_shows_the_indicator_disables_the_button_and_marks_the_region_busy(
        page, users, make_contact, sign_in_on, wait_until):
    contact = make_contact(users["agent"], "Sam", "Slow")
    sign_in_on(page, "agent@demo.test", f"/contacts/{contact.id}")
    held = []
    page.route("**/sections/**", lambda route: held.append(route))  # answered only when the test says

    section = page.locator("#section-person")
    edit = page.get_by_role("link", name="Edit Contact")
    edit.click()
    expect(edit).to_have_class(re.compile(r"\bis-busy\b"))
    expect(edit).to_have_attribute("aria-disabled", "true")
    expect(section).to_have_attribute("aria-busy", "true")
    expect(page.locator("#progress")).to_have_class(re.compile(r"\bactive\b"))
    held.pop().continue_()
    expect(page.get_by_label("First Name")).to_be_visible()
    expect(page.locator("#progress")).not_to_have_class(re.compile(r"\bactive\b"))

    page.get_by_label("First Name").fill("Samuel")
    save = section.get_by_role("button", name="Save")
    save.click()
    expect(save).to_be_disabled()
    expect(page.locator("#section-person")).to_have_attribute("aria-busy", "true")
    wait_until(lambda: held)
    held.pop().continue_()
    expect(page.locator("#section-person")).to_contain_text("Samuel")
    expect(page.locator("#section-person")).not_to_have_attribute("aria-busy", "true")


def test_focus_returns_to_the_edited_section_after_save_cancel_and_escape(page, users, make_contact, sign_in_on):
    contact = make_contact(users["agent"], "Fay", "Focus")
    sign_in_on(page, "agent@demo.test", f"/contacts/{contact.id}")
    edit = page.get_by_role("link", name="Edit Contact")

    edit.click()
    expect(page.get_by_label("First Name")).to_be_focused()
    page.get_by_label("First Name").fill("Faye")
    page.locator("#section-person").get_by_role("button", name="Save").click()
    expect(page.locator("#section-person")).to_contain_text("Faye")
    expect(page.get_by_role("link", name="Edit Contact")).to_be_focused()

    page.get_by_role("link", name="Edit Contact").click()
    page.locator("#section-person").get_by_role("link", name="Cancel").click()
    expect(page.get_by_label("First Name")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit Contact")).to_be_focused()

    page.get_by_role("link", name="Edit Contact").click()
    page.get_by_label("First Name").fill("Not saved")
    page.keyboard.press("Escape")
    expect(page.get_by_label("First Name")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit Contact")).to_be_focused()
    assert _contact(contact.id).first_name == "Faye"


def test_on_a_phone_the_referral_opens_over_the_list_where_the_user_looks(
        browser, live_server, users, make_contact, sign_in_on):
    for n in range(14):
        make_contact(users["agent"], f"Row{n:02d}", "Referral")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = sign_in_on(context.new_page(), "agent@demo.test", "/referrals")
    link = page.get_by_role("link", name="Row00 Referral")
    link.scroll_into_view_if_needed()
    link.click()
    heading = page.get_by_role("heading", name="Row00 Referral")
    expect(heading).to_be_in_viewport()
    expect(heading).to_be_focused()
    expect(page.get_by_label("Referral Status")).to_be_in_viewport()
    page.keyboard.press("Escape")
    expect(page.get_by_role("heading", name="Row00 Referral")).to_have_count(0)
    context.close()
