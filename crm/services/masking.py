"""Contact masking (SPEC §4.2): the one rule deciding whether a viewer sees phones and emails.

A masked value never leaves the server: callers get `XXX` from here, never the real value.
"""
from sqlalchemy import ColumnElement, literal, select, true

from crm.extensions import db
from crm.models import Contact, User, ZipSponsorship
from crm.models.values import MASK


def unmasked_condition(viewer: User) -> ColumnElement[bool]:
    """SQL truth of "this viewer may see the contact's phones and emails"."""
    if viewer.role != "agent":
        return true()
    sponsored_zips = select(ZipSponsorship.zip).where(ZipSponsorship.user_id == viewer.id)
    return (
        (Contact.created_by_id == viewer.id)
        | literal(bool(viewer.guaranteed_display))
        | (Contact.lead_type == "Appointment")
        | Contact.zip.in_(sponsored_zips)
    )


def can_see_contact_info(viewer: User, contact: Contact) -> bool:
    if viewer.role != "agent":
        return True
    if contact.created_by_id == viewer.id or viewer.guaranteed_display:
        return True
    if contact.lead_type == "Appointment":
        return True
    return contact.zip is not None and db.session.get(ZipSponsorship, (viewer.id, contact.zip)) is not None


def emails_for(viewer: User, contact: Contact) -> list[str]:
    values = [email.value for email in contact.emails]
    return values if can_see_contact_info(viewer, contact) else [MASK for _ in values]


def phones_for(viewer: User, contact: Contact) -> list[str]:
    values = [phone.value for phone in contact.phones]
    return values if can_see_contact_info(viewer, contact) else [MASK for _ in values]


def mask_value(viewer: User, contact: Contact, value: str | None) -> str | None:
    """Any other copy of a phone or email (a lead's message header, a loan officer's email)."""
    if value is None or can_see_contact_info(viewer, contact):
        return value
    return MASK
