"""Creating contacts, recording leads on them and keeping the list's denormalised columns true."""
import re
from datetime import datetime

from sqlalchemy import exists, select

from crm import clock, policy
from crm.extensions import db
from crm.models import Contact, ContactEmail, ContactPhone, Lead, User
from crm.services import action_plans, activity, display, masking, paging, visibility, webhooks


def phone_digits(value: str) -> str:
    """Digits only, without a leading US country code, for matching and search."""
    digits = re.sub(r"\D", "", value or "")
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def split_name(name: str) -> tuple[str, str]:
    first, _, last = (name or "").strip().partition(" ")
    return first, last.strip()


def search_text_of(first_name, last_name, street, city, zip_code, old_text: str = "", extra: str = "") -> str:
    """Name, address and MLS numbers (kept from `old_text`), lower-case, for the Keyword box (never
    phones or emails)."""
    text = " ".join(part for part in (first_name, last_name, street, city, zip_code) if part).lower()
    mls_numbers = " ".join(word for word in (old_text or "").split() if word.startswith("mls:"))
    return " ".join(filter(None, [text, mls_numbers, extra])).strip()


def with_mls_number(search_text: str, mls_number: str | None) -> str:
    """The search text with a lead's MLS number added (once)."""
    if not mls_number or f"mls:{mls_number.lower()}" in search_text.split():
        return search_text
    return f"{search_text} mls:{mls_number.lower()}".strip()


def refresh_search_text(contact: Contact, extra: str = "") -> None:
    contact.search_text = search_text_of(contact.first_name, contact.last_name, contact.street, contact.city,
                                         contact.zip, contact.search_text, extra)


def add_email(contact: Contact, value: str) -> bool:
    value = value.strip().lower()
    if not value or any(email.value == value for email in contact.emails):
        return False
    contact.emails.append(ContactEmail(value=value))
    return True


def add_phone(contact: Contact, value: str) -> bool:
    digits = phone_digits(value)
    if not digits or any(phone.digits == digits for phone in contact.phones):
        return False
    contact.phones.append(ContactPhone(value=value.strip(), digits=digits))
    return True


def create_contact(actor: User | None, emails=(), phones=(), **fields) -> Contact:
    """`arrival_zip` (the zip the lead arrived with, for masking) defaults to the contact's zip."""
    fields.setdefault("arrival_zip", fields.get("zip"))
    contact = Contact(created_by_id=actor.id if actor else None, search_text="", **fields)
    if contact.owner_id and not contact.office_id:
        contact.office_id = db.session.get_one(User, contact.owner_id).office_id
    for email in emails:
        add_email(contact, email)
    for phone in phones:
        add_phone(contact, phone)
    refresh_search_text(contact)
    db.session.add(contact)
    db.session.flush()
    activity.log(contact, actor, "Created", f"Contact created by {actor.name if actor else 'the website'}")
    action_plans.start_plan_in_use(contact, actor)
    webhooks.emit("contact.created", contact)
    return contact


def record_lead(contact: Contact, inquiry_type: str, occurred_at: datetime | None = None,
                actor: User | None = None, **fields) -> Lead:
    """One consumer action becomes one lead; the contact's list columns follow it."""
    occurred_at = occurred_at or clock.now()
    lead = Lead(contact_id=contact.id, inquiry_type=inquiry_type, occurred_at=occurred_at,
                created_by_id=actor.id if actor else None, **fields)
    db.session.add(lead)
    contact.lead_count = (contact.lead_count or 0) + 1
    if contact.last_inquiry_at is None or occurred_at >= contact.last_inquiry_at:
        contact.last_inquiry_at, contact.last_inquiry_type = occurred_at, inquiry_type
    if contact.last_activity_at is None or occurred_at > contact.last_activity_at:
        contact.last_activity_at = occurred_at
    contact.search_text = with_mls_number(contact.search_text, lead.mls_number)
    db.session.flush()
    webhooks.emit("lead.created", contact, lead)
    return lead


def find_duplicate(viewer: User, email: str | None, phone: str | None) -> Contact | None:
    """A visible contact whose email or phone matches, among those the viewer may see unmasked
    (matching a masked one would reveal its phone or email)."""
    conditions = []
    if email and email.strip():
        conditions.append(exists().where(ContactEmail.contact_id == Contact.id,
                                         ContactEmail.value == email.strip().lower()))
    if phone and phone_digits(phone):
        conditions.append(exists().where(ContactPhone.contact_id == Contact.id,
                                         ContactPhone.digits == phone_digits(phone)))
    if not conditions:
        return None
    query = (visibility.visible_contacts(viewer)
             .where(masking.unmasked_condition(viewer))
             .where(conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1])
             .order_by(Contact.id).limit(1))
    return db.session.scalar(query)


def lead_owner_choices(viewer: User) -> list[User]:
    """Add Lead's `Lead Assignment`: an agent's lead is their own; others give it to an agent in reach."""
    return [viewer] if policy.is_agent(viewer) else visibility.assignable_agents(viewer)


def add_lead(actor: User, name: str, email: str | None, phone: str | None, contact_fields: dict,
             lead_fields: dict) -> tuple[Contact, bool]:
    """Add Lead: a new contact with its `Manual Entry` lead, or, when its email or phone matches a
    contact the actor sees, the lead (and the email and phone) added to that one: (contact, matched)."""
    existing = find_duplicate(actor, email, phone)
    if existing:
        if email:
            add_email(existing, email)
        if phone:
            add_phone(existing, phone)
        record_lead(existing, "Manual Entry", actor=actor, **lead_fields)
        activity.log(existing, actor, "Lead added", "Added with Add Lead to the existing contact")
        return existing, True
    first, last = split_name(name)
    contact = create_contact(actor, emails=[email] if email else [], phones=[phone] if phone else [],
                             first_name=first, last_name=last, **contact_fields)
    record_lead(contact, "Manual Entry", actor=actor, **lead_fields)
    return contact, False


def leads_page(contact: Contact, before_id: int | None = None) -> tuple[list[Lead], bool]:
    """The contact's leads newest first, a page after the lead `before_id`; and whether more follow."""
    return paging.newest_first(select(Lead).where(Lead.contact_id == contact.id), Lead, Lead.occurred_at, before_id)



def update_fields(contact: Contact, actor: User, changes: dict, labels: dict[str, str]) -> list[str]:
    """Apply edited fields; log each real change as "Label: old → new". Returns those lines."""
    lines = []
    for name, new in changes.items():
        new = None if new == "" else new
        old = getattr(contact, name)
        if old != new:
            setattr(contact, name, new)
            lines.append(f"{labels[name]}: {display.field_value(old)} → {display.field_value(new)}")
    if lines:
        refresh_search_text(contact)
        activity.log(contact, actor, "Edited", "; ".join(lines))
        webhooks.emit("contact.updated", contact)
    return lines


def replace_emails(contact: Contact, actor: User, values: list[str]) -> None:
    wanted = [value.strip().lower() for value in values if value.strip()]
    _replace_channel(contact, actor, "Emails", contact.emails, wanted, add_email)


def replace_phones(contact: Contact, actor: User, values: list[str]) -> None:
    wanted = [value.strip() for value in values if value.strip()]
    _replace_channel(contact, actor, "Phones", contact.phones, wanted, add_phone)


def _replace_channel(contact: Contact, actor: User, label: str, current: list, wanted: list[str], add) -> None:
    if wanted == [item.value for item in current]:
        return
    current.clear()
    db.session.flush()
    for value in wanted:
        add(contact, value)
    activity.log(contact, actor, "Edited", f"{label} changed")
