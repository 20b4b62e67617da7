"""The trash (docs/product.md#manage-actions): deleted contacts keep everything for 30 days, then the worker purges
them.

A trashed contact is only marked (`deleted_at`): visibility hides it everywhere, and restoring
brings it back with its leads, notes, tasks and history untouched.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, delete, func, select

from crm import clock
from crm.extensions import db
from crm.models import Contact, User
from crm.services import activity, offers, paging, requests
from crm.services.errors import FieldError

KEEP_DAYS = 30
PURGE_BATCH = 500


class TrashError(FieldError):
    """The contact cannot be restored: the message is shown to the broker."""


@dataclass
class TrashedContact:
    contact: Contact
    deleted_by: str | None
    restorable_until: datetime


def move_to_trash(contact: Contact, actor: User) -> None:
    contact.deleted_at, contact.deleted_by_id = clock.now(), actor.id
    requests.close_pending(contact, actor, "The contact was deleted.")
    offers.close_open_offer(contact, actor, "The contact was deleted.")
    activity.log(contact, actor, "Deleted", f"Moved to the trash; restorable for {KEEP_DAYS} days")


def _cutoff() -> datetime:
    return clock.now() - timedelta(days=KEEP_DAYS)


def trashed(page: int = 1, page_size: int = 50) -> tuple[list[TrashedContact], bool, int]:
    """A page of restorable contacts, most recently deleted first; whether more follow; their total."""
    restorable = Contact.deleted_at.is_not(None) & (Contact.deleted_at >= _cutoff())
    total = db.session.execute(select(func.count(Contact.id)).where(restorable)).scalar_one()
    query = (select(Contact, User.name).outerjoin(User, User.id == Contact.deleted_by_id).where(restorable)
             .order_by(Contact.deleted_at.desc(), Contact.id.desc()))
    found, has_next = paging.offset_page(query, page, page_size, paging.rows)
    # every row is restorable, so deleted_at is set
    rows = [TrashedContact(contact, deleted_by, cast(datetime, contact.deleted_at) + timedelta(days=KEEP_DAYS))
            for contact, deleted_by in found]
    return rows, has_next, total


def restore(contact_id: int, actor: User) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.deleted_at is None:
        raise TrashError("That contact is not in the trash (it may have been restored already).")
    if contact.deleted_at < _cutoff():
        raise TrashError(f"{contact.name} was deleted more than {KEEP_DAYS} days ago and can no longer be restored.")
    contact.deleted_at, contact.deleted_by_id = None, None
    activity.log(contact, actor, "Restored", "Restored from the trash")
    return contact


def purge_expired() -> int:
    """Worker job: delete for good the contacts trashed more than 30 days ago (their rows cascade)."""
    purged = 0
    while True:
        ids = list(db.session.scalars(select(Contact.id).where(Contact.deleted_at < _cutoff())
                                      .order_by(Contact.id).limit(PURGE_BATCH)))
        if not ids:
            return purged
        purged += cast(CursorResult, db.session.execute(
            delete(Contact).where(Contact.id.in_(ids), Contact.deleted_at < _cutoff()))).rowcount
        db.session.commit()
