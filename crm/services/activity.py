"""The activity log: every action with who and when (docs/product.md#manage-actions); category `routing` is the routing
log."""
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import joinedload

from crm import clock
from crm.extensions import db
from crm.models import ActivityLog, Contact, User
from crm.services import paging


def log(contact: Contact | None, actor: User | None, action: str, detail: str = "",
        category: str = "activity", lead_id: int | None = None) -> ActivityLog:
    entry = ActivityLog(
        contact_id=contact.id if contact else None,
        actor_id=actor.id if actor else None,
        action=action, detail=detail, category=category, lead_id=lead_id,
    )
    db.session.add(entry)
    return entry


INSERT_ENTRY = insert(cast(Table, ActivityLog.__table__))


def log_many(entries: list[dict]) -> None:
    """Several entries in one statement; each dict holds ActivityLog columns (actor and lead optional)."""
    now = clock.now()
    db.session.connection().execute(INSERT_ENTRY, [
        {"actor_id": None, "lead_id": None, "category": "activity", "created_at": now, **entry} for entry in entries])


def entries_page(contact: Contact, before_id: int | None = None) -> tuple[list[ActivityLog], bool]:
    """The contact's activity log newest first, a page after the entry `before_id`; and whether more follow."""
    query = select(ActivityLog).where(ActivityLog.contact_id == contact.id).options(joinedload(ActivityLog.actor))
    return paging.newest_first(query, ActivityLog, ActivityLog.created_at, before_id)


def entries_for(contact: Contact, category: str | None = None, limit: int = 200) -> list[ActivityLog]:
    query = db.select(ActivityLog).where(ActivityLog.contact_id == contact.id)
    if category:
        query = query.where(ActivityLog.category == category)
    query = query.order_by(ActivityLog.created_at.desc(), ActivityLog.id.desc()).limit(limit)
    return list(db.session.scalars(query))
