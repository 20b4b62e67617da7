"""Referrals (docs/product.md#referrals, #referral-status, #lead-status): the sub-tabs by referral status, status
changes, private notes, Lead Status and the concierge's queue of raw leads.

Counts are bounded (docs/product.md#scale): a tab shows "1000+" rather than counting a whole brokerage.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from crm import clock, policy
from crm.extensions import db
from crm.models import Contact, Note, User
from crm.models.values import LEAD_STATUSES, REFERRAL_STATUSES, REFERRAL_TABS
from crm.services import activity, contacts, lead_search, masking, paging, visibility, webhooks
from crm.services.errors import FieldError

TABS = tuple(REFERRAL_TABS)
COUNT_CAP = 1000
NOTE_MAX_LENGTH = 5000


class ReferralError(FieldError):
    """Bad input: the message is shown next to the field; nothing was changed. A refusal worth
    keeping carries `log_detail`: after the rollback the caller hands it to `log_refusal`."""

    def __init__(self, message: str, field: str | None = None, log_detail: str | None = None):
        super().__init__(message, field)
        self.log_detail = log_detail


def log_refusal(contact: Contact, actor: User, error: ReferralError) -> None:
    """After the rollback of a refused change: the refusal in the contact's log, if it is one kept."""
    if error.log_detail:
        activity.log(contact, actor, "Refused", error.log_detail)


def tab_slug(tab: str) -> str:
    return tab.lower().replace("/", " ").replace(" ", "-")


TAB_BY_SLUG = {tab_slug(tab): tab for tab in TABS}


def tab_of(status: str) -> str:
    return next((tab for tab, statuses in REFERRAL_TABS.items() if status in statuses), TABS[0])


def referrals_of(viewer: User) -> Select:
    """An agent's referrals are the contacts they own; others see every visible, owned contact."""
    query = visibility.visible_contacts(viewer).where(Contact.archived_at.is_(None))
    if policy.is_agent(viewer):
        return query.where(Contact.owner_id == viewer.id)
    return query.where(Contact.owner_id.is_not(None))


def _bounded_count(query: Select) -> int:
    limited = query.with_only_columns(Contact.id).order_by(None).limit(COUNT_CAP + 1).subquery()
    return db.session.execute(select(func.count()).select_from(limited)).scalar_one()


def tab_counts(viewer: User) -> dict[str, int]:
    base = referrals_of(viewer)
    return {tab: _bounded_count(base.where(Contact.referral_status.in_(REFERRAL_TABS[tab]))) for tab in TABS}


@dataclass
class ReferralRow:
    """A referral as the viewer may see it: phones and emails already masked when they must be."""
    contact: Contact
    unmasked: bool
    owner_name: str | None
    phones: list[str]
    emails: list[str]


def _row(viewer: User, contact: Contact, unmasked: bool, owner_name: str | None) -> ReferralRow:
    return ReferralRow(contact, unmasked, owner_name, masking.phones_for(viewer, contact, unmasked),
                       masking.emails_for(viewer, contact, unmasked))


@dataclass
class ReferralPage:
    """One page of a sub-tab (or of the concierge's queue, which has no tab)."""
    tab: str | None
    rows: list[ReferralRow]
    page: int
    has_next: bool
    total: int | None = None  # counted up to COUNT_CAP + 1 where the screen shows it


def _rows(query: Select, viewer: User) -> list[ReferralRow]:
    query = (query.outerjoin(User, User.id == Contact.owner_id)
             .add_columns(masking.unmasked_condition(viewer).label("unmasked"), User.name)
             .options(selectinload(Contact.phones), selectinload(Contact.emails)))
    return [_row(viewer, contact, bool(unmasked), owner) for contact, unmasked, owner in db.session.execute(query)]


def _page(viewer: User, query: Select, tab: str | None, page: int, page_size: int) -> ReferralPage:
    rows, has_next = paging.offset_page(query, page, page_size, lambda page_query: _rows(page_query, viewer))
    return ReferralPage(tab=tab, rows=rows, page=page, has_next=has_next)


def list_tab(viewer: User, tab: str, page: int, page_size: int) -> ReferralPage:
    query = (referrals_of(viewer).where(Contact.referral_status.in_(REFERRAL_TABS[tab]))
             .order_by(Contact.referral_status_changed_at.desc(), Contact.id.desc()))
    return _page(viewer, query, tab, page, page_size)


def change_status(contact: Contact, actor: User, status: str) -> bool:
    """Set the referral status (its sub-tab follows); unlocks nothing (docs/product.md#masking)."""
    if status not in REFERRAL_STATUSES:
        raise ReferralError("Choose a Referral Status from the list.", "referral_status",
                            f"Referral Status “{(status or '')[:60]}” is not one of the statuses")
    if status == contact.referral_status:
        return False
    old = contact.referral_status
    contact.referral_status, contact.referral_status_changed_at = status, clock.now()
    moved = f" (moved to {tab_of(status)})" if tab_of(old) != tab_of(status) else ""
    activity.log(contact, actor, "Referral Status", f"{old} → {status}{moved}")
    webhooks.emit("referral.status_changed", contact, previousStatus=old, status=status, subTab=tab_of(status))
    return True


def _note_body(body: str | None) -> str:
    body = (body or "").strip()
    if len(body) > NOTE_MAX_LENGTH:
        raise ReferralError(f"A note can have at most {NOTE_MAX_LENGTH} characters.", "note")
    return body


def add_note(contact: Contact, author: User, body: str | None) -> Note | None:
    """A private note (docs/product.md#referral-status): only its author ever reads it. Blank bodies add nothing."""
    body = _note_body(body)
    if not body:
        return None
    note = Note(contact_id=contact.id, author_id=author.id, body=body, created_at=clock.now())
    db.session.add(note)
    activity.log(contact, author, "Note added", "A private note (only its author reads it)")
    return note


def save_referral(contact: Contact, actor: User, status: str, note: str) -> list[str]:
    """The referral's `Save`: status and an optional note. Returns what changed, for the message.
    A refused status changes nothing; its error says what to log (`log_refusal`)."""
    _note_body(note)  # checked first: a refused note must not leave the status changed
    if policy.is_concierge(actor) and status != contact.referral_status:
        raise ReferralError("The concierge sets Lead Status, not Referral Status (that is the agent's).",
                            "referral_status")
    done = []
    if change_status(contact, actor, status):
        done.append(f"Referral Status is {status} ({tab_of(status)})")
    if add_note(contact, actor, note):
        done.append("note saved")
    return done


def notes_for(viewer: User, contact: Contact) -> list[Note]:
    query = (select(Note).where(Note.contact_id == contact.id, Note.author_id == viewer.id)
             .order_by(Note.created_at.desc(), Note.id.desc()))
    return list(db.session.scalars(query))


def set_lead_status(contact: Contact, actor: User, status: str) -> bool:
    """Lead Status (docs/product.md#lead-status) is the concierge's, managers' and broker's to set, never an agent's."""
    if policy.is_agent(actor):
        raise ReferralError("Agents cannot change the Lead Status.", "lead_status")
    if status not in LEAD_STATUSES:
        raise ReferralError("Choose Active or Inactive.", "lead_status",
                            f"Lead Status “{status[:60]}” is not Active or Inactive")
    return bool(contacts.update_fields(contact, actor, {"lead_status": status}, {"lead_status": "Lead Status"}))


def mark_not_workable(contact: Contact, actor: User) -> None:
    """The concierge gives up on a lead: it lands in Inactive Leads and asks nobody for updates."""
    change_status(contact, actor, "Not Workable")
    set_lead_status(contact, actor, "Inactive")


def raw_leads(viewer: User, page: int, page_size: int, keyword: str = "") -> ReferralPage:
    """The concierge's queue (docs/product.md#lead-status): raw leads nobody has reached yet, found by
    the Leads screen's keyword rule; with their (bounded) total."""
    query = (visibility.visible_contacts(viewer)
             .where(Contact.archived_at.is_(None), Contact.lead_type == "Active",
                    Contact.referral_status.in_(REFERRAL_TABS["Active Leads"])))
    if keyword:
        query = query.where(lead_search.keyword_condition(viewer, keyword))
    listing = _page(viewer, query.order_by(Contact.last_inquiry_at.desc().nulls_last(), Contact.id.desc()),
                    None, page, page_size)
    listing.total = _bounded_count(query)
    return listing


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def as_json(row: ReferralRow) -> dict:
    """A referral as JSON, masked for the viewer like every other surface."""
    contact = row.contact
    return {
        "id": contact.id, "firstName": contact.first_name, "lastName": contact.last_name,
        "street": contact.street, "city": contact.city, "state": contact.state, "zip": contact.zip,
        "emails": row.emails, "phones": row.phones,
        "contactInfoMasked": not row.unmasked,
        "leadType": contact.lead_type, "leadStatus": contact.lead_status,
        "referralStatus": contact.referral_status, "subTab": tab_of(contact.referral_status),
        "referralStatusChangedAt": _iso(contact.referral_status_changed_at),
        "owner": row.owner_name, "lastInquiryType": contact.last_inquiry_type,
        "lastInquiryAt": _iso(contact.last_inquiry_at),
    }


def row_for(viewer: User, contact: Contact) -> ReferralRow:
    return _row(viewer, contact, masking.can_see_contact_info(viewer, contact),
                contact.owner.name if contact.owner else None)

