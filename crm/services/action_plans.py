"""Action plan status (SPEC §4.4): On Time, Late Task or Completed, derived from the task dates."""
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, false

from crm.models import Contact


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
