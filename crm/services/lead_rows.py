"""The one rule copying a contact's fields onto its leads (the Leads screen's rows, docs/product.md#leads, #scale).

`sync` is set-based: one UPDATE for some contacts or for all. The migration's backfill and the demo
loader call it directly; every ORM change (hand-off, share, status edits, merges, owner changes, new
leads from Add Lead or the events API, action plans started, ticked, reset or completed) reaches it
through the flush hook at the bottom, so no change path can forget it; a renamed user's name is
copied onto the leads they own there too. Writers that insert leads with Core statements set
COPIED_COLUMNS themselves or call `sync` for the contacts they touched.
"""
from collections.abc import Iterable

from sqlalchemy import case, event, func, inspect, select, update
from sqlalchemy.orm import Session

from crm.models import Contact, Lead, User
from crm.models.values import PRIORITIES

NO_PRIORITY_RANK = 9
PRIORITY_RANKS = {priority: rank for rank, priority in enumerate(PRIORITIES)}  # Hot first
# The action plan's state, so that (plan_rank, plan_next_due) sorts Late Task before On Time without
# knowing *now* (crm/services/action_plans.py): open plans by their next due task, then open plans
# without one (On Time), then completed plans, then none.
PLAN_OPEN, PLAN_OPEN_NOTHING_DUE, PLAN_COMPLETED, NO_PLAN = 0, 1, 2, 3

# Lead column -> the contact's value it copies.
COPIED_COLUMNS = {
    "owner_id": Contact.owner_id,
    "owner_name": select(User.name).where(User.id == Contact.owner_id).scalar_subquery(),
    "office_id": Contact.office_id,
    "contact_name_key": func.lower(func.trim(Contact.last_name + " " + Contact.first_name)),
    "contact_status": Contact.contact_status,
    "contact_type": Contact.contact_type,
    "contact_source": Contact.contact_source,
    "business_source": Contact.business_source,
    "priority": Contact.priority,
    "priority_rank": case(PRIORITY_RANKS, value=Contact.priority, else_=NO_PRIORITY_RANK),
    "interest_level": Contact.interest_level,
    "time_frame": Contact.time_frame,
    "lead_status": Contact.lead_status,
    "lead_type": Contact.lead_type,
    "contact_archived": Contact.archived_at.is_not(None),
    "contact_deleted": Contact.deleted_at.is_not(None),
    "plan_rank": case((Contact.action_plan_id.is_(None), NO_PLAN),
                      (Contact.plan_completed_at.is_not(None), PLAN_COMPLETED),
                      (Contact.plan_next_due_at.is_(None), PLAN_OPEN_NOTHING_DUE), else_=PLAN_OPEN),
    "plan_next_due": Contact.plan_next_due_at,
}
WATCHED_ATTRIBUTES = ("owner_id", "office_id", "first_name", "last_name", "contact_status", "contact_type",
                      "contact_source", "business_source", "priority", "interest_level", "time_frame",
                      "lead_status", "lead_type", "archived_at", "deleted_at", "action_plan_id",
                      "plan_completed_at", "plan_next_due_at")
_BATCH = 500


def sync_statement(contact_ids: list[int] | None = None, columns: Iterable[str] | None = None):
    copied = COPIED_COLUMNS if columns is None else {name: COPIED_COLUMNS[name] for name in columns}
    statement = update(Lead).where(Lead.contact_id == Contact.id).values(copied)
    if contact_ids is not None:
        statement = statement.where(Contact.id.in_(contact_ids))
    return statement.execution_options(synchronize_session=False)


def sync(connection, contact_ids: Iterable[int] | None = None, columns: Iterable[str] | None = None) -> None:
    """Copy the contacts' fields onto their leads (all contacts when `contact_ids` is None).
    `connection`: a Session or a Connection, so a migration can call it too, naming the `columns`
    its schema has."""
    if contact_ids is None:
        connection.execute(sync_statement(columns=columns))
        return
    ids = sorted(set(contact_ids))
    for start in range(0, len(ids), _BATCH):
        connection.execute(sync_statement(ids[start:start + _BATCH]))


def plan_rank(action_plan_id, plan_completed_at, plan_next_due_at) -> int:
    if action_plan_id is None:
        return NO_PLAN
    if plan_completed_at is not None:
        return PLAN_COMPLETED
    return PLAN_OPEN_NOTHING_DUE if plan_next_due_at is None else PLAN_OPEN


def copied_values(contact, owner_name: str | None = None) -> dict:
    """COPIED_COLUMNS computed in Python, for writers inserting leads in bulk (`contact`: a Contact,
    or any object with its attributes, e.g. SimpleNamespace(**row) of a generated row; `owner_name`:
    its owner's name)."""
    computed = ("contact_name_key", "priority_rank", "contact_archived", "contact_deleted", "owner_name",
                "plan_rank", "plan_next_due")
    values = {name: getattr(contact, name, None) for name in COPIED_COLUMNS if name not in computed}
    owner = getattr(contact, "owner", None)
    values["owner_name"] = owner_name if owner_name is not None else getattr(owner, "name", None)
    plan = [getattr(contact, name, None) for name in ("action_plan_id", "plan_completed_at", "plan_next_due_at")]
    values["plan_rank"], values["plan_next_due"] = plan_rank(*plan), plan[2]
    values["priority_rank"] = PRIORITY_RANKS.get(values["priority"] or "", NO_PRIORITY_RANK)
    values["interest_level"] = values["interest_level"] or 0
    values["contact_name_key"] = f"{contact.last_name or ''} {contact.first_name or ''}".strip().lower()
    values["contact_archived"] = getattr(contact, "archived_at", None) is not None
    values["contact_deleted"] = getattr(contact, "deleted_at", None) is not None
    return values


def sync_unfilled(connection) -> None:
    """Copy onto the leads that bulk inserts left without copies (their name key is still empty):
    found by the name index, so this costs nothing when the inserts filled COPIED_COLUMNS."""
    connection.execute(sync_statement().where(Lead.contact_name_key == ""))


def rename_owner(connection, user_id: int, name: str) -> None:
    connection.execute(update(Lead).where(Lead.owner_id == user_id).values(owner_name=name)
                       .execution_options(synchronize_session=False))


def _touched(session: Session) -> list:
    """New leads and contacts whose copied fields changed (ids may not be assigned yet)."""
    new_leads = [item for item in session.new if isinstance(item, Lead)]
    changed = [item for item in session.dirty if isinstance(item, Contact) and _watched_change(item)]
    return new_leads + changed


def _watched_change(contact: Contact) -> bool:
    attributes = inspect(contact).attrs
    return any(attributes[name].history.has_changes() for name in WATCHED_ATTRIBUTES)


def _contact_id(item) -> int | None:
    if isinstance(item, Contact):
        return item.id
    return item.contact_id if item.contact_id is not None else getattr(item.contact, "id", None)


def _renamed(session: Session) -> list[User]:
    return [item for item in session.dirty
            if isinstance(item, User) and inspect(item).attrs["name"].history.has_changes()]


@event.listens_for(Session, "before_flush")
def _remember_changes(session: Session, _context, _instances) -> None:
    session.info.setdefault("lead_rows_pending", []).extend(_touched(session))
    session.info.setdefault("lead_rows_renamed", []).extend(_renamed(session))


@event.listens_for(Session, "after_flush_postexec")
def _sync_changes(session: Session, _context) -> None:
    pending = session.info.pop("lead_rows_pending", None)
    ids = {contact_id for item in pending or () if (contact_id := _contact_id(item)) is not None}
    if ids:
        sync(session.connection(), ids)
    for user in session.info.pop("lead_rows_renamed", None) or ():
        rename_owner(session.connection(), user.id, user.name)
