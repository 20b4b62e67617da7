"""Contact masking (SPEC §4.2): the one rule deciding whether a viewer sees phones and emails.

An agent sees them for contacts they added themselves, as a Guaranteed Display participant, as a
sponsor of the zip the contact's first lead arrived with (`arrival_zip`: no edit changes it), or
once the concierge converted the lead into an appointment (Lead Type `Appointment`). Everyone else in the brokerage (concierge, managers, broker) sees them.
A masked value never leaves the server: callers get `XXX` from here, never the real value.
"""
import re

from sqlalchemy import ColumnElement, func, literal, select, true

from crm.extensions import db
from crm.models import Contact, User, ZipSponsorship
from crm.models.values import MASK

EMAIL_IN_TEXT = re.compile(r"[^\s@<>()\[\],;:\"']+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
US_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)")


def _zip5(zip_code: str | None) -> str | None:
    return zip_code[:5] if zip_code else None


def unmasked_condition(viewer: User, contact=Contact) -> ColumnElement[bool]:
    """SQL truth of "this viewer may see the contact's phones and emails" (`contact`: Contact or an alias)."""
    if viewer.role != "agent":
        return true()
    sponsored_zips = select(ZipSponsorship.zip).where(ZipSponsorship.user_id == viewer.id)
    return (
        (contact.created_by_id == viewer.id)
        | literal(bool(viewer.guaranteed_display))
        | (contact.lead_type == "Appointment")
        | func.substr(contact.arrival_zip, 1, 5).in_(sponsored_zips)
    )


def can_see_contact_info(viewer: User, contact: Contact) -> bool:
    if viewer.role != "agent":
        return True
    if contact.created_by_id == viewer.id or viewer.guaranteed_display:
        return True
    if contact.lead_type == "Appointment":
        return True
    zip_code = _zip5(contact.arrival_zip)
    return zip_code is not None and db.session.get(ZipSponsorship, (viewer.id, zip_code)) is not None


def _unmasked(viewer: User, contact: Contact, unmasked: bool | None) -> bool:
    """`unmasked` is the flag a list already selected with `unmasked_condition` (no query per row)."""
    return can_see_contact_info(viewer, contact) if unmasked is None else unmasked


def emails_for(viewer: User, contact: Contact, unmasked: bool | None = None) -> list[str]:
    values = [email.value for email in contact.emails]
    return values if _unmasked(viewer, contact, unmasked) else [MASK for _ in values]


def phones_for(viewer: User, contact: Contact, unmasked: bool | None = None) -> list[str]:
    values = [phone.value for phone in contact.phones]
    return values if _unmasked(viewer, contact, unmasked) else [MASK for _ in values]


def mask_value(viewer: User, contact: Contact, value: str | None) -> str | None:
    """Any other copy of a phone or email (a lead's message header, a loan officer's email)."""
    if value is None or can_see_contact_info(viewer, contact):
        return value
    return MASK


def _known_phone_pattern(digits: str) -> re.Pattern:
    """The contact's phone however it is written: separators between digits, a leading +1."""
    return re.compile(r"(?<!\d)(?:\+?1[\s().-]*)?\(?" + r"[\s().-]*".join(digits) + r"(?!\d)")


def redact_patterns(text: str | None) -> str | None:
    """Free text without anything that looks like an email address or a US phone number (for rows
    streamed without their contact's phones and emails at hand)."""
    if not text:
        return text
    return US_PHONE_IN_TEXT.sub(MASK, EMAIL_IN_TEXT.sub(MASK, text))


def redact_contact_info(contact: Contact, text: str | None) -> str | None:
    """Free text (a consumer's message, a concierge's note) without the contact's phones or emails,
    however written, nor anything else that looks like an email address or a US phone number."""
    if not text:
        return text
    for phone in contact.phones:
        if phone.digits:
            text = _known_phone_pattern(phone.digits).sub(MASK, text)
    for email in contact.emails:
        text = re.sub(re.escape(email.value), MASK, text, flags=re.IGNORECASE)
    return redact_patterns(text)


def text_for(viewer: User, contact: Contact, text: str | None, unmasked: bool | None = None) -> str | None:
    """Free text about the contact as this viewer may read it."""
    return text if _unmasked(viewer, contact, unmasked) else redact_contact_info(contact, text)
