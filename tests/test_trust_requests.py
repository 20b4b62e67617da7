"""Requests follow their contact's visibility (docs/product.md#trust): after a hand-off to another office the old
office's manager can no longer decide the request, the new office's manager can, and the log says so."""
from crm.extensions import db
from crm.models import ActivityLog, Contact, ManageRequest
from crm.services import manage, requests


def test_a_handed_off_contacts_request_moves_to_the_new_office(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Handed", "Over")
    pending = requests.create(contact, users["agent"], "Delete", "duplicate")
    db.session.commit()
    manage.perform(users["broker"], "hand_off", contact, users["west_agent"].id)
    db.session.commit()

    old_manager = login_as(users["manager"])
    assert old_manager.post(f"/requests/{pending.id}/approve").status_code == 404
    assert "Handed Over" not in old_manager.get("/requests").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ManageRequest, pending.id).status == "Pending"
    assert db.session.get(Contact, contact.id).deleted_at is None

    new_manager = login_as(users["west_manager"])
    assert "Handed Over" in new_manager.get("/requests").get_data(as_text=True)
    assert new_manager.post(f"/requests/{pending.id}/decline").status_code in (200, 302)
    db.session.expire_all()
    assert db.session.get(ManageRequest, pending.id).status == "Declined"
    actions = db.session.scalars(db.select(ActivityLog.action).where(ActivityLog.contact_id == contact.id))
    assert "Delete request re-filed" in list(actions)


def test_a_request_decided_by_its_contacts_office_not_where_it_was_made(users, make_contact):
    contact = make_contact(users["agent"], "Moved", "Quietly")
    pending = requests.create(contact, users["agent"], "Archive")
    db.session.commit()
    contact.office_id = users["west_agent"].office_id  # moved without the hand-off service
    db.session.commit()
    assert requests.get_for_decider(users["manager"], pending.id) is None
    assert requests.get_for_decider(users["west_manager"], pending.id) is not None
    assert requests.get_for_decider(users["broker"], pending.id) is not None
