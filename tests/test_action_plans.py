"""Action plans (docs/product.md#action-plans) with a test clock: building, starting, ticking, status, completion,
Ignored."""
from datetime import datetime, timedelta

import pytest

from crm import clock
from crm.extensions import db
from crm.models import ActionPlan, Contact, ContactTask
from crm.services import action_plans, settings

import markup

START = datetime(2026, 3, 2, 9, 0)
MIDNIGHT = datetime(2026, 3, 3)  # the end of START's day: a day-0 task is late after it


@pytest.fixture
def broker(login_as, users):
    return login_as(users["broker"])


@pytest.fixture
def follow_up(broker, users):
    """A plan built through Settings, in use, with completed plans going to agent2."""
    created = broker.post("/settings/action-plans", {"name": "New Lead Follow-Up"})
    plan_id = int(created.headers["Location"].rsplit("/", 1)[1])
    for kind, title, days in (("Call", "Intro call", 0), ("Meeting", "Coffee", 5), ("Email", "Send listings", 2)):
        assert broker.post(f"/settings/action-plans/{plan_id}/tasks",
                           {"kind": kind, "title": title, "due_days": days}).status_code == 302
    saved = broker.post("/settings/action-plans/settings", {
        "plan_in_use_id": plan_id, "days_allowed_ignored": 3, "completed_plans_to_id": users["agent2"].id})
    assert saved.status_code == 302
    return db.session.get(ActionPlan, plan_id)


def _add_lead(client, owner, name="Pat Plan") -> Contact:
    response = client.post("/contacts/new", {"lead_source": "Broker", "lead_assignment": owner.id, "name": name,
                                             "status": "Assigned", "buy_sell_rent": "", "financing": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.get(Contact, int(response.headers["Location"].rsplit("/", 1)[1]))


def _status(contact) -> str | None:
    db.session.expire_all()
    return action_plans.plan_status(db.session.get(Contact, contact.id), clock.now())


def _tasks(contact) -> list[ContactTask]:
    db.session.expire_all()
    return action_plans.tasks_of(db.session.get(Contact, contact.id))


def test_the_broker_builds_a_plan_with_ordered_tasks(broker, follow_up):
    assert [(t.due_days, t.kind, t.title) for t in follow_up.tasks] == [
        (0, "Call", "Intro call"), (2, "Email", "Send listings"), (5, "Meeting", "Coffee")]
    page = broker.get("/settings/action-plans").get_data(as_text=True)
    assert "New Lead Follow-Up" in page and "In use" in page


@pytest.mark.parametrize("form, message", [
    ({"kind": "Call", "title": "Too early", "due_days": -1}, "Due days cannot be negative"),
    ({"kind": "Call", "title": "No day", "due_days": ""}, "Enter the day the task is due"),
    ({"kind": "Fax", "title": "Old school", "due_days": 1}, "Not a valid choice"),
    ({"kind": "Call", "title": "", "due_days": 1}, "Describe the task."),
])
def test_a_bad_task_is_refused_next_to_its_field(broker, follow_up, form, message):
    response = broker.post(f"/settings/action-plans/{follow_up.id}/tasks", form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert len(db.session.get(ActionPlan, follow_up.id).tasks) == 3


def test_plan_settings_are_validated(broker, follow_up):
    for days in ("0", "abc", "400"):
        response = broker.post("/settings/action-plans/settings", {"plan_in_use_id": follow_up.id,
                                                                   "days_allowed_ignored": days})
        assert response.status_code == 422
        assert "number of days" in response.get_data(as_text=True).lower()
    assert settings.get("days_allowed_ignored") == 3
    duplicate = broker.post("/settings/action-plans", {"name": "new lead follow-up"})
    assert duplicate.status_code == 422 and "exists already" in duplicate.get_data(as_text=True)
    in_use = broker.post(f"/settings/action-plans/{follow_up.id}/delete")
    assert in_use.status_code == 422 and "This plan is in use" in in_use.get_data(as_text=True)


def test_settings_pages_are_for_the_broker(login_as, users):
    manager = login_as(users["manager"])
    for url in ("/settings/action-plans", "/settings/permissions", "/settings/trash"):
        assert manager.get(url).status_code == 403


def test_status_moves_on_time_late_on_time_completed_with_the_clock(login_as, users, follow_up):
    agent = login_as(users["agent"])
    with clock.frozen_at(START):
        contact = _add_lead(agent, users["agent"])
        assert [t.due_at for t in _tasks(contact)] == [MIDNIGHT, MIDNIGHT + timedelta(days=2),
                                                       MIDNIGHT + timedelta(days=5)]
        clock.advance(timedelta(hours=14, minutes=59))
        assert _status(contact) == "On Time"

        clock.advance(timedelta(minutes=2))
        assert _status(contact) == "Late Task"
        leads = agent.get("/contacts?action_plan=Late Task").get_data(as_text=True)
        assert "Pat Plan" in leads
        assert markup.parse(leads).texts("table.lead-rows span.badge.plan-late-task") == ["Late Task"]
        assert "Pat Plan" not in agent.get("/contacts?action_plan=On Time").get_data(as_text=True)

        first, second, third = _tasks(contact)
        ticked = agent.post(f"/contacts/{contact.id}/tasks/{first.id}", {"done": "1"}, htmx=True)
        assert ticked.status_code == 200 and markup.parse(ticked).has("#action-plan")
        assert _status(contact) == "On Time"

        clock.advance(timedelta(days=3))
        assert _status(contact) == "Late Task"
        agent.post(f"/contacts/{contact.id}/tasks/{second.id}", {"done": "1"}, htmx=True)
        assert _status(contact) == "On Time"
        agent.post(f"/contacts/{contact.id}/tasks/{second.id}", {}, htmx=True)  # unticked again
        assert _status(contact) == "Late Task"
        agent.post(f"/contacts/{contact.id}/tasks/{second.id}", {"done": "1"}, htmx=True)
        agent.post(f"/contacts/{contact.id}/tasks/{third.id}", {"done": "1"}, htmx=True)

        assert _status(contact) == "Completed"
        completed = db.session.get(Contact, contact.id)
        assert completed.owner_id == users["agent2"].id
        completed_rows = markup.parse(login_as(users["agent2"]).get("/contacts?action_plan=Completed"))
        assert completed_rows.texts("table.lead-rows span.badge.plan-completed") == ["Completed"]


def test_ticking_is_for_the_owner_and_managers_and_stops_when_completed(login_as, users, follow_up, make_contact):
    contact = make_contact(users["agent"], "Tick", "Rules")
    first = _tasks(contact)[0]
    assert login_as(users["agent2"]).post(f"/contacts/{contact.id}/tasks/{first.id}", {"done": "1"}).status_code == 404
    assert login_as(users["concierge"]).post(f"/contacts/{contact.id}/tasks/{first.id}",
                                             {"done": "1"}).status_code == 403
    manager = login_as(users["manager"])
    for task in _tasks(contact):
        manager.post(f"/contacts/{contact.id}/tasks/{task.id}", {"done": "1"}, htmx=True)
    refused = manager.post(f"/contacts/{contact.id}/tasks/{first.id}", {}, htmx=True)
    assert refused.status_code == 422 and "Reset Action Plan" in refused.get_data(as_text=True)
    assert _status(contact) == "Completed"


def test_reset_restarts_the_plan_from_today(login_as, users, follow_up, make_contact):
    with clock.frozen_at(START):
        contact = make_contact(users["agent"], "Reset", "Me")
        manager = login_as(users["manager"])
        manager.post(f"/contacts/{contact.id}/tasks/{_tasks(contact)[0].id}", {"done": "1"}, htmx=True)
    later = START + timedelta(days=10)
    with clock.frozen_at(later):
        assert _status(contact) == "Late Task"
        assert manager.post(f"/contacts/{contact.id}/manage/reset_plan", htmx=True).status_code == 200
        tasks = _tasks(contact)
        later_midnight = MIDNIGHT + timedelta(days=10)
        assert [t.due_at for t in tasks] == [later_midnight, later_midnight + timedelta(days=2),
                                             later_midnight + timedelta(days=5)]
        assert all(t.done_at is None for t in tasks)
        assert _status(contact) == "On Time"


def test_contacts_without_a_plan_in_use_get_none(users, make_contact):
    contact = make_contact(users["agent"], "No", "Plan")
    assert _status(contact) is None and _tasks(contact) == []


def test_compliance_counts_late_tasks_per_agent_and_lists_ignored_referrals(login_as, users, follow_up, make_contact):
    with clock.frozen_at(START):
        worked = make_contact(users["agent"], "Worked", "Lead")
        ignored = make_contact(users["agent"], "Ignored", "Lead")
        other = make_contact(users["agent2"], "Other", "Lead")
        make_contact(users["west_agent"], "West", "Lead")
    agent = login_as(users["agent"])
    with clock.frozen_at(START + timedelta(days=3)):
        agent.post(f"/contacts/{worked.id}/tasks/{_tasks(worked)[0].id}", {"done": "1"}, htmx=True)
    with clock.frozen_at(START + timedelta(days=4)):
        rows = {row.agent_name: row for row in action_plans.compliance(users["manager"])}
        assert set(rows) == {"Alex Agent", "Avery Agent"}
        alex, avery = rows["Alex Agent"], rows["Avery Agent"]
        assert (alex.open_plans, alex.late_referrals, alex.late_tasks, alex.ignored) == (2, 2, 3, 1)
        assert (avery.open_plans, avery.late_tasks, avery.ignored) == (1, 2, 1)

        page = login_as(users["manager"]).get("/compliance").get_data(as_text=True)
        assert "Ignored Lead" in page and "Other Lead" in page and "Worked Lead" not in page
        assert "West Lead" not in page
        assert "more than 3 days" in page
        assert login_as(users["agent"]).get("/compliance").status_code == 403
        assert "West Lead" in login_as(users["broker"]).get("/compliance").get_data(as_text=True)
    assert ignored.id != other.id
