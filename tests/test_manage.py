"""Manage actions (docs/product.md#manage-actions) on Contact Details and in bulk on Leads, following Settings; the
trash."""
from datetime import datetime, timedelta

import pytest

from crm import clock
from crm.extensions import db
from crm.models import (
    ActionPlan,
    ActionPlanTask,
    ActivityLog,
    AppointmentOffer,
    Contact,
    ContactShare,
    Lead,
    ManageRequest,
    OutboxMessage,
    ServiceZip,
)
from crm.services import manage, settings
from crm.worker import run_once

import markup

NOW = datetime(2026, 3, 2, 9, 0)


def _fresh(contact) -> Contact:
    db.session.expire_all()
    return db.session.get(Contact, contact.id)


def _count(model, *conditions) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model).where(*conditions))


def _state(contact) -> tuple:
    """Everything a manage action can change, to show a refusal changed nothing."""
    c = _fresh(contact)
    return (c.owner_id, c.deleted_at, c.archived_at, c.is_client, c.contact_status, c.plan_started_at,
            _count(AppointmentOffer), _count(ContactShare), _count(ManageRequest), _count(OutboxMessage),
            _count(ActivityLog, ActivityLog.contact_id == contact.id))


def _set_roles(key: str, roles: list[str]) -> None:
    settings.put(key, roles)
    db.session.commit()


@pytest.fixture
def plan_in_use():
    plan = ActionPlan(name="Follow-up", tasks=[ActionPlanTask(kind="Call", title="First call", due_days=1, position=0)])
    db.session.add(plan)
    db.session.commit()
    settings.put("plan_in_use_id", plan.id)
    db.session.commit()
    return plan


EFFECTS = {
    "delete": lambda c, users: c.deleted_at is not None,
    "archive": lambda c, users: c.archived_at is not None,
    "convert": lambda c, users: c.is_client,
    "hand_off": lambda c, users: c.owner_id == users["agent2"].id and _count(OutboxMessage) == 1,
    "reset_plan": lambda c, users: c.plan_started_at == NOW + timedelta(days=3),
    "rebroadcast": lambda c, users: _count(AppointmentOffer, AppointmentOffer.mode == "rebroadcast") == 1,
    "share": lambda c, users: c.contact_status == "Shared" and _count(ContactShare) == 1,
}


def _buttons(response) -> list[str]:
    return markup.parse(response).texts("button")


def _bulk_choices(page) -> dict[str, str]:
    """The `With selected` choices of Leads: value → label."""
    options = page.select("#bulk-form select[name=action] option")
    return {option.attributes["value"]: option.text() for option in options}


@pytest.mark.parametrize("key", list(manage.ACTIONS))
def test_each_action_is_refused_or_allowed_by_the_roles_in_settings(login_as, users, make_contact, plan_in_use, key):
    action = manage.ACTIONS[key]
    db.session.add(ServiceZip(user_id=users["agent2"].id, zip="33602"))
    db.session.commit()
    with clock.frozen_at(NOW):
        contact = make_contact(users["agent"], "Set", "Tings", zip="33602")
    manager = login_as(users["manager"])
    form = {"agent_id": users["agent2"].id} if action.needs_agent else {}

    _set_roles(action.setting, ["broker"])
    assert action.label not in _buttons(manager.get(f"/contacts/{contact.id}"))
    before = _state(contact)
    with clock.frozen_at(NOW + timedelta(days=3)):
        refused = manager.post(f"/contacts/{contact.id}/manage/{key}", form, htmx=True)
    assert refused.status_code == 403
    assert _state(contact) == before

    _set_roles(action.setting, ["manager"])
    assert action.label in _buttons(manager.get(f"/contacts/{contact.id}"))
    with clock.frozen_at(NOW + timedelta(days=3)):
        done = manager.post(f"/contacts/{contact.id}/manage/{key}", form, htmx=True)
    assert done.status_code == 200 and "HX-Redirect" in done.headers
    assert EFFECTS[key](_fresh(contact), users)
    logged = db.session.scalars(db.select(ActivityLog).where(ActivityLog.contact_id == contact.id,
                                                             ActivityLog.actor_id == users["manager"].id))
    assert any(entry.action in (action.label, "Deleted", "Archived", "Converted", "Shared") for entry in logged)


def test_agent_delete_is_direct_when_settings_allow_agents(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Self", "Service")
    _set_roles("roles_may_delete", ["agent", "manager", "broker"])
    response = login_as(users["agent"]).post(f"/contacts/{contact.id}/manage/delete", htmx=True)
    assert response.headers["HX-Redirect"] == "/contacts"
    assert _fresh(contact).deleted_at is not None
    assert _count(ManageRequest, ManageRequest.status == "Pending") == 0


def test_agents_manage_only_their_own_contacts_and_concierge_gets_nothing_by_default(login_as, users, make_contact):
    contact = make_contact(users["agent2"], "Shared", "Withme")
    db.session.add(ContactShare(contact_id=contact.id, user_id=users["agent"].id))
    db.session.commit()
    agent = login_as(users["agent"])
    assert {"Convert", "Delete"}.isdisjoint(_buttons(agent.get(f"/contacts/{contact.id}")))
    before = _state(contact)
    for key in ("convert", "delete", "archive"):
        assert agent.post(f"/contacts/{contact.id}/manage/{key}", htmx=True).status_code == 403
    concierge = login_as(users["concierge"])
    assert concierge.post(f"/contacts/{contact.id}/manage/convert", htmx=True).status_code == 403
    assert concierge.post(f"/contacts/{contact.id}/manage/explode", htmx=True).status_code == 403
    assert login_as(users["west_agent"]).post(f"/contacts/{contact.id}/manage/convert").status_code == 404
    assert _state(contact) == before


def test_hand_off_emails_the_new_agent_without_contact_info(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Hanna", "Handoff", emails=["hanna@example.com"], phones=["555-404-1234"])
    broker = login_as(users["broker"])  # the broker acts for every office
    response = broker.post(f"/contacts/{contact.id}/manage/hand_off", {"agent_id": users["west_agent"].id}, htmx=True)
    assert response.status_code == 200
    fresh = _fresh(contact)
    assert fresh.owner_id == users["west_agent"].id and fresh.office_id == users["west_agent"].office_id
    email = db.session.scalar(db.select(OutboxMessage))
    assert (email.recipient, email.kind, email.status) == ("west@demo.test", "handoff", "queued")
    assert "Hanna Handoff" in email.subject and f"http://crm.test/contacts/{contact.id}" in email.body_text
    assert "hanna@example.com" not in email.body_text and "555-404" not in email.body_text
    assert login_as(users["west_agent"]).get(f"/contacts/{contact.id}").status_code == 200
    assert login_as(users["agent"]).get(f"/contacts/{contact.id}").status_code == 404
    log = db.session.scalar(db.select(ActivityLog).where(ActivityLog.action == "Hand Off"))
    assert log.detail == "From Alex Agent to Wes West" and log.actor_id == users["broker"].id


@pytest.mark.parametrize("target, message", [
    ("inactive", "is not active any more: choose an active agent."),
    ("self", "You cannot hand a lead off to yourself: choose another agent."),
    ("owner", "owns this lead already: choose another agent."),
    ("manager", "Choose an agent of the brokerage."),
    ("nobody", "Choose an agent of the brokerage."),
])
def test_hand_off_to_a_wrong_agent_is_refused_and_changes_nothing(login_as, users, make_user, make_contact,
                                                                  target, message):
    settings.put("roles_may_hand_off", ["agent", "manager", "broker"])  # granted in Settings (default: managers)
    contact = make_contact(users["agent"], "Stay", "Put")
    targets = {"inactive": make_user("gone@demo.test", is_active_user=False).id, "self": users["agent"].id,
               "owner": users["agent"].id, "manager": users["manager"].id, "nobody": ""}
    actor = users["manager"] if target == "owner" else users["agent"]
    before = _state(contact)
    response = login_as(actor).post(f"/contacts/{contact.id}/manage/hand_off", {"agent_id": targets[target]},
                                    htmx=True)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _state(contact) == before


def test_sharing_makes_the_contact_shared_and_stopping_takes_it_back(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Sam", "Share")
    agent, other = login_as(users["agent"]), login_as(users["agent2"])
    assert other.get(f"/contacts/{contact.id}").status_code == 404
    agent.post(f"/contacts/{contact.id}/manage/share", {"agent_id": users["agent2"].id}, htmx=True)
    assert _fresh(contact).contact_status == "Shared"
    assert "Sam Share" in other.get("/contacts").get_data(as_text=True)
    again = agent.post(f"/contacts/{contact.id}/manage/share", {"agent_id": users["agent2"].id}, htmx=True)
    assert again.status_code == 422 and "is shared with Avery Agent already" in again.get_data(as_text=True)

    assert other.post(f"/contacts/{contact.id}/shares/{users['agent2'].id}/delete", htmx=True).status_code == 403
    stopped = agent.post(f"/contacts/{contact.id}/shares/{users['agent2'].id}/delete", htmx=True)
    assert stopped.status_code == 200
    assert _fresh(contact).contact_status == "Assigned"
    assert other.get(f"/contacts/{contact.id}").status_code == 404


def test_convert_twice_says_it_is_a_client_already(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Cora", "Client")
    agent = login_as(users["agent"])
    agent.post(f"/contacts/{contact.id}/manage/convert", htmx=True)
    again = agent.post(f"/contacts/{contact.id}/manage/convert", htmx=True)
    assert again.status_code == 422 and "Cora Client is a client already." in again.get_data(as_text=True)
    assert "Client" in markup.parse(agent.get(f"/contacts/{contact.id}")).texts("span.badge")


def test_rebroadcast_without_a_zip_code_is_refused_with_a_message(login_as, users, make_contact):
    contact = make_contact(users["agent"], "No", "Zip")
    response = login_as(users["manager"]).post(f"/contacts/{contact.id}/manage/rebroadcast", htmx=True)
    assert response.status_code == 422 and "no zip code" in response.get_data(as_text=True)
    assert _count(AppointmentOffer) == 0


def test_leads_rows_have_checkboxes_and_the_bulk_actions_of_the_role(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Box", "Row")
    agent_page = markup.parse(login_as(users["agent"]).get("/contacts"))
    assert agent_page.attrs(f"input[name=contact_ids][value='{contact.id}']", "form") == ["bulk-form"]
    assert agent_page.attrs("#bulk-form select[name=action] option[selected]", "value") == [""]  # no default action
    agent_choices = _bulk_choices(agent_page)
    assert agent_choices[""] == "Choose an action"
    assert (agent_choices["delete"], agent_choices["archive"]) == ("Request delete", "Request archive")
    assert "reset_plan" not in agent_choices
    manager_choices = _bulk_choices(markup.parse(login_as(users["manager"]).get("/contacts")))
    assert (manager_choices["delete"], manager_choices["reset_plan"]) == ("Delete", "Reset Action Plan")


def test_bulk_archive_by_an_agent_sends_requests_only_for_own_contacts(login_as, users, make_contact):
    mine = [make_contact(users["agent"], "Mine", str(n)) for n in range(2)]
    foreign = make_contact(users["agent2"], "Not", "Mine")
    agent = login_as(users["agent"])
    response = agent.post("/contacts/bulk", {"action": "archive", "contact_ids": [c.id for c in mine] + [foreign.id],
                                              "next": "/contacts?priority=Hot", "confirmed": "1"})
    assert response.status_code == 302 and response.headers["Location"] == "/contacts?priority=Hot"
    assert _count(ManageRequest, ManageRequest.status == "Pending") == 2
    assert _count(ManageRequest, ManageRequest.contact_id == foreign.id) == 0
    assert "Archive: 2 requests sent to your manager." in agent.get("/contacts").get_data(as_text=True)


def test_bulk_hand_off_asks_for_the_agent_then_hands_off_every_selected_row(login_as, users, make_contact):
    chosen = [make_contact(users["agent"], "Bulk", str(n)) for n in range(3)]
    manager = login_as(users["manager"])
    ids = [c.id for c in chosen]
    picker = manager.post("/contacts/bulk", {"action": "hand_off", "contact_ids": ids}, htmx=True,
                          headers={"HX-Current-URL": "http://crm.test/contacts?owner=4"})
    assert picker.status_code == 200
    html = picker.get_data(as_text=True)
    assert "Hand Off: 3 selected contacts" in html and markup.parse(html).text("label[for=bulk-agent]") == "Hand Off to"
    bad = manager.post("/contacts/bulk", {"action": "hand_off", "contact_ids": ids, "agent_id": users["manager"].id,
                                          "confirmed": "1"}, htmx=True)
    assert bad.status_code == 422 and "Choose an agent of the brokerage." in bad.get_data(as_text=True)
    done = manager.post("/contacts/bulk", {"action": "hand_off", "contact_ids": ids, "agent_id": users["agent2"].id,
                                           "confirmed": "1"}, htmx=True, headers={"HX-Current-URL": "http://crm.test/contacts?owner=4"})
    assert done.status_code == 200 and done.headers["HX-Redirect"] == "/contacts?owner=4"
    assert {_fresh(c).owner_id for c in chosen} == {users["agent2"].id}
    assert _count(OutboxMessage, OutboxMessage.kind == "handoff") == 3


def test_bulk_refusals(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Bulk", "Refused")
    agent = login_as(users["agent"])
    assert agent.post("/contacts/bulk", {"action": "reset_plan", "contact_ids": [contact.id]}).status_code == 403
    assert agent.post("/contacts/bulk", {"action": "nope", "contact_ids": [contact.id]}).status_code == 403
    empty = agent.post("/contacts/bulk", {"action": "archive"}, htmx=True)
    assert empty.status_code == 422 and "Select at least one contact" in empty.get_data(as_text=True)
    assert _count(ManageRequest) == 0


def test_restoring_is_refused_after_30_days_and_the_worker_purges_old_trash(login_as, users, make_contact):
    old = make_contact(users["agent"], "Old", "Trash")
    old_id = old.id
    recent = make_contact(users["agent"], "Recent", "Trash")
    broker = login_as(users["broker"])
    with clock.frozen_at(NOW):
        broker.post(f"/contacts/{old.id}/manage/delete", htmx=True)
    with clock.frozen_at(NOW + timedelta(days=2)):
        broker.post(f"/contacts/{recent.id}/manage/delete", htmx=True)
    with clock.frozen_at(NOW + timedelta(days=31)):
        refused = broker.post(f"/settings/trash/{old.id}/restore")
        assert refused.status_code == 422
        assert "was deleted more than 30 days ago and can no longer be restored" in refused.get_data(as_text=True)
        assert "Recent Trash" in broker.get("/settings/trash").get_data(as_text=True)
        assert run_once()["purge_expired"] == 1
    db.session.expire_all()
    assert db.session.get(Contact, old_id) is None
    assert _count(Lead, Lead.contact_id == old_id) == 0
    assert _fresh(recent).deleted_at is not None
    assert login_as(users["manager"]).get("/settings/trash").status_code == 403


def test_the_broker_sets_which_roles_may_do_what(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Perm", "Ission")
    broker = login_as(users["broker"])
    boxes = markup.parse(broker.get("/settings/permissions")).attrs("input[type=checkbox]", "aria-label")
    assert {"Delete: manager", "Dl CSV (export): agent"} <= set(boxes)
    form = {"roles_may_delete": ["agent", "broker"], "roles_may_export": ["broker"]}
    bad = broker.post("/settings/permissions", {**form, "roles_may_archive": ["superuser"]})
    assert bad.status_code == 422 and "Unknown role: superuser." in bad.get_data(as_text=True)
    assert settings.get("roles_may_delete") == ["manager", "broker"]

    assert broker.post("/settings/permissions", form).status_code == 302
    db.session.expire_all()
    assert settings.get("roles_may_delete") == ["agent", "broker"]
    assert settings.get("roles_may_archive") == [] and settings.get("roles_may_export") == ["broker"]
    agent = login_as(users["agent"])
    assert _bulk_choices(markup.parse(agent.get("/contacts")))["delete"] == "Delete"
    assert agent.post(f"/contacts/{contact.id}/manage/delete", htmx=True).status_code == 200
    assert _fresh(contact).deleted_at is not None
    assert login_as(users["manager"]).post("/contacts/bulk", {"action": "delete"}).status_code == 403
