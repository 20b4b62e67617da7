"""Lead alerts (docs/product.md#alerts): an email at once for the immediate class, at most one digest per agent
per hour for the digest class, nothing for `Unsubscribed` (the contact is marked unsubscribed).

Emails obey masking (docs/product.md#masking): an owner who may not see the contact's phones and emails reads
`XXX`, and phone numbers or email addresses typed into consumer text are masked the same way.
Consumer text is escaped in the HTML part by the templates' autoescaping.
"""
import json
from datetime import timedelta

from flask import current_app, render_template
from sqlalchemy import exists, insert, or_, select, true, update
from sqlalchemy.orm import joinedload, selectinload

from crm import clock
from crm.extensions import db
from crm.models import Contact, Lead, OutboxMessage, User
from crm.models.values import DIGEST_INQUIRIES, IMMEDIATE_INQUIRIES
from crm.services import display, masking, outbox
from crm.wording import plural

DIGEST_INTERVAL = timedelta(hours=1)
DIGEST_MAX_LEADS = 200
WHAT_THEY_DID = {
    "Registration": "created an account on the website",
    "General Inquiry": "sent the Contact form",
    "Property Inquiry": "asked a question about a property",
    "Showing Request": "used Schedule Showing on a property",
    "Seller Inquiry": "asked for a home valuation or a cash offer",
    "Visited Open House": "signed in at an open house",
    "Incoming Call": "called the brokerage",
    "Saved Property": "favorited a property",
    "Saved Property Search": "saved a search",
    "Property Search": "ran a search",
    "Viewed Property": "viewed a property",
    "Viewed Page": "viewed a page",
    "Visited Website": "came back to the website",
}


def contact_url(contact_id: int) -> str:
    return f"{current_app.config['BASE_URL']}/contacts/{contact_id}"


def _property_line(lead: Lead) -> str | None:
    address = display.address(lead.property_street, lead.property_city,
                              " ".join(filter(None, (lead.property_state, lead.property_zip))))
    details = [address] if address else []
    if lead.mls_number:
        details.append(f"MLS {lead.mls_number}")
    if lead.price is not None:
        details.append(display.money(lead.price))
    if lead.property_type:
        details.append(lead.property_type)
    if lead.bedrooms is not None:
        details.append(f"{lead.bedrooms} bd")
    if lead.bathrooms is not None:
        details.append(f"{lead.bathrooms:g} ba")
    if lead.area is not None:
        details.append(f"{lead.area:,} sq ft")
    return " · ".join(details) or None


def search_summary(lead: Lead) -> str | None:
    """A lead's saved or run search in a line, like `Tampa · zip 33602 · $300,000 to $500,000`."""
    if not lead.search_criteria:
        return None
    criteria = json.loads(lead.search_criteria)
    parts = [criteria[key] for key in ("type", "neighborhood", "city", "state") if criteria.get(key)]
    if criteria.get("code"):
        parts.append("zip " + ", ".join(criteria["code"]))
    low, high = criteria.get("minPrice"), criteria.get("maxPrice")
    if low is not None or high is not None:
        low_text, high_text = (display.money(price) if price is not None else "any" for price in (low, high))
        parts.append(f"{low_text} to {high_text}")
    if criteria.get("minBedrooms") is not None:
        parts.append(f"{criteria['minBedrooms']:g}+ bedrooms")
    if criteria.get("minBathrooms") is not None:
        parts.append(f"{criteria['minBathrooms']:g}+ bathrooms")
    return " · ".join(str(part) for part in parts) or None


def lead_details(viewer: User, contact: Contact, lead: Lead, can_see_info: bool) -> list[tuple[str, str]]:
    """What the consumer did, as (label, text) lines shared by the text and HTML parts; consumer
    text is masked like the contact's phones and emails (docs/product.md#masking)."""
    lines = [("Property", _property_line(lead)), ("Search", search_summary(lead)), ("Message", lead.message),
             ("Details", lead.description), ("Page", lead.page_url or lead.property_url), ("Source", lead.source)]
    return [(label, masking.text_for(viewer, contact, value, can_see_info)) for label, value in lines if value]


def _contact_name(contact: Contact) -> str:
    return contact.name or "A consumer"


def alert_subject(name: str, inquiry_type: str) -> str:
    return f"Lead alert: {name or 'A consumer'} — {inquiry_type}"


def _alerted(owner) -> bool:
    return owner is not None and owner.is_active_user


def wants_digest(owner, inquiry_type: str) -> bool:
    """Whether a new lead waits for its owner's next digest (set when the lead is recorded)."""
    return inquiry_type in DIGEST_INQUIRIES and _alerted(owner) and owner.digest_emails


QUEUE_ALERT = insert(OutboxMessage.__table__)


def alert_new_lead(owner, contact_id: int, contact_name: str, lead_id: int, inquiry_type: str) -> None:
    """The immediate alert, queued in the transaction that records the lead (one INSERT; the worker
    renders its body when it sends it, `render_alert`). Digest leads are flagged by `wants_digest`;
    `Unsubscribed` marks the contact instead (by the caller)."""
    if inquiry_type in IMMEDIATE_INQUIRIES and _alerted(owner):
        db.session.connection().execute(QUEUE_ALERT, dict(
            channel="email", kind="alert", recipient=owner.email, user_id=owner.id, contact_id=contact_id,
            lead_id=lead_id, subject=alert_subject(contact_name, inquiry_type)))


def needs_rendering(message: OutboxMessage) -> bool:
    return message.kind == "alert" and not message.body_text


def render_alerts(messages: list[OutboxMessage]) -> None:
    """Write queued alerts' bodies as each owner may read them now (docs/product.md#masking: phones and emails
    they may not see are `XXX`, in consumer text too), just before they are sent; their leads,
    contacts and owners are read together."""
    lead_ids = [message.lead_id for message in messages if message.lead_id is not None]
    leads = {lead.id: lead for lead in db.session.scalars(
        select(Lead).where(Lead.id.in_(lead_ids))
        .options(joinedload(Lead.contact).selectinload(Contact.emails), joinedload(Lead.contact)
                 .selectinload(Contact.phones)))}
    owners = {owner.id: owner for owner in db.session.scalars(
        select(User).where(User.id.in_({message.user_id for message in messages})))}
    for message in messages:
        _render_alert(message, leads.get(message.lead_id), owners.get(message.user_id))


def _render_alert(message: OutboxMessage, lead: Lead | None, owner: User | None) -> None:
    if lead is None or owner is None:
        message.body_text = "The lead of this alert was deleted before the alert was sent."
        return
    contact = lead.contact
    can_see = masking.can_see_contact_info(owner, contact)
    context = dict(
        owner=owner, contact=contact, lead=lead, name=_contact_name(contact), url=contact_url(contact.id),
        what=WHAT_THEY_DID[lead.inquiry_type], details=lead_details(owner, contact, lead, can_see),
        emails=masking.emails_for(owner, contact, can_see), phones=masking.phones_for(owner, contact, can_see),
    )
    message.subject = alert_subject(context["name"], lead.inquiry_type)
    message.body_text = render_template("emails/lead_alert.txt", **context)
    message.body_html = render_template("emails/lead_alert.html", **context)


PENDING = Lead.digest_pending == true()  # `= true` can use the index; `IS true` cannot on PostgreSQL


def _digest_due(now):
    return or_(User.last_digest_at.is_(None), User.last_digest_at <= now - DIGEST_INTERVAL)


def _drop_undeliverable_digest_leads() -> None:
    """Pending digest leads whose contact has no active owner wanting digests any more."""
    wanting = exists().where(User.id == Contact.owner_id, User.digest_emails.is_(True), User.is_active_user.is_(True))
    undeliverable = exists().where(Contact.id == Lead.contact_id, or_(~wanting, Contact.deleted_at.is_not(None)))
    db.session.execute(update(Lead).where(PENDING, undeliverable).values(digest_pending=False)
                       .execution_options(synchronize_session=False))


def _owners_due(now) -> list[int]:
    query = (select(Contact.owner_id).join(Lead, Lead.contact_id == Contact.id)
             .join(User, User.id == Contact.owner_id).where(PENDING, _digest_due(now)).distinct())
    return list(db.session.scalars(query))


def _claim_digest_turn(owner_id: int, now) -> bool:
    """Stamp the agent's digest time unless one went out within the hour; atomic across workers."""
    claimed = db.session.execute(update(User).where(User.id == owner_id, _digest_due(now)).values(last_digest_at=now)
                                 .execution_options(synchronize_session=False))
    return claimed.rowcount == 1


def _pending_leads(owner_id: int) -> list[tuple[int, int]]:
    """(lead id, contact id) of the agent's pending digest leads."""
    query = (select(Lead.id, Lead.contact_id).join(Contact, Contact.id == Lead.contact_id)
             .where(PENDING, Contact.owner_id == owner_id)
             .order_by(Contact.id, Lead.occurred_at, Lead.id))
    return list(db.session.execute(query).all())


def _digest_email(owner: User, pending: list[tuple[int, int]]) -> None:
    shown = [lead_id for lead_id, _contact_id in pending[:DIGEST_MAX_LEADS]]
    query = (select(Lead, Contact, masking.unmasked_condition(owner)).join(Contact, Contact.id == Lead.contact_id)
             .where(Lead.id.in_(shown)).order_by(Contact.id, Lead.occurred_at, Lead.id)
             .options(selectinload(Contact.emails), selectinload(Contact.phones)))
    groups: dict[int, dict] = {}
    for lead, contact, can_see in db.session.execute(query):
        group = groups.setdefault(contact.id, dict(name=_contact_name(contact), url=contact_url(contact.id), leads=[]))
        group["leads"].append(dict(lead=lead, what=WHAT_THEY_DID[lead.inquiry_type],
                                   details=lead_details(owner, contact, lead, bool(can_see))))
    contact_count = len({contact_id for _lead_id, contact_id in pending})
    context = dict(owner=owner, groups=list(groups.values()), more=len(pending) - len(shown),
                   leads_url=current_app.config["BASE_URL"] + "/contacts")
    subject = (f"Lead digest: {plural(len(pending), 'website activity', 'website activities')} "
               f"from {plural(contact_count, 'contact')}")
    outbox.enqueue_email(owner.email, subject, render_template("emails/lead_digest.txt", **context),
                         render_template("emails/lead_digest.html", **context), kind="digest", user=owner)


def send_digests() -> int:
    """Worker job: one digest email per agent with pending passive leads, at most one per hour."""
    now = clock.now()
    _drop_undeliverable_digest_leads()
    db.session.commit()
    sent = 0
    for owner_id in _owners_due(now):
        pending = _pending_leads(owner_id) if _claim_digest_turn(owner_id, now) else []
        if not pending:  # another worker's turn, or nothing left: keep the agent's hour unused
            db.session.rollback()
            continue
        _digest_email(db.session.get(User, owner_id), pending)
        lead_ids = [lead_id for lead_id, _contact_id in pending]
        db.session.execute(update(Lead).where(Lead.id.in_(lead_ids)).values(digest_pending=False)
                           .execution_options(synchronize_session=False))
        db.session.commit()
        sent += 1
    return sent
