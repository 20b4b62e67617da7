"""Action plans (docs/product.md#action-plans): a referral's copy of the plan's tasks, its status and compliance.

Status On Time, Late Task or Completed is derived from `Contact.plan_next_due_at` (the earliest
open task) and `Contact.plan_completed_at`, so the Leads list filters and sorts on indexed columns.
"""
import typing
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    select,
    true,
)

from crm import clock, policy
from crm.extensions import db
from crm.models import ActionPlan, ActionPlanTask, ActivityLog, Contact, ContactTask, User
from crm.models.values import TASK_KINDS
from crm.services import activity, settings
from crm.services.errors import FieldError


class PlanError(FieldError):
    """Bad input for a plan change: the message is shown to the user, nothing is changed."""


def plan_status(contact: Contact, now: datetime) -> str | None:
    if contact.action_plan_id is None:
        return None
    if contact.plan_completed_at is not None:
        return "Completed"
    if contact.plan_next_due_at is not None and contact.plan_next_due_at < now:
        return "Late Task"
    return "On Time"


def plan_status_condition(status: str, now: datetime) -> ColumnElement[bool]:
    in_plan = Contact.action_plan_id.is_not(None)
    if status == "Completed":
        return and_(in_plan, Contact.plan_completed_at.is_not(None))
    open_plan = and_(in_plan, Contact.plan_completed_at.is_(None))
    if status == "Late Task":
        return and_(open_plan, Contact.plan_next_due_at < now)
    if status == "On Time":
        return and_(open_plan, (Contact.plan_next_due_at.is_(None)) | (Contact.plan_next_due_at >= now))
    return false()


def plan_status_sort_key(now: datetime):
    """Late first, then on time, then completed, then no plan."""
    return case(
        (Contact.action_plan_id.is_(None), 3),
        (Contact.plan_completed_at.is_not(None), 2),
        (Contact.plan_next_due_at < now, 0),
        else_=1,
    )


def plan_status_label(now: datetime):
    """The status as SQL text, for exports (same rule as `plan_status`)."""
    return case(
        (Contact.action_plan_id.is_(None), literal("")),
        (Contact.plan_completed_at.is_not(None), literal("Completed")),
        (Contact.plan_next_due_at < now, literal("Late Task")),
        else_=literal("On Time"),
    )


# --- Building plans (Settings) ---------------------------------------------------------------

def all_plans() -> list[ActionPlan]:
    return list(db.session.scalars(select(ActionPlan).order_by(ActionPlan.name)))


def create_plan(name: str) -> ActionPlan:
    name = name.strip()
    if not name:
        raise PlanError("Enter a name for the plan.")
    if db.session.scalar(select(ActionPlan.id).where(func.lower(ActionPlan.name) == name.lower())):
        raise PlanError(f"A plan named “{name}” exists already.")
    plan = ActionPlan(name=name)
    db.session.add(plan)
    db.session.flush()
    return plan


def add_task(plan: ActionPlan, kind: str, title: str, due_days: int) -> ActionPlanTask:
    """Tasks stay ordered by their due day (then by when they were added)."""
    if kind not in TASK_KINDS:
        raise PlanError(f"Choose a task type: {', '.join(TASK_KINDS)}.")
    if due_days < 0:
        raise PlanError("Due days cannot be negative: 0 means the day the plan starts.")
    task = ActionPlanTask(kind=kind, title=title.strip(), due_days=due_days)
    plan.tasks.append(task)
    db.session.flush()
    _renumber(plan)
    return task


def remove_task(plan: ActionPlan, task_id: int) -> None:
    task = next((task for task in plan.tasks if task.id == task_id), None)
    if task is None:
        raise PlanError("That task is no longer in the plan.")
    plan.tasks.remove(task)
    db.session.flush()
    _renumber(plan)


def _renumber(plan: ActionPlan) -> None:
    for position, task in enumerate(sorted(plan.tasks, key=lambda t: (t.due_days, t.id))):
        task.position = position


def delete_plan(plan: ActionPlan) -> None:
    if settings.get("plan_in_use_id") == plan.id:
        raise PlanError("This plan is in use: choose another plan in use first.")
    if db.session.scalar(select(Contact.id).where(Contact.action_plan_id == plan.id).limit(1)):
        raise PlanError("Referrals follow this plan, so it cannot be deleted.")
    db.session.delete(plan)


def plan_in_use() -> ActionPlan | None:
    plan_id = settings.get("plan_in_use_id")
    return db.session.get(ActionPlan, plan_id) if plan_id else None


# --- A referral's plan -------------------------------------------------------------------------

def deadline(start: datetime, due_days: int) -> datetime:
    """A task due N days after the start may be done until the end of that day (UTC)."""
    return datetime.combine(start.date() + timedelta(days=due_days + 1), time.min)


def due_day(task: ContactTask) -> date:
    return (task.due_at - timedelta(days=1)).date()


def start_plan(contact: Contact, plan: ActionPlan, start: datetime | None = None) -> None:
    """(Re)start `plan` for the referral: each task is due N days after `start` (now by default)."""
    start = start or clock.now()
    db.session.flush()
    db.session.execute(delete(ContactTask).where(ContactTask.contact_id == contact.id))
    db.session.add_all([
        ContactTask(contact_id=contact.id, position=task.position, kind=task.kind, title=task.title,
                    due_at=deadline(start, task.due_days))
        for task in plan.tasks
    ])
    contact.action_plan_id, contact.plan_started_at = plan.id, start
    contact.plan_completed_at = None
    contact.plan_next_due_at = min((deadline(start, t.due_days) for t in plan.tasks), default=None)
    if not plan.tasks:
        contact.plan_completed_at = start
    db.session.flush()


def _deadline_sql(dialect: str, start_day, due_days):
    """`deadline` in SQL, for INSERT … SELECT (stored as SQLAlchemy stores datetimes on SQLite)."""
    if dialect == "sqlite":
        return func.date(start_day, literal("+") + cast(due_days + 1, String) + " days") + " 00:00:00.000000"
    return cast(start_day, Date) + (due_days + 1)


@cache
def _copy_tasks_statement(dialect: str):
    start_day = bindparam("start_day", type_=String)
    tasks = select(bindparam("contact_id", type_=Integer), ActionPlanTask.position, ActionPlanTask.kind,
                   ActionPlanTask.title, _deadline_sql(dialect, start_day, ActionPlanTask.due_days)
                   ).where(ActionPlanTask.plan_id == bindparam("plan_id"))
    return insert(typing.cast(Table, ContactTask.__table__)).from_select(
        ["contact_id", "position", "kind", "title", "due_at"], tasks)


def copy_plan_tasks(contact_id: int, plan_id: int, start: datetime) -> None:
    """A new contact gets the plan's tasks, due N days after `start`, in one INSERT … SELECT."""
    db.session.connection().execute(_copy_tasks_statement(db.engine.dialect.name), {
        "contact_id": contact_id, "plan_id": plan_id, "start_day": start.date().isoformat()})


def start_plan_in_use(contact: Contact, actor: User | None) -> None:
    """New referrals get the plan in use (when the broker chose one)."""
    plan = plan_in_use()
    if plan is not None:
        start_plan(contact, plan)
        activity.log(contact, actor, "Action plan started", plan.name)


def reset_plan(contact: Contact, actor: User) -> ActionPlan:
    """Restart the referral's plan from today (the plan in use when it has none)."""
    plan = db.session.get(ActionPlan, contact.action_plan_id) if contact.action_plan_id else plan_in_use()
    if plan is None:
        raise PlanError("There is no action plan to reset: the broker has not chosen a plan in use.")
    start_plan(contact, plan)
    activity.log(contact, actor, "Reset Action Plan", f"{plan.name} restarted from today")
    return plan


def tasks_of(contact: Contact) -> list[ContactTask]:
    query = select(ContactTask).where(ContactTask.contact_id == contact.id).order_by(
        ContactTask.position, ContactTask.id)
    return list(db.session.scalars(query))


def may_tick(viewer: User, contact: Contact) -> bool:
    return policy.is_decider(viewer) or contact.owner_id == viewer.id


def set_task_done(contact: Contact, task_id: int, actor: User, done: bool) -> ContactTask:
    """Tick or untick a task; the last tick completes the plan and hands the referral on."""
    task = db.session.scalar(select(ContactTask).where(ContactTask.id == task_id,
                                                       ContactTask.contact_id == contact.id))
    if task is None:
        raise PlanError("That task is no longer on this referral's plan.")
    if contact.plan_completed_at is not None:
        raise PlanError("The plan is completed. Reset Action Plan to start it again.")
    if done == (task.done_at is not None):
        return task
    task.done_at, task.done_by_id = (clock.now(), actor.id) if done else (None, None)
    activity.log(contact, actor, "Task done" if done else "Task reopened", f"{task.kind}: {task.title}")
    _refresh_progress(contact, actor)
    return task


def _refresh_progress(contact: Contact, actor: User) -> None:
    db.session.flush()
    contact.plan_next_due_at = db.session.scalar(
        select(func.min(ContactTask.due_at)).where(ContactTask.contact_id == contact.id,
                                                   ContactTask.done_at.is_(None)))
    if contact.plan_next_due_at is None:
        _complete(contact, actor)


def _complete(contact: Contact, actor: User) -> None:
    contact.plan_completed_at = clock.now()
    receiver_id = settings.get("completed_plans_to_id")
    receiver = db.session.get(User, receiver_id) if receiver_id else None
    if receiver is None or not receiver.is_active_user or receiver.id == contact.owner_id:
        activity.log(contact, actor, "Action plan completed")
        return
    contact.owner_id = receiver.id
    contact.office_id = receiver.office_id or contact.office_id
    activity.log(contact, actor, "Action plan completed", f"Referral handed to {receiver.name}")


# --- Compliance (managers) ----------------------------------------------------------------------

@dataclass
class AgentCompliance:
    agent_id: int
    agent_name: str
    open_plans: int
    late_referrals: int
    late_tasks: int
    ignored: int


def _office_scope(viewer: User):
    if policy.acts_for_every_office(viewer):
        return true()
    return User.office_id == viewer.office_id


def ignored_condition(now: datetime, days_allowed: int) -> ColumnElement[bool]:
    """An open plan whose owner logged nothing on the referral for more than the days allowed."""
    cutoff = now - timedelta(days=days_allowed)
    worked_recently = exists().where(ActivityLog.contact_id == Contact.id,
                                     ActivityLog.actor_id == Contact.owner_id,
                                     ActivityLog.created_at >= cutoff)
    return and_(Contact.action_plan_id.is_not(None), Contact.plan_completed_at.is_(None),
                Contact.plan_started_at < cutoff, ~worked_recently)


def _live_contacts_of_agents(viewer: User):
    return and_(Contact.owner_id == User.id, Contact.deleted_at.is_(None), Contact.archived_at.is_(None),
                User.is_agent, _office_scope(viewer))


def compliance(viewer: User) -> list[AgentCompliance]:
    """Per agent of the viewer's office (every office for the broker): plans, late tasks, ignored."""
    now, days = clock.now(), settings.get("days_allowed_ignored")
    open_plan = and_(Contact.action_plan_id.is_not(None), Contact.plan_completed_at.is_(None))
    per_agent = (
        select(User.id, User.name,
               func.count(Contact.id).filter(open_plan),
               func.count(Contact.id).filter(open_plan, Contact.plan_next_due_at < now),
               func.count(Contact.id).filter(ignored_condition(now, days)))
        .select_from(User).outerjoin(Contact, _live_contacts_of_agents(viewer))
        .where(User.is_agent, User.is_active_user.is_(True), _office_scope(viewer))
        .group_by(User.id, User.name).order_by(User.name))
    late_tasks = dict(db.session.execute(
        select(Contact.owner_id, func.count(ContactTask.id))
        .join(Contact, ContactTask.contact_id == Contact.id).join(User, User.id == Contact.owner_id)
        .where(_live_contacts_of_agents(viewer), ContactTask.done_at.is_(None), ContactTask.due_at < now,
               Contact.plan_completed_at.is_(None))
        .group_by(Contact.owner_id)).all())
    return [AgentCompliance(agent_id, name, open_plans, late, late_tasks.get(agent_id, 0), ignored)
            for agent_id, name, open_plans, late, ignored in db.session.execute(per_agent)]


def ignored_referrals(viewer: User, limit: int = 100, agent_id: int | None = None) -> list[tuple[Contact, str]]:
    """The ignored referrals the viewer oversees, or only one agent's (a compliance count's link)."""
    now, days = clock.now(), settings.get("days_allowed_ignored")
    one_agent = Contact.owner_id == agent_id if agent_id else true()
    query = (select(Contact, User.name).join(User, User.id == Contact.owner_id)
             .where(_live_contacts_of_agents(viewer), ignored_condition(now, days), one_agent)
             .order_by(Contact.plan_started_at, Contact.id).limit(limit))
    return [(contact, owner) for contact, owner in db.session.execute(query)]
