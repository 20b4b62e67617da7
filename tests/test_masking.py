"""Contact masking (docs/product.md#masking): each condition of the rule, the same answer in Python and in SQL,
and a masked phone or email in no response to that agent: HTML (attributes included), htmx
fragments, JSON, emails, keyword search and Add Lead's duplicate check."""
import re
from datetime import timedelta

import pytest

from crm import clock, worker
from crm.extensions import db
from crm.models import Contact, ContactEmail, ContactPhone, OutboxMessage
from crm.services import contacts as contact_service
from crm.services import masking, offers

from referral_helpers import convert, give_territory

PHONE, EMAIL, ZIP = "(813) 555-0142", "zq.private77@example.com", "33602"
PHONE_FORMS = ("(813) 555-0142", "813-555-0142", "8135550142", "555-0142", "5550142")


def _leaks(text: str) -> list[str]:
    """Any trace of the masked phone or email, however written."""
    found = [form for form in PHONE_FORMS if form in text]
    digits_only = re.sub(r"\D", "", text)
    if "8135550142" in digits_only:
        found.append("digits")
    lowered = text.lower()
    found += [part for part in (EMAIL, "zq.private77", "zq%2eprivate77", "zq&#46;private77") if part in lowered]
    return found


@pytest.fixture
def ana(make_contact, users):
    """A raw lead of agent's, not added by them, in a zip they do not sponsor: masked for them."""
    contact = make_contact(users["agent"], "Ana", "Secret", emails=[EMAIL], phones=[PHONE], zip=ZIP,
                           street="12 Oak St", city="Tampa", inquiry="Seller Inquiry")
    contact_service.record_lead(contact, "Property Inquiry",
                                message=f"Call me at {PHONE} or write to {EMAIL.upper()}")
    db.session.commit()
    return contact


def _sees(viewer, contact) -> tuple[bool, bool]:
    """(Python rule, SQL rule) for the viewer: they must always agree."""
    db.session.expire_all()
    in_sql = db.session.scalar(db.select(masking.unmasked_condition(viewer)).where(Contact.id == contact.id))
    return masking.can_see_contact_info(viewer, contact), bool(in_sql)


def test_an_agent_sees_a_raw_lead_masked(users, ana):
    assert _sees(users["agent"], ana) == (False, False)
    assert masking.phones_for(users["agent"], ana) == ["XXX"] and masking.emails_for(users["agent"], ana) == ["XXX"]


def test_an_agent_sees_contacts_they_added_themselves(users, make_contact):
    added = make_contact(users["agent"], emails=[EMAIL], created_by=users["agent"], zip=ZIP)
    by_someone_else = make_contact(users["agent"], emails=[EMAIL], created_by=users["manager"], zip=ZIP)
    assert _sees(users["agent"], added) == (True, True)
    assert _sees(users["agent"], by_someone_else) == (False, False)


def test_guaranteed_display_participants_see_everything_of_theirs(users, ana):
    give_territory(users["agent"], guaranteed_display=True)
    assert _sees(users["agent"], ana) == (True, True)


def test_sponsors_of_the_zip_see_it_and_only_that_zip(users, ana, make_contact):
    give_territory(users["agent"], sponsors=["33611"])
    assert _sees(users["agent"], ana) == (False, False)
    give_territory(users["agent"], sponsors=[ZIP])
    assert _sees(users["agent"], ana) == (True, True)
    plus_four = make_contact(users["agent"], phones=[PHONE], zip=f"{ZIP}-1234")
    assert _sees(users["agent"], plus_four) == (True, True)


def test_a_sponsorship_of_another_agent_unlocks_nothing_for_this_one(users, ana):
    give_territory(users["agent2"], sponsors=[ZIP], guaranteed_display=True)
    assert _sees(users["agent"], ana) == (False, False)


def test_a_lead_the_concierge_converted_is_unmasked_for_whoever_claims_it(login_as, users, ana):
    give_territory(users["agent2"], serves=[ZIP])
    offer = convert(ana, users["concierge"])
    assert login_as(users["agent2"]).post(f"/offers/{offer.id}/claim").status_code == 302
    db.session.expire_all()
    assert _sees(users["agent2"], db.session.get(Contact, ana.id)) == (True, True)


def test_the_agents_own_move_into_an_appointment_status_unlocks_nothing(login_as, users, ana):
    client = login_as(users["agent"])
    for status in ("In Progress", "Appointment Set", "Met With Client", "Closed"):
        response = client.post(f"/referrals/{ana.id}", {"referral_status": status, "note": ""}, htmx=True)
        assert response.status_code == 200 and not _leaks(response.get_data(as_text=True))
        assert _sees(users["agent"], ana) == (False, False)
    assert db.session.get(Contact, ana.id).lead_type == "Active"


@pytest.mark.parametrize("role", ["concierge", "manager", "broker"])
def test_staff_see_every_phone_and_email(login_as, users, ana, role):
    assert _sees(users[role], ana) == (True, True)
    page = login_as(users[role]).get(f"/referrals/{ana.id}").get_data(as_text=True)
    assert PHONE in page and EMAIL in page


def _agent_surfaces(contact_id: int) -> list[tuple[str, dict]]:
    """Every page that shows the contact to its agent (a keyword search echoes what was typed, so
    searches by phone or email are checked by their results, below)."""
    return [(url, {}) for url in [
        "/contacts", "/contacts?keyword=Ana", f"/contacts/{contact_id}", f"/contacts/{contact_id}/sections/channels",
        f"/contacts/{contact_id}/sections/person/edit", "/referrals", "/referrals?tab=active-appointments",
        f"/referrals/{contact_id}"]] + [
        (f"/referrals/{contact_id}", {"htmx": True}), ("/referrals?tab=active-leads", {"htmx": True}),
        ("/contacts?keyword=Ana", {"htmx": True}),
        (f"/referrals/{contact_id}", {"headers": {"Accept": "application/json"}}),
        ("/referrals", {"headers": {"Accept": "application/json"}}),
    ]


def test_a_masked_phone_or_email_is_in_no_response_to_the_agent(login_as, users, ana):
    client = login_as(users["agent"])
    for url, options in _agent_surfaces(ana.id):
        response = client.get(url, **options)
        assert response.status_code in (200, 404), url
        assert _leaks(response.get_data(as_text=True)) == [], (url, options)
    detail = client.get(f"/contacts/{ana.id}").get_data(as_text=True)
    assert "XXX" in detail and "Call me at XXX or write to XXX" in detail
    assert client.get(f"/contacts/{ana.id}/sections/channels/edit").status_code == 404
    as_json = client.get(f"/referrals/{ana.id}", headers={"Accept": "application/json"}).get_json()
    assert (as_json["phones"], as_json["emails"], as_json["contactInfoMasked"]) == (["XXX"], ["XXX"], True)


def test_the_same_pages_show_the_values_once_unmasked(login_as, users, ana):
    give_territory(users["agent"], sponsors=[ZIP])
    client = login_as(users["agent"])
    assert "(813) 555-0142" in client.get(f"/contacts/{ana.id}").get_data(as_text=True)
    as_json = client.get(f"/referrals/{ana.id}", headers={"Accept": "application/json"}).get_json()
    assert (as_json["phones"], as_json["emails"]) == ([PHONE], [EMAIL])


@pytest.mark.parametrize("keyword", ["8135550142", "813-555-0142", "(813) 555-0142", "813555", EMAIL,
                                     "zq.private"])
def test_a_keyword_equal_to_the_masked_phone_or_email_finds_nothing(login_as, users, ana, keyword):
    found_by_agent = login_as(users["agent"]).get("/contacts", query_string={"keyword": keyword})
    assert "0 leads" in found_by_agent.get_data(as_text=True)
    found_by_broker = login_as(users["broker"]).get("/contacts", query_string={"keyword": keyword})
    assert "2 leads" in found_by_broker.get_data(as_text=True)  # both of her leads


def test_add_lead_with_a_masked_phone_does_not_reveal_the_existing_contact(login_as, users, ana):
    leads_before = ana.lead_count
    client = login_as(users["agent"])
    response = client.post("/contacts/new", {
        "lead_source": "Agent", "lead_assignment": users["agent"].id, "status": "Assigned",
        "buy_sell_rent": "", "financing": "", "name": "Someone Else", "phone": "813-555-0142"})
    assert response.status_code == 302 and response.headers["Location"] != f"/contacts/{ana.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lead added: Someone Else." in page and "already exists" not in page and "Ana Secret" not in page
    assert db.session.scalar(db.select(db.func.count(Contact.id))) == 2
    assert db.session.get(Contact, ana.id).lead_count == leads_before


def test_emails_and_texts_never_carry_a_masked_phone_or_email(users, ana, make_contact):
    give_territory(users["agent2"], serves=[ZIP])
    users["agent2"].phone = "727-555-0100"
    db.session.commit()
    offers.convert_to_appointment(ana, users["concierge"], clock.now() + timedelta(days=1),
                                  f"Reached her at {PHONE}, email {EMAIL}")
    db.session.commit()
    masked_referral = make_contact(users["agent"], "Bo", "Masked", emails=["bo.hidden@example.com"],
                                   phones=["727-555-0199"], zip="33611")
    with clock.frozen_at(clock.now() + timedelta(days=8)):
        worker.run_once()

    messages = list(db.session.scalars(db.select(OutboxMessage)))
    assert {m.kind for m in messages} >= {"offer", "update_request"}
    for message in messages:
        text = f"{message.subject}\n{message.body_text}\n{message.body_html or ''}"
        assert _leaks(text) == [] and "bo.hidden" not in text and "0199" not in text, message.kind
    update_request = next(m for m in messages if m.kind == "update_request")
    assert "Bo Masked" in update_request.body_text and f"/referrals/{masked_referral.id}" in update_request.body_text


def test_free_text_is_redacted_for_masked_viewers():
    contact = Contact(first_name="Ana", phones=[ContactPhone(value="813 555 0142", digits="8135550142")],
                      emails=[ContactEmail(value="ana@example.com")])
    text = ("Call 813.555.0142, +1 (813) 555-0142 or 813 555 0142; cell 727-555-0100; "
            "mail ANA@example.com or ana.work@corp.example; see it 2030-03-02 for $450000, MLS T123456")
    redacted = masking.redact_contact_info(contact, text)
    assert redacted == ("Call XXX, XXX or XXX; cell XXX; mail XXX or XXX; see it 2030-03-02 for $450000, "
                        "MLS T123456")
    assert masking.redact_patterns("Reach me: 727 555 0100, bo@x.example") == "Reach me: XXX, XXX"
