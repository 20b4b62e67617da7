"""An agent's Delete or Archive request and a manager's decision on it (docs/product.md#requests, #manage-actions).

A decision is one conditional UPDATE (`... WHERE status = 'Pending'`), so of two managers
deciding at once exactly one wins, on SQLite and PostgreSQL alike, in any number of processes.
"""
from dataclasses import dataclass
from typing import cast

from sqlalchemy import CursorResult, and_, false, or_, select, true, update
from sqlalchemy.orm import aliased

from crm import clock, policy
from crm.extensions import db
from crm.models import Contact, ManageRequest, Office, User
from crm.models.values import RequestStatus
from crm.services import activity, visibility
from crm.services.errors import FieldError

KINDS = ("Delete", "Archive")


class RequestError(FieldError):
    """The request cannot be made or decided: the message is shown, nothing is changed."""


class AlreadyDecided(RequestError):
    def __init__(self, request: ManageRequest):
        who = request.decided_by.name if request.decided_by else "someone else"
        super().__init__(f"This request was already {request.status.lower()} by {who}.")
        self.request = request


def pending_request(contact: Contact) -> ManageRequest | None:
    return db.session.scalar(select(ManageRequest).where(ManageRequest.contact_id == contact.id,
                                                         ManageRequest.status == RequestStatus.PENDING).limit(1))


def latest_request_by(contact: Contact, requester: User) -> ManageRequest | None:
    """What the agent sees on Contact Details: their pending request, or the decision on the last one."""
    return db.session.scalar(
        select(ManageRequest).where(ManageRequest.contact_id == contact.id,
                                    ManageRequest.requested_by_id == requester.id)
        .order_by(ManageRequest.created_at.desc(), ManageRequest.id.desc()).limit(1))


def create(contact: Contact, requester: User, kind: str, reason: str = "") -> ManageRequest:
    if kind not in KINDS:
        raise RequestError(f"Unknown request: {kind}.")
    existing = pending_request(contact)
    if existing is not None:
        raise RequestError(f"{contact.name} already has a request to {existing.kind.lower()} waiting for a manager.")
    request = ManageRequest(contact_id=contact.id, kind=kind, requested_by_id=requester.id,
                            office_id=contact.office_id, reason=reason.strip()[:1000])
    db.session.add(request)
    activity.log(contact, requester, f"{kind} requested", reason.strip()[:1000])
    return request


def close_pending(contact: Contact, actor: User, note: str) -> None:
    """A pending request about a contact that was deleted or archived directly has nothing left to decide."""
    db.session.execute(
        update(ManageRequest)
        .where(ManageRequest.contact_id == contact.id, ManageRequest.status == RequestStatus.PENDING)
        .values(status=RequestStatus.APPROVED, decided_by_id=actor.id, decided_at=clock.now(), decision_note=note)
        .execution_options(synchronize_session=False))


def _decidable_by(manager: User):
    """Requests follow their contact: a manager decides those about live contacts they can see
    (their office's; every office's for the broker)."""
    if not policy.is_decider(manager):
        return false()
    visible = ManageRequest.contact_id.in_(visibility.visible_contacts(manager).with_only_columns(Contact.id))
    # A request decided a moment ago (its contact perhaps in the trash now) still answers "already
    # decided by …" to the other managers of its office, rather than a bare 404.
    filed_here = true() if policy.acts_for_every_office(manager) else ManageRequest.office_id == manager.office_id
    return or_(visible, and_(ManageRequest.status != RequestStatus.PENDING, filed_here))


def get_for_decider(manager: User, request_id: int) -> ManageRequest | None:
    """The request if its contact is one the manager sees (any office's for the broker)."""
    return db.session.scalar(select(ManageRequest).where(ManageRequest.id == request_id, _decidable_by(manager)))


def refile_pending(contact: Contact, actor: User) -> None:
    """After a hand-off to another office the contact's pending request goes to that office's
    managers (the old office can no longer see the contact), with a log entry."""
    pending = pending_request(contact)
    if pending is None or pending.office_id == contact.office_id:
        return
    pending.office_id = contact.office_id
    office = db.session.get(Office, contact.office_id) if contact.office_id else None
    activity.log(contact, actor, f"{pending.kind} request re-filed",
                 f"Now waiting for the managers of {office.name if office else 'the brokerage'}")


@dataclass
class PendingRow:
    request: ManageRequest
    contact: Contact
    requested_by: str


def pending_for(manager: User, limit: int = 200) -> list[PendingRow]:
    requester = aliased(User)
    query = (select(ManageRequest, Contact, requester.name)
             .join(Contact, Contact.id == ManageRequest.contact_id)
             .join(requester, requester.id == ManageRequest.requested_by_id)
             .where(ManageRequest.status == RequestStatus.PENDING, Contact.deleted_at.is_(None), _decidable_by(manager))
             .order_by(ManageRequest.created_at, ManageRequest.id).limit(limit))
    return [PendingRow(request, contact, name) for request, contact, name in db.session.execute(query)]


def decide(request: ManageRequest, manager: User, approve: bool, note: str = "") -> ManageRequest:
    """Record the decision, first one wins; the caller performs an approved action (manage.decide)."""
    status = RequestStatus.APPROVED if approve else RequestStatus.DECLINED
    claimed = cast(CursorResult, db.session.execute(
        update(ManageRequest)
        .where(ManageRequest.id == request.id, ManageRequest.status == RequestStatus.PENDING)
        .values(status=status, decided_by_id=manager.id, decided_at=clock.now(), decision_note=note.strip()[:1000])
        .execution_options(synchronize_session=False))).rowcount
    db.session.refresh(request)
    if claimed != 1:
        raise AlreadyDecided(request)
    detail = f"{request.kind} request by {request.requested_by.name}" + (f": {note.strip()}" if note.strip() else "")
    activity.log(request.contact, manager, f"{request.kind} request {status.lower()}", detail)
    return request
