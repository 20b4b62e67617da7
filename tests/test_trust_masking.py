"""Masking by the zip the lead arrived with (docs/product.md#masking): no edit of the address unmasks a contact."""
from crm.extensions import db
from crm.models import Contact
from crm.services import api_keys, masking
from crm.services import contacts as contact_service

from events_support import EventsApi, event
from referral_helpers import give_territory

PHONE, EMAIL = "(813) 555-0177", "zip.probe@example.com"


def _sees(viewer, contact) -> tuple[bool, bool]:
    db.session.expire_all()
    in_sql = db.session.scalar(db.select(masking.unmasked_condition(viewer)).where(Contact.id == contact.id))
    return masking.can_see_contact_info(viewer, contact), bool(in_sql)


def test_editing_the_zip_to_a_sponsored_one_does_not_unmask(login_as, users, make_contact):
    give_territory(users["agent"], sponsors=["33602"])
    contact = make_contact(users["agent"], emails=[EMAIL], phones=[PHONE], zip="33611")
    client = login_as(users["agent"])
    saved = client.post(f"/contacts/{contact.id}/sections/person", htmx=True,
                        data={"first_name": "Ana", "last_name": "Ruiz", "zip": "33602"})
    assert saved.status_code == 200
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).zip == "33602"
    assert _sees(users["agent"], contact) == (False, False)
    page = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert EMAIL not in page and "555-0177" not in page


def test_editing_the_zip_away_from_a_sponsored_one_keeps_it_visible(users, make_contact):
    give_territory(users["agent"], sponsors=["33602"])
    contact = make_contact(users["agent"], emails=[EMAIL], zip="33602")
    contact.zip = "33611"
    db.session.commit()
    assert _sees(users["agent"], contact) == (True, True)


def test_an_event_keeps_the_property_zip_it_arrived_with(app, users):
    give_territory(users["agent"], sponsors=["33629"])
    api = EventsApi(app, api_keys.create_key("site")[1])
    db.session.commit()
    answer = api.post(event(person={"emails": [{"value": EMAIL}]}, property={"street": "1 Bay St", "code": "33629"}))
    contact = db.session.get(Contact, answer.get_json()["id"])
    assert contact.arrival_zip == "33629"
    assert _sees(users["agent"], contact) == (True, True)


def test_created_contacts_remember_their_zip_on_every_path(users):
    made = contact_service.create_contact(None, first_name="Lee", zip="33606")
    db.session.add(Contact(first_name="Bulk", zip="33607", search_text=""))
    db.session.commit()
    bulk = db.session.scalar(db.select(Contact).where(Contact.first_name == "Bulk"))
    assert (made.arrival_zip, bulk.arrival_zip) == ("33606", "33607")
