"""Defaults that match docs/product.md#roles: hand-off and export are managers' and the broker's unless Settings
grant them; a hand-off stays inside the offices the user acts for; the concierge sets Lead Status
but not Referral Status."""
from crm.extensions import db
from crm.models import Contact
from crm.services import visibility

import markup


def test_agents_may_neither_export_nor_hand_off_by_default(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Kept", "Home")
    agent = login_as(users["agent"])
    assert agent.get("/contacts/export.csv?column=name").status_code == 403
    assert agent.post(f"/contacts/{contact.id}/manage/hand_off", {"agent_id": users["agent2"].id},
                      htmx=True).status_code == 403
    assert "Dl CSV" not in markup.parse(agent.get("/contacts")).texts("a")
    assert login_as(users["manager"]).get("/contacts/export.csv?column=name").status_code == 200


def test_a_manager_hands_off_only_inside_their_office(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Stays", "Inside")
    manager = login_as(users["manager"])
    refused = manager.post(f"/contacts/{contact.id}/manage/hand_off", {"agent_id": users["west_agent"].id}, htmx=True)
    assert refused.status_code == 422 and "works in another office" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).owner_id == users["agent"].id
    assert users["west_agent"] not in visibility.assignable_agents(users["manager"])
    assert users["west_agent"] in visibility.assignable_agents(users["broker"])
    assert manager.post(f"/contacts/{contact.id}/manage/hand_off", {"agent_id": users["agent2"].id},
                        htmx=True).status_code == 200


def test_the_concierge_sets_lead_status_but_not_referral_status(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Status", "Quo")
    concierge = login_as(users["concierge"])
    refused = concierge.post(f"/referrals/{contact.id}", {"referral_status": "Closed", "note": ""})
    assert refused.status_code == 422 and "not Referral Status" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).referral_status == "New"
    saved = concierge.post(f"/contacts/{contact.id}/sections/lead_status", {"lead_status": "Inactive"}, htmx=True)
    assert saved.status_code == 200
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).lead_status == "Inactive"


def test_add_lead_and_manage_actions_offer_the_same_agents(login_as, users):
    """One rule for who a user may give a contact to: Add Lead's `Lead Assignment` and the agents
    of Hand Off and Share (the agent's own Add Lead keeps the lead)."""
    names = {role: [agent.name for agent in visibility.assignable_agents(users[role])] for role in users}
    assert names["manager"] == names["agent"] == ["Alex Agent", "Avery Agent"]
    assert names["broker"] == names["concierge"] == ["Alex Agent", "Avery Agent", "Wes West"]
    assert names["west_manager"] == ["Wes West"]
    for role in ("manager", "concierge", "broker"):
        page = login_as(users[role]).get("/contacts/new").get_data(as_text=True)
        assert ("Wes West" in page) is ("Wes West" in names[role]) and "Avery Agent" in page
    agent_page = login_as(users["agent"]).get("/contacts/new").get_data(as_text=True)
    assert "Alex Agent" in agent_page and "Avery Agent" not in agent_page
    owners = {role: [name for _id, name in visibility.owner_choices(users[role])] for role in users}
    assert owners["manager"] == names["manager"] and owners["concierge"] == names["concierge"]
    assert owners["agent"] == []
