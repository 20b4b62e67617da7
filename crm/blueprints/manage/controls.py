"""What Contact Details and Leads offer the viewer besides the data: the manage actions, the action
plan's tasks, the concierge's buttons, the bulk actions and `Dl CSV`."""
from dataclasses import dataclass
from datetime import date

from crm import clock, policy
from crm.extensions import db
from crm.models import ActionPlan, Contact, ContactTask, ManageRequest, User
from crm.services import action_plans, export, manage, offers, requests, visibility
from crm.services.manage import ManageAction


@dataclass
class TaskRow:
    task: ContactTask
    due_day: date
    late: bool


@dataclass
class ContactControls:
    actions: list[tuple[ManageAction, str]]
    agents: list[User]
    shared_with: list[User]
    may_share: bool
    pending: ManageRequest | None
    my_request: ManageRequest | None
    plan: ActionPlan | None
    plan_status: str | None
    tasks: list[TaskRow]
    may_tick: bool
    may_unarchive: bool
    concierge: bool  # `Convert to Appointment` and `Not Workable` (docs/product.md#roles)
    convert_blocked: str | None  # why `Convert to Appointment` is disabled


def contact_controls(viewer: User, contact: Contact) -> ContactControls:
    now = clock.now()
    actions = manage.bulk_actions_for(viewer) if manage.may_manage(viewer, contact) else []
    if contact.archived_at is not None:  # it offers Unarchive instead
        actions = [(action, how) for action, how in actions if action.key != "archive"]
    needs_agents = any(action.needs_agent for action, _how in actions)
    concierge = policy.works_concierge_desk(viewer)
    return ContactControls(
        actions=actions,
        agents=visibility.assignable_agents(viewer) if needs_agents else [],
        shared_with=manage.shared_with(contact),
        may_share=any(action.key == "share" for action, _how in actions),
        pending=requests.pending_request(contact),
        my_request=requests.latest_request_by(contact, viewer) if policy.is_agent(viewer) else None,
        plan=db.session.get(ActionPlan, contact.action_plan_id) if contact.action_plan_id else None,
        plan_status=action_plans.plan_status(contact, now),
        tasks=[TaskRow(task, action_plans.due_day(task), task.done_at is None and task.due_at < now)
               for task in action_plans.tasks_of(contact)],
        may_tick=action_plans.may_tick(viewer, contact),
        may_unarchive=manage.may_unarchive(viewer, contact),
        concierge=concierge,
        convert_blocked=offers.conversion_blocker(contact) if concierge else None,
    )


@dataclass
class LeadsControls:
    bulk_actions: list[tuple[ManageAction, str]]
    may_export: bool


def leads_controls(viewer: User) -> LeadsControls:
    return LeadsControls(bulk_actions=manage.bulk_actions_for(viewer), may_export=export.may_export(viewer))
