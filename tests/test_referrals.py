"""Referrals (docs/product.md#referrals, #referral-status, #lead-status): sub-tabs and counts, status changes, private
notes, Lead Status, the concierge's queue, territories in Settings and update requests (test clock)."""
from datetime import datetime, timedelta

import pytest

from crm import clock, worker
from crm.extensions import db
from crm.models import ActivityLog, AppointmentOffer, Contact, ContactShare, OutboxMessage, ServiceZip, ZipSponsorship
from crm.models.values import REFERRAL_TABS
from crm.services import referrals, settings

import markup

TAB_SLUGS = {"Active Leads": "active-leads", "Inactive Leads": "inactive-leads",
             "Active Appointments": "active-appointments", "Lost Listings/Sales": "lost-listings-sales",
             "Wins": "wins"}
START = datetime(2030, 3, 1, 9, 0)


def _tab_counts(html: str) -> dict[str, int]:
    tabs = markup.parse(html).select("nav.tabs li > a")
    return {tab.text(deep=False).strip(): int(tab.css_first("span.count").text()) for tab in tabs}


def _current_tab(html: str) -> str:
    return markup.parse(html).one("nav.tabs a.current[aria-current=page]").text(deep=False).strip()


def _names_in_list(html: str) -> set[str]:
    return set(markup.parse(html).texts("section.referral-list tr[id^=referral-] > td:first-child > a"))


def _log_actions(contact) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(ActivityLog.action).where(ActivityLog.contact_id == contact.id)
                                   .order_by(ActivityLog.id)))


@pytest.fixture
def one_per_status(make_contact, users):
    """agent owns one referral in every status; others own or archived ones must not count."""
    made = {status: make_contact(users["agent"], status.replace(" ", "").replace("-", ""), "Ref",
                                 referral_status=status)
            for status in referrals.REFERRAL_STATUSES}
    make_contact(users["agent2"], "Other", "Agent", referral_status="New")
    archived = make_contact(users["agent"], "Archived", "Ref", referral_status="New")
    archived.archived_at = clock.now()
    db.session.commit()
    return made


def test_every_status_lands_in_its_sub_tab_with_correct_counts(login_as, users, one_per_status):
    client = login_as(users["agent"])
    for tab, statuses in REFERRAL_TABS.items():
        page = client.get(f"/referrals?tab={TAB_SLUGS[tab]}").get_data(as_text=True)
        assert _names_in_list(page) == {f"{one_per_status[s].first_name} Ref" for s in statuses}
        assert _tab_counts(page) == {t: len(s) for t, s in REFERRAL_TABS.items()}
        assert _current_tab(page) == tab
    as_json = client.get("/referrals?tab=wins", headers={"Accept": "application/json"}).get_json()
    assert as_json["counts"] == {t: len(s) for t, s in REFERRAL_TABS.items()}
    assert {r["referralStatus"] for r in as_json["referrals"]} == set(REFERRAL_TABS["Wins"])
    assert {r["subTab"] for r in as_json["referrals"]} == {"Wins"}


def test_managers_see_their_office_referrals_with_the_owner(login_as, users, make_contact):
    make_contact(users["agent"], "Downtown", "Lead")
    make_contact(users["west_agent"], "Westshore", "Lead")
    page = login_as(users["manager"]).get("/referrals").get_data(as_text=True)
    assert _names_in_list(page) == {"Downtown Lead"} and "Alex Agent" in page


def test_sub_tabs_switch_with_htmx_and_push_the_url(login_as, users, one_per_status):
    client = login_as(users["agent"])
    fragment = client.get("/referrals?tab=wins", htmx=True).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="referrals"') and "<html" not in fragment
    active_leads_tab = markup.parse(fragment).one('nav.tabs a[href="/referrals?tab=active-leads"]').attributes
    assert {name: active_leads_tab[name] for name in ("hx-get", "hx-target", "hx-swap", "hx-push-url")} == {
        "hx-get": "/referrals?tab=active-leads", "hx-target": "#referrals", "hx-swap": "outerHTML",
        "hx-push-url": "true"}
    assert _names_in_list(fragment) == {"ListingSigned Ref", "UnderContract Ref", "Closed Ref"}
    whole = client.get("/referrals?tab=wins").get_data(as_text=True)
    assert whole.startswith("<!doctype html>") and markup.parse(whole).has("#referral-panel")


def test_a_row_opens_the_referral_with_status_notes_and_save(login_as, users, one_per_status):
    contact = one_per_status["Follow-Up"]
    client = login_as(users["agent"])
    panel = client.get(f"/referrals/{contact.id}", htmx=True).get_data(as_text=True)
    assert panel.lstrip().startswith('<section id="referral-panel"')
    form = markup.parse(panel)
    assert form.attrs("select[name=referral_status] option[selected]", "value") == ["Follow-Up"]
    assert form.has('select[name=referral_status] optgroup[label="Active Appointments"]')
    assert form.has("textarea[name=note], input[name=note]") and "Save" in form.texts("button")
    page = client.get(f"/referrals/{contact.id}").get_data(as_text=True)
    assert _current_tab(page) == "Active Appointments"
    assert markup.parse(page).attrs("tr.selected", "id") == [f"referral-{contact.id}"]


def test_saving_a_status_moves_the_referral_and_unlocks_nothing(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Maya", "Masked", phones=["813-555-0199"], zip="33611")
    client = login_as(users["agent"])
    with clock.frozen_at(START):
        response = client.post(f"/referrals/{contact.id}", {"referral_status": "Appointment Set", "note": ""},
                               htmx=True)

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Push-Url"] == f"/referrals/{contact.id}"
    assert _current_tab(html) == "Active Appointments" and _tab_counts(html)["Active Appointments"] == 1
    assert "Saved: Referral Status is Appointment Set (Active Appointments)." in html
    assert "813-555-0199" not in html and "XXX" in html
    saved = db.session.get(Contact, contact.id)
    assert (saved.referral_status, saved.referral_status_changed_at, saved.lead_type) == (
        "Appointment Set", START, "Active")
    entry = db.session.scalar(db.select(ActivityLog).where(ActivityLog.action == "Referral Status"))
    assert entry.detail == "New → Appointment Set (moved to Active Appointments)"


def test_save_without_javascript_redirects_with_a_message(login_as, users, make_contact):
    contact = make_contact(users["agent"])
    client = login_as(users["agent"])
    response = client.post(f"/referrals/{contact.id}", {"referral_status": "Closed", "note": "Sold in May"})
    assert response.status_code == 302 and response.headers["Location"] == f"/referrals/{contact.id}"
    page = client.get(f"/referrals/{contact.id}").get_data(as_text=True)
    assert "Saved: Referral Status is Closed (Wins); note saved." in page and "Sold in May" in page


@pytest.mark.parametrize("bad_status", ["Sold", "", "new", "Closed<script>"])
def test_a_status_outside_the_list_is_refused_logged_and_changes_nothing(login_as, users, make_contact, bad_status):
    contact = make_contact(users["agent"], referral_status="Attempted Contact")
    client = login_as(users["agent"])

    response = client.post(f"/referrals/{contact.id}", {"referral_status": bad_status, "note": "kept?"}, htmx=True)

    assert response.status_code == 422
    assert "Choose a Referral Status from the list." in response.get_data(as_text=True)
    assert "<script>" not in response.get_data(as_text=True)
    saved = db.session.get(Contact, contact.id)
    assert saved.referral_status == "Attempted Contact"
    assert referrals.notes_for(users["agent"], saved) == []
    assert _log_actions(contact)[-1] == "Refused"


def test_a_note_too_long_is_refused_next_to_the_field(login_as, users, make_contact):
    contact = make_contact(users["agent"])
    response = login_as(users["agent"]).post(f"/referrals/{contact.id}",
                                             {"referral_status": "Closed", "note": "x" * 5001}, htmx=True)
    assert response.status_code == 422 and "at most 5000 characters" in response.get_data(as_text=True)
    assert db.session.get(Contact, contact.id).referral_status == "New"


def test_another_agents_referral_is_not_found(login_as, users, make_contact):
    contact = make_contact(users["agent"])
    client = login_as(users["agent2"])
    assert client.get(f"/referrals/{contact.id}").status_code == 404
    assert client.post(f"/referrals/{contact.id}", {"referral_status": "Closed"}).status_code == 404
    assert client.post(f"/referrals/{contact.id}/notes", {"note": "mine"}).status_code == 404
    assert db.session.get(Contact, contact.id).referral_status == "New"


def test_notes_are_seen_by_their_author_only(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Ana", "Ruiz")
    db.session.add(ContactShare(contact_id=contact.id, user_id=users["agent2"].id))
    db.session.commit()
    author = login_as(users["agent"])
    author.post(f"/referrals/{contact.id}", {"referral_status": "New", "note": "Husband decides; call after 6"})
    added = author.post(f"/referrals/{contact.id}/notes", {"note": "Second thought: hot lead"}, htmx=True)
    assert added.status_code == 200 and "Second thought: hot lead" in added.get_data(as_text=True)

    for page in (f"/referrals/{contact.id}", f"/contacts/{contact.id}"):
        html = author.get(page).get_data(as_text=True)
        assert "Husband decides; call after 6" in html and "Second thought: hot lead" in html
    for role in ("agent2", "concierge", "manager", "broker"):
        other = login_as(users[role])
        for page in (f"/referrals/{contact.id}", f"/contacts/{contact.id}", "/referrals?tab=active-leads",
                     f"/referrals/{contact.id}?format=json"):
            html = other.get(page).get_data(as_text=True)
            assert "Husband decides" not in html and "hot lead" not in html, (role, page)
        other.post(f"/referrals/{contact.id}/notes", {"note": f"{role} private"})
    assert "concierge private" not in author.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert "agent2 private" in login_as(users["agent2"]).get(f"/contacts/{contact.id}").get_data(as_text=True)


def test_an_empty_note_from_contact_details_is_refused(login_as, users, make_contact):
    contact = make_contact(users["agent"])
    response = login_as(users["agent"]).post(f"/referrals/{contact.id}/notes", {"note": "  "}, htmx=True)
    assert response.status_code == 422 and "Write the note first." in response.get_data(as_text=True)
    assert referrals.notes_for(users["agent"], contact) == []


# --- Lead Status and the concierge's queue -----------------------------------------------------------

def test_agents_cannot_reach_the_concierge_queue_or_set_lead_status(login_as, users, make_contact):
    contact = make_contact(users["agent"])
    client = login_as(users["agent"])
    assert client.get("/concierge/").status_code == 403
    assert client.post(f"/concierge/{contact.id}/lead-status", {"lead_status": "Inactive"}).status_code == 403
    assert client.post(f"/concierge/{contact.id}/convert", {"date": "2099-01-01", "time": "10:00"}).status_code == 403
    assert client.get(f"/contacts/{contact.id}/sections/lead_status/edit").status_code == 404
    assert "Lead Status: Active" in client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert db.session.get(Contact, contact.id).lead_status == "Active"


def test_the_queue_lists_raw_leads_only(login_as, users, make_contact):
    make_contact(users["agent"], "Raw", "New")
    make_contact(None, "Raw", "Unassigned", referral_status="Attempted Contact")
    make_contact(users["agent"], "Already", "Appointment", lead_type="Appointment")
    make_contact(users["agent"], "Working", "Lead", referral_status="In Progress")
    make_contact(users["agent"], "Given", "Up", referral_status="Not Workable", lead_status="Inactive")
    html = login_as(users["concierge"]).get("/concierge/").get_data(as_text=True)
    raw = html.split('id="raw-title"')[1]
    assert "Raw New" in raw and "Raw Unassigned" in raw
    assert "Already Appointment" not in raw and "Working Lead" not in raw and "Given Up" not in raw


def test_concierge_sets_lead_status_in_the_queue(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Ana", "Ruiz")
    concierge = login_as(users["concierge"])

    response = concierge.post(f"/concierge/{contact.id}/lead-status", {"lead_status": "Inactive"}, htmx=True)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="queue">') and "Ana Ruiz: Lead Status is Inactive." in html
    assert db.session.get(Contact, contact.id).lead_status == "Inactive"
    entry = db.session.scalar(db.select(ActivityLog).where(ActivityLog.action == "Edited"))
    assert entry.detail == "Lead Status: Active → Inactive" and entry.actor_id == users["concierge"].id
    refused = concierge.post(f"/concierge/{contact.id}/lead-status", {"lead_status": "Dormant"}, htmx=True)
    assert refused.status_code == 422 and "Choose Active or Inactive." in refused.get_data(as_text=True)
    assert db.session.get(Contact, contact.id).lead_status == "Inactive"
    assert _log_actions(contact)[-1] == "Refused"


def test_manager_sets_lead_status_only_in_their_office(login_as, users, make_contact):
    west = make_contact(users["west_agent"])
    response = login_as(users["manager"]).post(f"/concierge/{west.id}/lead-status", {"lead_status": "Inactive"})
    assert response.status_code == 404 and db.session.get(Contact, west.id).lead_status == "Active"


def test_not_workable_lands_in_the_owners_inactive_leads(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Ana", "Ruiz")
    response = login_as(users["concierge"]).post(f"/concierge/{contact.id}/not-workable")
    assert response.status_code == 302
    saved = db.session.get(Contact, contact.id)
    assert (saved.referral_status, saved.lead_status) == ("Not Workable", "Inactive")
    page = login_as(users["agent"]).get("/referrals?tab=inactive-leads").get_data(as_text=True)
    assert _names_in_list(page) == {"Ana Ruiz"}


@pytest.mark.parametrize("form, field_error", [
    ({"date": "2030-03-01", "time": "03:59"}, "The appointment must be in the future."),  # EST: 08:59 UTC
    ({"date": "2030-02-27", "time": "10:00"}, "The appointment must be in the future."),
    ({"date": "", "time": "10:00"}, "Enter the appointment&#39;s date."),
    ({"date": "2030-03-02", "time": ""}, "Enter the appointment&#39;s time."),
    ({"date": "tomorrow", "time": "10:00"}, "Not a valid date value."),
])
def test_converting_needs_a_future_date_and_time(login_as, users, make_contact, form, field_error):
    contact = make_contact(users["agent"], zip="33602")
    with clock.frozen_at(START):
        page = login_as(users["concierge"])
        assert "Convert to Appointment" in page.get(f"/concierge/{contact.id}/convert").get_data(as_text=True)
        response = page.post(f"/concierge/{contact.id}/convert", form)
    assert response.status_code == 422 and field_error in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(AppointmentOffer.id))) == 0
    assert db.session.get(Contact, contact.id).lead_type == "Active"


def test_an_inactive_lead_or_one_without_zip_cannot_be_converted(login_as, users, make_contact):
    inactive = make_contact(users["agent"], zip="33602", lead_status="Inactive")
    no_zip = make_contact(users["agent"])
    concierge = login_as(users["concierge"])
    future = {"date": "2099-01-01", "time": "10:00"}
    assert "set its Lead Status to Active" in concierge.post(f"/concierge/{inactive.id}/convert", future) \
        .get_data(as_text=True)
    assert "no zip code" in concierge.post(f"/concierge/{no_zip.id}/convert", future).get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(AppointmentOffer.id))) == 0


def test_the_routing_log_page_shows_routing_entries_only(login_as, users, make_contact):
    contact = make_contact(users["agent"], zip="33602")
    referrals.change_status(contact, users["agent"], "In Progress")
    referrals.activity.log(contact, None, "Routed", "Round robin gave it to Alex Agent", category="routing")
    db.session.commit()
    html = login_as(users["concierge"]).get(f"/concierge/{contact.id}/routing").get_data(as_text=True)
    assert "Round robin gave it to Alex Agent" in html and "Referral Status" not in html


# --- Territories and offer settings -------------------------------------------------------------------

def test_broker_sets_territories(login_as, users):
    agent = users["agent"]
    broker = login_as(users["broker"])
    page = broker.get("/settings/territories").get_data(as_text=True)
    assert "Alex Agent" in page and markup.parse(page).has(f"textarea[name=agent-{agent.id}-service_zips]")

    response = broker.post(f"/settings/territories/{agent.id}", {
        f"agent-{agent.id}-service_zips": "33602, 33603 33602", f"agent-{agent.id}-sponsored_zips": "33602",
        f"agent-{agent.id}-guaranteed_display": "y", f"agent-{agent.id}-phone": "813-555-0007"}, htmx=True)

    assert response.status_code == 200 and "Saved Alex Agent&#39;s territory." in response.get_data(as_text=True)
    assert sorted(db.session.scalars(db.select(ServiceZip.zip).where(ServiceZip.user_id == agent.id))) == [
        "33602", "33603"]
    assert list(db.session.scalars(db.select(ZipSponsorship.zip))) == ["33602"]
    saved = db.session.get(type(agent), agent.id)
    assert (saved.guaranteed_display, saved.phone) == (True, "813-555-0007")


def test_a_bad_zip_is_refused_next_to_its_field_and_changes_nothing(login_as, users):
    agent = users["agent"]
    db.session.add(ServiceZip(user_id=agent.id, zip="33611"))
    db.session.commit()
    response = login_as(users["broker"]).post(f"/settings/territories/{agent.id}", {
        f"agent-{agent.id}-service_zips": "33602", f"agent-{agent.id}-sponsored_zips": "3360 ABCDE"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert markup.parse(html).text(f"#agent-{agent.id}-sponsored_zips-error") == "Not a 5-digit zip code: 3360, ABCDE."
    assert list(db.session.scalars(db.select(ServiceZip.zip))) == ["33611"]
    bad_phone = login_as(users["broker"]).post(f"/settings/territories/{agent.id}", {
        f"agent-{agent.id}-service_zips": "33602", f"agent-{agent.id}-phone": "12"}, htmx=True)
    assert bad_phone.status_code == 422 and "Enter a phone number" in bad_phone.get_data(as_text=True)
    assert list(db.session.scalars(db.select(ServiceZip.zip))) == ["33611"]


def test_only_the_broker_edits_territories(login_as, users):
    for role in ("manager", "concierge", "agent"):
        client = login_as(users[role])
        assert client.get("/settings/territories").status_code == 403
        assert client.post(f"/settings/territories/{users['agent'].id}",
                           {f"agent-{users['agent'].id}-service_zips": "33602"}).status_code == 403
    assert db.session.scalar(db.select(db.func.count()).select_from(ServiceZip)) == 0


def test_broker_sets_the_claim_window_and_update_request_days(login_as, users):
    broker = login_as(users["broker"])
    bad = broker.post("/settings/offers", {"claim_window_minutes": "0", "update_request_days": "7"})
    assert bad.status_code == 422 and "from 1 to 1440" in bad.get_data(as_text=True)
    saved = broker.post("/settings/offers", {"claim_window_minutes": "45", "update_request_days": "3"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert (settings.get("claim_window_minutes"), settings.get("update_request_days")) == (45, 3)


# --- Update requests (docs/product.md#lead-status) --------------------------------------------------------------------

def _update_requests() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == "update_request")
                                   .order_by(OutboxMessage.id)))


def test_owners_are_asked_for_an_update_after_the_configured_days(users, make_contact):
    with clock.frozen_at(START):
        stale = make_contact(users["agent"], "Stale", "Referral")
        make_contact(users["agent"], "Sleeping", "Referral", lead_status="Inactive")
        make_contact(users["agent2"], "Other", "Owner")
        changed_later = make_contact(users["agent2"], "Changed", "Later")
        clock.advance(timedelta(days=3))
        referrals.change_status(changed_later, users["agent2"], "Attempted Contact")
        db.session.commit()

        clock.advance(timedelta(days=4) - timedelta(seconds=1))
        worker.run_once()
        assert _update_requests() == []

        clock.advance(timedelta(seconds=1))
        worker.run_once()
        worker.run_once()

        first = _update_requests()
        assert sorted(m.recipient for m in first) == ["agent2@demo.test", "agent@demo.test"]
        alex = next(m for m in first if m.recipient == "agent@demo.test")
        assert alex.subject == "Update requested: Stale Referral"
        assert f"http://crm.test/referrals/{stale.id}" in alex.body_text and "Sleeping" not in alex.body_text
        avery = next(m for m in first if m.recipient == "agent2@demo.test")
        assert "Other Owner" in avery.body_text and "Changed Later" not in avery.body_text

        clock.advance(timedelta(days=3))
        worker.run_once()
        assert "Changed Later" in _update_requests()[-1].body_text

        clock.advance(timedelta(days=4))
        worker.run_once()
        assert sorted(m.subject for m in _update_requests()[3:]) == [
            "Update requested: Other Owner", "Update requested: Stale Referral"]


def test_the_update_request_days_setting_applies(users, make_contact):
    settings.put("update_request_days", 2)
    db.session.commit()
    with clock.frozen_at(START):
        first = make_contact(users["agent"], "Quick", "Check")
        second = make_contact(users["agent"], "Second", "Check")
        clock.advance(timedelta(days=2))
        worker.run_once()
    [message] = _update_requests()
    assert message.subject == "Update requested: 2 referrals" and message.recipient == "agent@demo.test"
    assert f"/referrals/{first.id}" in message.body_text and f"/referrals/{second.id}" in message.body_text
