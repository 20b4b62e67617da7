"""Contact masking (docs/product.md#masking): the one rule deciding whether a viewer sees phones and emails.

An agent sees them for contacts they added themselves, as a Guaranteed Display participant, as a
sponsor of the zip the contact's first lead arrived with (`arrival_zip`: no edit changes it), or
once the concierge converted the lead into an appointment (Lead Type `Appointment`). Everyone else
in the brokerage (concierge, managers, broker) sees them. A masked value never leaves the server:
callers get `XXX` from here, never the real value, also inside free text (the redaction below).
"""
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, literal, select, true

from crm import policy
from crm.extensions import db
from crm.models import Contact, User, ZipSponsorship
from crm.models.values import MASK

# How people (and URLs) write what separates the parts of a phone number or an email address.
_SEPARATOR = r"(?:[\s().\-/_+]|%2[0-9a-f]|%2B|&nbsp;|&#\d+;)*"
_AT = r"(?:@|%40|&#0*64;|&#x0*40;|\s*[\[(]at[\])]\s*|\s+at\s+)"
_DOT = r"(?:\.|%2e|&#0*46;|&#x0*2e;|\s*[\[(]dot[\])]\s*|\s+dot\s+)"
EMAIL_IN_TEXT = re.compile(
    r"[^\s@<>()\[\],;:\"'&?=/]+" + _AT + r"[a-z0-9-]+(?:" + _DOT + r"[a-z0-9-]+)*" + _DOT + r"[a-z]{2,}",
    re.IGNORECASE)
# Any phone number: 7 to 15 digits with separators, an optional + or 00 in front; not inside a word
# or a longer number, and not an ISO date.
PHONE_IN_TEXT = re.compile(r"(?<![\w%])(?:\(|%28)?(?:\+|%2B|00)?\d(?:" + _SEPARATOR + r"\d){6,14}(?![\w])",
                           re.IGNORECASE)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?")


def _zip5(zip_code: str | None) -> str | None:
    return zip_code[:5] if zip_code else None


def unmasked_condition(viewer: User, contact=Contact) -> ColumnElement[bool]:
    """SQL truth of "this viewer may see the contact's phones and emails" (`contact`: Contact or an alias)."""
    if not policy.is_agent(viewer):
        return true()
    sponsored_zips = select(ZipSponsorship.zip).where(ZipSponsorship.user_id == viewer.id)
    return (
        (contact.created_by_id == viewer.id)
        | literal(bool(viewer.guaranteed_display))
        | (contact.lead_type == "Appointment")
        | func.substr(contact.arrival_zip, 1, 5).in_(sponsored_zips)
    )


def sponsors_zip(user_id, zip_code) -> ColumnElement[bool]:
    """SQL truth of "this user sponsors this zip" (for callers that read it beside other columns)."""
    return select(ZipSponsorship.user_id).where(ZipSponsorship.user_id == user_id,
                                                ZipSponsorship.zip == func.substr(zip_code, 1, 5)).exists()


def can_see_contact_info(viewer: User, contact: Contact, sponsors: bool | None = None) -> bool:
    """`sponsors`: whether the viewer sponsors the contact's zip, when the caller read it already."""
    if not policy.is_agent(viewer):
        return True
    if contact.created_by_id == viewer.id or viewer.guaranteed_display:
        return True
    if contact.lead_type == "Appointment":
        return True
    zip_code = _zip5(contact.arrival_zip)
    if zip_code is None or sponsors is not None:
        return bool(zip_code and sponsors)
    return db.session.get(ZipSponsorship, (viewer.id, zip_code)) is not None


def _unmasked(viewer: User, contact: Contact, unmasked: bool | None) -> bool:
    """`unmasked` is the flag a list already selected with `unmasked_condition` (no query per row)."""
    return can_see_contact_info(viewer, contact) if unmasked is None else unmasked


def emails_for(viewer: User, contact: Contact, unmasked: bool | None = None) -> list[str]:
    values = [email.value for email in contact.emails]
    return values if _unmasked(viewer, contact, unmasked) else [MASK for _ in values]


def phones_for(viewer: User, contact: Contact, unmasked: bool | None = None) -> list[str]:
    values = [phone.value for phone in contact.phones]
    return values if _unmasked(viewer, contact, unmasked) else [MASK for _ in values]


def _digits_pattern(digits: str) -> str:
    return _SEPARATOR.join(digits)


def _known_phone_pattern(digits: str) -> re.Pattern:
    """The contact's phone however it is written: any separators, with or without its country code,
    or just its last seven digits (the local number)."""
    spellings = {digits, digits[-10:], digits[-7:]}
    alternatives = "|".join(_digits_pattern(spelling) for spelling in sorted(spellings, key=len, reverse=True))
    return re.compile(r"(?<!\d)(?:(?:\+|%2B|00)?\d{1,3}" + _SEPARATOR + r")?(?:\(|%28)?(?:" + alternatives + r")(?!\d)",
                      re.IGNORECASE)


def _known_email_pattern(email: str) -> re.Pattern:
    """The contact's email in any case, URL-encoded or written with "at" and "dot"."""
    local, _, domain = email.partition("@")
    parts = [re.escape(local).replace(r"\+", r"(?:\+|%2B)")] + [re.escape(part) for part in domain.split(".")]
    return re.compile(parts[0] + _AT + _DOT.join(parts[1:]), re.IGNORECASE)


def _phone_or_date(match: re.Match) -> str:
    return match.group(0) if _ISO_DATE.fullmatch(match.group(0)) else MASK


def redact_patterns(text: str | None) -> str | None:
    """Free text without anything that looks like an email address or a phone number, however
    written (for rows streamed without their contact's phones and emails at hand)."""
    if not text:
        return text
    return EMAIL_IN_TEXT.sub(MASK, PHONE_IN_TEXT.sub(_phone_or_date, text))


def redact_contact_info(contact: Contact, text: str | None) -> str | None:
    """Free text (a consumer's message, a page URL, a concierge's note) without the contact's own
    phones and emails in any spelling, nor anything else that looks like a phone or an email."""
    if not text:
        return text
    for phone in contact.phones:
        if phone.digits and len(phone.digits) >= 7:
            text = _known_phone_pattern(phone.digits).sub(MASK, text)
    for email in contact.emails:
        if "@" in email.value:
            text = _known_email_pattern(email.value).sub(MASK, text)
    return redact_patterns(text)


def text_for(viewer: User, contact: Contact, text: str | None, unmasked: bool | None = None) -> str | None:
    """Free text about the contact as this viewer may read it."""
    return text if _unmasked(viewer, contact, unmasked) else redact_contact_info(contact, text)


@dataclass(frozen=True)
class LogLine:
    """An activity log entry as a viewer may read it (never an ORM row: nothing here is saved)."""
    created_at: datetime
    actor: User | None
    action: str
    detail: str | None


def log_for(viewer: User, contact: Contact, entries, unmasked: bool | None = None) -> list[LogLine]:
    """The contact's activity log with the contact's phones and emails redacted in every entry."""
    unmasked = _unmasked(viewer, contact, unmasked)
    return [LogLine(entry.created_at, entry.actor, entry.action, text_for(viewer, contact, entry.detail, unmasked))
            for entry in entries]
