"""Everyday use over HTTP (docs/product.md#archive, #everyday-use, #roles): Archive and Unarchive, the concierge's
actions on Contact Details and the queue's search and total, tel:/mailto: only for unmasked values, the
Offers count, compliance links and the bulk confirmation step."""
from crm.extensions import db
from crm.models import ActivityLog, AppointmentOffer, Contact
from crm.services import manage

import markup
from referral_helpers import convert, give_territory


def _fresh(contact: Contact) -> Contact:
    db.session.expire_all()
    return db.session.get(Contact, contact.id)


def _archived(contact: Contact, by) -> Contact:
    manage.archive_contact(contact, by)
    db.session.commit()
    return contact


def test_archived_contacts_are_found_under_archived_and_marked_on_contact_details(login_as, users, make_contact):
    archived = _archived(make_contact(users["agent"], "Arlo", "Archived"), users["manager"])
    make_contact(users["agent"], "Lively", "Lead")
    manager = login_as(users["manager"])
    everyday = manager.get("/contacts").get_data(as_text=True)
    assert "Lively Lead" in everyday and "Arlo Archived" not in everyday
    listed = manager.get("/contacts?archived=1").get_data(as_text=True)
    assert "Arlo Archived" in listed and "Lively Lead" not in listed
    assert markup.parse(listed).attrs("input[name=archived][checked]", "value") == ["1"]
    details = markup.parse(manager.get(f"/contacts/{archived.id}"))
    assert "Archived" in details.texts("strong") and "Unarchive" in details.texts("button")
    assert "Archive" not in details.texts("button")  # archived already


def test_agents_list_only_their_own_archived_contacts_and_the_concierge_has_no_archived_choice(
        login_as, users, make_contact):
    mine = _archived(make_contact(users["agent"], "Mine", "Archived"), users["manager"])
    _archived(make_contact(users["agent2"], "Theirs", "Archived", contact_status="Shared"), users["manager"])
    manage.share(db.session.get(Contact, mine.id), users["manager"], users["agent2"])
    db.session.commit()
    assert "Mine Archived" in login_as(users["agent"]).get("/contacts?archived=1").get_data(as_text=True)
    agent2 = login_as(users["agent2"]).get("/contacts?archived=1").get_data(as_text=True)
    assert "Theirs Archived" in agent2 and "Mine Archived" not in agent2  # shared with them, not theirs
    concierge = login_as(users["concierge"]).get("/contacts?archived=1").get_data(as_text=True)
    assert "Archived" not in concierge.split('id="results"')[0].split('id="search-form"')[1]
    assert "Mine Archived" not in concierge


def test_unarchive_follows_who_may_archive_and_is_logged(login_as, users, make_contact):
    contact = _archived(make_contact(users["agent"], "Una", "Back"), users["manager"])
    shared_with = login_as(users["agent2"])
    manage.share(db.session.get(Contact, contact.id), users["manager"], users["agent2"])
    db.session.commit()
    assert "Unarchive" not in markup.parse(shared_with.get(f"/contacts/{contact.id}")).texts("button")
    assert shared_with.post(f"/contacts/{contact.id}/unarchive").status_code == 403
    assert login_as(users["concierge"]).post(f"/contacts/{contact.id}/unarchive").status_code == 403
    assert login_as(users["west_agent"]).post(f"/contacts/{contact.id}/unarchive").status_code == 404
    assert _fresh(contact).archived_at is not None

    owner = login_as(users["agent"])  # an agent asks to archive, but may bring their contact back
    response = owner.post(f"/contacts/{contact.id}/unarchive", htmx=True)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"/contacts/{contact.id}"
    assert _fresh(contact).archived_at is None
    log = db.session.scalars(db.select(ActivityLog).where(ActivityLog.contact_id == contact.id)
                             .order_by(ActivityLog.id.desc())).first()
    assert (log.action, log.actor_id) == ("Unarchived", users["agent"].id)
    assert "Una Back" in owner.get("/contacts").get_data(as_text=True)
    again = login_as(users["manager"]).post(f"/contacts/{contact.id}/unarchive", htmx=True)
    assert again.status_code == 422 and "Una Back is not archived." in again.get_data(as_text=True)


def test_a_manager_archives_from_contact_details_and_stays_on_the_archived_contact(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Stay", "Here")
    response = login_as(users["manager"]).post(f"/contacts/{contact.id}/manage/archive", htmx=True)
    assert response.headers["HX-Redirect"] == f"/contacts/{contact.id}"
    assert _fresh(contact).archived_at is not None


def test_contact_details_confirms_with_what_happens_and_agents_read_requests(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Cleo", "Confirm")
    agent = markup.parse(login_as(users["agent"]).get(f"/contacts/{contact.id}"))
    assert {"Request delete", "Request archive"} <= set(agent.texts("button"))
    assert any(question.startswith("Ask your manager to delete Cleo Confirm? Nothing changes to 1 contact")
               for question in agent.attrs("[hx-confirm]", "hx-confirm"))
    manager_page = markup.parse(login_as(users["manager"]).get(f"/contacts/{contact.id}"))
    manager = manager_page.attrs("[hx-confirm]", "hx-confirm")
    for question in ("Delete Cleo Confirm? 1 contact will go to the trash",
                     "Archive Cleo Confirm? 1 contact will leave the everyday lists",
                     "Rebroadcast Cleo Confirm? 1 contact will be offered to every eligible agent",
                     "Reset Action Plan Cleo Confirm? The action plan of 1 contact will restart from today",
                     "Hand Off Cleo Confirm? 1 contact will go to the chosen agent"):
        assert any(asked.startswith(question) for asked in manager)


def test_bulk_needs_a_chosen_action_and_a_confirmation(login_as, users, make_contact):
    contacts = [make_contact(users["agent"], "Bulk", str(n)) for n in range(2)]
    ids = [c.id for c in contacts]
    manager = login_as(users["manager"])
    no_action = manager.post("/contacts/bulk", {"action": "", "contact_ids": ids}, htmx=True)
    assert no_action.status_code == 422
    assert "Choose an action in “With selected” first." in no_action.get_data(as_text=True)
    asked = manager.post("/contacts/bulk", {"action": "delete", "contact_ids": ids}, htmx=True)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Delete 2 contacts? 2 contacts will go to the trash" in html
    assert markup.parse(html).attr("input[name=confirmed]", "value") == "1"
    assert all(_fresh(c).deleted_at is None for c in contacts)
    manager.post("/contacts/bulk", {"action": "delete", "contact_ids": ids, "confirmed": "1"}, htmx=True)
    assert all(_fresh(c).deleted_at is not None for c in contacts)


def test_the_concierge_converts_or_gives_up_from_contact_details(login_as, users, make_contact):
    give_territory(users["agent"], serves=["33602"])
    active = make_contact(users["agent"], "Ava", "Active", zip="33602")
    inactive = make_contact(users["agent"], "Ivy", "Inactive", zip="33602", lead_status="Inactive")
    concierge = login_as(users["concierge"])
    page = markup.parse(concierge.get(f"/contacts/{active.id}"))
    assert page.texts(f'a[href="/concierge/{active.id}/convert"]') == ["Convert to Appointment"]
    assert "Not Workable" in page.texts("button")
    assert "Convert to Appointment" not in login_as(users["agent"]).get(f"/contacts/{active.id}").get_data(as_text=True)

    blocked = markup.parse(concierge.get(f"/contacts/{inactive.id}"))
    assert blocked.texts("button[disabled][aria-describedby=convert-blocked]") == ["Convert to Appointment"]
    assert blocked.text("#convert-blocked") == \
        "Only an Active lead can be converted: set its Lead Status to Active first."
    form = markup.parse(concierge.get(f"/concierge/{inactive.id}/convert"))
    assert form.has("[disabled][aria-describedby=convert-blocked]")
    assert form.text("#convert-blocked").startswith("Only an Active lead can be converted")
    refused = concierge.post(f"/concierge/{inactive.id}/convert", {"date": "2031-01-02", "time": "10:00", "note": ""})
    assert refused.status_code == 422
    assert db.session.scalar(db.select(db.func.count()).select_from(AppointmentOffer)) == 0

    gave_up = concierge.post(f"/concierge/{active.id}/not-workable", {"return_to": "contact"}, htmx=True)
    assert gave_up.headers["HX-Redirect"] == f"/contacts/{active.id}"
    assert (_fresh(active).referral_status, _fresh(active).lead_status) == ("Not Workable", "Inactive")
    assert "is marked Not Workable" in concierge.get(f"/contacts/{active.id}").get_data(as_text=True)


def test_the_queue_is_searchable_and_shows_its_total(login_as, users, make_contact):
    make_contact(users["agent"], "Quinn", "Queue", zip="33602")
    make_contact(users["agent"], "Other", "Person", zip="33603")
    concierge = login_as(users["concierge"])
    everything = markup.parse(concierge.get("/concierge/"))
    assert everything.text("p.total[role=status]") == "2 leads"
    found = concierge.get("/concierge/?keyword=Quinn").get_data(as_text=True)
    assert "Quinn Queue" in found and "Other Person" not in found
    assert "1 lead match “Quinn”" in found


def test_unmasked_phones_and_emails_are_links_and_masked_ones_stay_xxx(login_as, users, make_contact):
    added = make_contact(users["agent"], "Own", "Added", emails=["own@example.com"], phones=["813-555-0142"],
                         created_by=users["agent"])
    masked = make_contact(users["agent"], "Masked", "Lead", emails=["hidden@example.com"], phones=["813-555-0199"])
    agent = login_as(users["agent"])
    page = markup.parse(agent.get(f"/contacts/{added.id}"))
    assert page.texts('a[href="tel:+18135550142"]') == ["813-555-0142"]
    assert page.texts('a[href="mailto:own@example.com"]') == ["own@example.com"]
    hidden = agent.get(f"/contacts/{masked.id}").get_data(as_text=True)
    assert "tel:" not in hidden and "mailto:" not in hidden and "XXX" in hidden
    referrals = agent.get("/referrals").get_data(as_text=True)
    assert markup.parse(referrals).has('a[href="tel:+18135550142"]') and "tel:+18135550199" not in referrals
    assert "hidden@example.com" not in referrals
    panel = agent.get(f"/referrals/{masked.id}").get_data(as_text=True)
    assert "tel:" not in panel.split('id="referral-panel"')[1] and "XXX" in panel


def test_the_offers_tab_counts_the_offers_waiting(login_as, users, make_contact):
    give_territory(users["agent"], serves=["33602"])
    agent = login_as(users["agent"])
    assert not markup.parse(agent.get("/contacts")).has('a[href="/offers/"] span.count')
    convert(make_contact(None, "Olive", "Offer", zip="33602"), users["concierge"])
    offers_tab = markup.parse(agent.get("/contacts")).one('a[href="/offers/"]')
    assert offers_tab.text(deep=False).strip() == "Offers"
    assert (offers_tab.css_first("span.count").attributes["aria-label"], offers_tab.css_first("span.count").text()) \
        == ("1 waiting", "1")


def test_compliance_counts_link_to_the_referrals_behind_them(login_as, users, make_contact):
    from crm.models import ActionPlan, ActionPlanTask
    from crm.services import settings
    plan = ActionPlan(name="Plan", tasks=[ActionPlanTask(kind="Call", title="Call", due_days=0, position=0)])
    db.session.add(plan)
    db.session.commit()
    settings.put("plan_in_use_id", plan.id)
    db.session.commit()
    make_contact(users["agent"], "Pat", "Plan")
    page = markup.parse(login_as(users["manager"]).get("/compliance"))
    agent_id = users["agent"].id
    [open_plans] = page.select('a[aria-label="1 open plans of Alex Agent"]')
    assert open_plans.attributes["href"] == f"/contacts?owner={agent_id}&action_plan=On+Time&action_plan=Late+Task"
    ignored = login_as(users["manager"]).get(f"/compliance?agent={agent_id}").get_data(as_text=True)
    assert "Ignored: Alex Agent" in ignored


def test_approving_a_request_asks_first_with_what_happens(login_as, users, make_contact):
    from crm.services import requests
    contact = make_contact(users["agent"], "Rex", "Request")
    requests.create(contact, users["agent"], "Delete", "")
    db.session.commit()
    manager = login_as(users["manager"])
    question = "Approve the request? Delete Rex Request? 1 contact will go to the trash"
    for page in (manager.get("/requests"), manager.get("/contacts")):
        assert any(asked.startswith(question) for asked in markup.parse(page).attrs("[hx-confirm]", "hx-confirm"))


def test_link_filters_never_link_a_masked_value(app):
    from crm.template_helpers import mailto_link, tel_link
    assert str(tel_link("XXX")) == "XXX" and str(mailto_link("XXX")) == "XXX"
    assert str(tel_link("(813) 555-0142")) == '<a href="tel:+18135550142">(813) 555-0142</a>'
    assert str(mailto_link("a&b@example.com")) == '<a href="mailto:a&amp;b@example.com">a&amp;b@example.com</a>'


def test_the_queue_disables_convert_for_an_inactive_lead_and_says_why(login_as, users, make_contact):
    lead = make_contact(users["agent"], "Ivo", "Inactive", zip="33602", lead_status="Inactive")
    page = markup.parse(login_as(users["concierge"]).get("/concierge/"))
    assert page.texts(f"button[disabled][aria-describedby=not-active-{lead.id}]") == ["Convert to Appointment"]
    assert not page.has(f'[href="/concierge/{lead.id}/convert"]')
