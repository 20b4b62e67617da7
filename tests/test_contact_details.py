"""Contact Details (docs/product.md#contact-details) and Add Lead (docs/product.md#add-lead)."""


from crm.extensions import db
from crm.models import ActivityLog, Contact, Lead
from crm.services import contacts as contact_service

import markup


def test_details_show_fields_and_every_lead_newest_first(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Ana", "Ruiz", inquiry="Registration", city="Tampa", priority="Hot")
    for inquiry in ("Showing Request", "Showing Request", "Saved Property"):
        contact_service.record_lead(contact, inquiry, mls_number="T777")
    db.session.commit()
    html = login_as(users["agent"]).get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert "Ana Ruiz" in html and "Tampa" in html and "Hot" in html
    timeline = html[html.index('id="timeline-title"'):html.index('id="log-title"')]
    assert timeline.count('<li id="lead-') == 4
    assert timeline.index("Saved Property") < timeline.index("Registration")


def test_editing_a_section_in_place_saves_and_logs(login_as, users, make_contact):
    contact = make_contact(users["agent"], priority="Cold")
    client = login_as(users["agent"])
    form = client.get(f"/contacts/{contact.id}/sections/profile/edit", htmx=True)
    assert form.status_code == 200 and "<html" not in form.get_data(as_text=True)
    assert markup.parse(form).has("form select[name=priority]")
    saved = client.post(f"/contacts/{contact.id}/sections/profile", htmx=True, data={
        "contact_status": "Pending", "contact_type": "Seller", "contact_source": "Agent", "business_source": "",
        "priority": "Hot", "interest_level": "4", "time_frame": "0-3 Months"})
    assert saved.status_code == 200
    assert markup.parse(saved).text("dd[data-field=priority]") == "Hot"
    db.session.refresh(contact)
    assert (contact.priority, contact.interest_level, contact.contact_status) == ("Hot", 4, "Pending")
    log = db.session.scalars(db.select(ActivityLog).where(ActivityLog.contact_id == contact.id,
                                                          ActivityLog.action == "Edited")).one()
    assert "Priority: Cold → Hot" in log.detail and log.actor_id == users["agent"].id


def test_invalid_input_comes_back_with_the_error_and_saves_nothing(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Ana", "Ruiz", zip="33602")
    client = login_as(users["agent"])
    response = client.post(f"/contacts/{contact.id}/sections/person", htmx=True,
                           data={"first_name": "", "last_name": "Changed", "zip": "ABC"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This field is required." in html and "Enter a 5-digit zip code." in html
    assert markup.parse(html).attrs("[aria-invalid=true]", "name") == ["first_name", "zip"]
    db.session.refresh(contact)
    assert (contact.first_name, contact.last_name, contact.zip) == ("Ana", "Ruiz", "33602")


def test_editing_without_javascript_posts_and_redirects(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Ana", "Ruiz")
    client = login_as(users["agent"])
    page = client.get(f"/contacts/{contact.id}/sections/person/edit")
    assert "<html" in page.get_data(as_text=True) and markup.parse(page).has("form input[name=first_name]")
    response = client.post(f"/contacts/{contact.id}/sections/person", data={"first_name": "Anna", "last_name": "Ruiz"})
    assert response.status_code == 302 and response.headers["Location"] == f"/contacts/{contact.id}"
    assert db.session.get(Contact, contact.id).first_name == "Anna"


def test_agents_cannot_edit_lead_status_but_the_concierge_can(login_as, users, make_contact):
    contact = make_contact(users["agent"])
    agent = login_as(users["agent"])
    assert agent.get(f"/contacts/{contact.id}/sections/lead_status/edit").status_code == 404
    assert agent.post(f"/contacts/{contact.id}/sections/lead_status", {"lead_status": "Inactive"}).status_code == 404
    concierge = login_as(users["concierge"])
    response = concierge.post(f"/contacts/{contact.id}/sections/lead_status", {"lead_status": "Inactive"})
    assert response.status_code == 302
    assert db.session.get(Contact, contact.id).lead_status == "Inactive"


def test_masked_viewer_cannot_open_the_phone_and_email_editor(login_as, users, make_contact):
    contact = make_contact(users["agent"], phones=["555-888-9999"], emails=["secret@example.com"])
    client = login_as(users["agent"])
    html = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert "XXX" in html and "555-888-9999" not in html and "secret@example.com" not in html
    assert client.get(f"/contacts/{contact.id}/sections/channels/edit").status_code == 404


def add_lead_form(**overrides) -> dict:
    form = {"lead_source": "Broker", "status": "Assigned", "buy_sell_rent": "Buy", "financing": "FHA",
            "name": "Nina Novak", "email": "nina@example.com", "phone": "555-300-4000",
            "mls_number": "T555", "property_id": "P-9", "message": "Call me after 5"}
    form.update(overrides)
    return form


def test_add_lead_creates_a_contact_with_a_manual_entry_lead(login_as, users):
    client = login_as(users["agent"])
    response = client.post("/contacts/new", add_lead_form(lead_assignment=str(users["agent"].id),
                                                          lender_name="First Bank", prequalified="y"))
    assert response.status_code == 302
    contact = db.session.scalars(db.select(Contact).where(Contact.last_name == "Novak")).one()
    assert (contact.owner_id, contact.created_by_id, contact.financing, contact.prequalified,
            contact.lender_name) == (users["agent"].id, users["agent"].id, "FHA", True, "First Bank")
    lead = db.session.scalars(db.select(Lead).where(Lead.contact_id == contact.id)).one()
    assert (lead.inquiry_type, lead.mls_number, lead.property_id, lead.message) == (
        "Manual Entry", "T555", "P-9", "Call me after 5")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lead added: Nina Novak." in page and "nina@example.com" in page


def test_add_lead_with_a_known_email_or_phone_joins_that_contact(login_as, users, make_contact):
    existing = make_contact(users["agent"], "Nina", "Novak", emails=["nina@example.com"], phones=["555-300-4000"],
                            created_by=users["agent"])
    client = login_as(users["agent"])
    by_email = client.post("/contacts/new", add_lead_form(lead_assignment=str(users["agent"].id),
                                                          email="NINA@example.com", phone=""))
    by_phone = client.post("/contacts/new", add_lead_form(lead_assignment=str(users["agent"].id),
                                                          email="", phone="(555) 300 4000"))
    assert by_email.headers["Location"] == by_phone.headers["Location"] == f"/contacts/{existing.id}"
    assert db.session.scalar(db.select(db.func.count()).select_from(Contact)) == 1
    assert db.session.get(Contact, existing.id).lead_count == 3
    page = client.get(f"/contacts/{existing.id}").get_data(as_text=True)
    assert "already exists with this email or phone: the lead was added to that contact." in page


def test_add_lead_does_not_merge_into_a_contact_the_agent_cannot_see(login_as, users, make_contact):
    make_contact(users["agent2"], "Other", "Agent's", emails=["nina@example.com"])
    client = login_as(users["agent"])
    client.post("/contacts/new", add_lead_form(lead_assignment=str(users["agent"].id)))
    assert db.session.scalar(db.select(db.func.count()).select_from(Contact)) == 2


def test_add_lead_shows_errors_beside_fields_and_saves_nothing(login_as, users):
    client = login_as(users["agent"])
    response = client.post("/contacts/new", add_lead_form(lead_assignment=str(users["agent"].id), name="",
                                                          email="not-an-email", phone="12",
                                                          loan_officer_email="x@"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This field is required." in html and "Enter an email address like name@example.com." in html
    assert "Enter a phone number of 7 to 15 digits." in html
    assert db.session.scalar(db.select(db.func.count()).select_from(Contact)) == 0


def test_an_agent_cannot_assign_a_lead_to_someone_else(login_as, users):
    client = login_as(users["agent"])
    response = client.post("/contacts/new", add_lead_form(lead_assignment=str(users["agent2"].id)))
    assert response.status_code == 422
    assert db.session.scalar(db.select(db.func.count()).select_from(Contact)) == 0


TIMELINE = "section[aria-labelledby=timeline-title] "
LOG = "section[aria-labelledby=log-title] "


def _items(page, within: str = "") -> list[str]:
    """The entries of a timeline or log (not its `Loading more…`), as markup."""
    return [item.html for item in page.select(within + "li:not(.muted)")]


def _message(item: str) -> str | None:
    messages = markup.parse(item).texts("blockquote")
    return messages[0] if messages else None


def _more_url(page, within: str = "") -> str | None:
    urls = page.attrs(within + "li.load-more", "hx-get")
    return urls[0] if urls else None


def test_a_long_history_loads_page_by_page_as_the_user_scrolls(login_as, users, make_contact):
    from datetime import datetime, timedelta
    contact = make_contact(users["agent"], "Long", "History", inquiry="Registration")
    start = datetime(2026, 1, 1)
    for number in range(59):  # 60 leads with the first; two share each time, so the id breaks ties
        contact_service.record_lead(contact, "Viewed Page", occurred_at=start + timedelta(hours=number // 2),
                                    message=f"visit {number}")
    for number in range(40):
        db.session.add(ActivityLog(contact_id=contact.id, action="Note", detail=f"entry {number}",
                                   created_at=start + timedelta(minutes=number)))
    db.session.commit()
    client = login_as(users["agent"])

    page = markup.parse(client.get(f"/contacts/{contact.id}"))
    seen, url = _items(page, TIMELINE), _more_url(page, TIMELINE)
    while url:
        assert client.get(url).status_code == 302  # a plain visit to a page's URL gets Contact Details
        fragment = client.get(url, htmx=True)
        assert "<html" not in fragment.get_data(as_text=True)
        seen += _items(markup.parse(fragment))
        url = _more_url(markup.parse(fragment))
    expected = [lead.message for lead in db.session.scalars(db.select(Lead).where(Lead.contact_id == contact.id)
                                                             .order_by(Lead.occurred_at.desc(), Lead.id.desc()))]
    assert len(_items(page, TIMELINE)) == 25 and len(seen) == len(expected) == 60
    assert [_message(item) for item in seen] == expected  # newest first, none twice, none missed

    entries, url = _items(page, LOG), _more_url(page, LOG)
    while url:
        fragment = markup.parse(client.get(url, htmx=True))
        entries += _items(fragment)
        url = _more_url(fragment)
    assert len(_items(page, LOG)) == 25 and len(entries) == db.session.scalar(
        db.select(db.func.count()).where(ActivityLog.contact_id == contact.id))
    assert len(set(entries)) == len(entries)
