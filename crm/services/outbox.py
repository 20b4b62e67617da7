"""The outbox (docs/product.md#delivery): messages are rows written in the caller's transaction, sent later by the
worker."""
from sqlalchemy import select

from crm.extensions import db
from crm.models import Contact, ContactEmail, OutboxMessage, User


def is_unsubscribed_consumer(address: str) -> bool:
    """Whether the address is an email of a contact who unsubscribed (docs/product.md#words-and-values,
    `Unsubscribed`)."""
    query = (select(ContactEmail.id).join(Contact, Contact.id == ContactEmail.contact_id)
             .where(ContactEmail.value == address.strip().lower(), Contact.unsubscribed.is_(True)).limit(1))
    return db.session.scalar(query) is not None


def enqueue_email(recipient: str, subject: str, body_text: str, body_html: str | None = None, *,
                  kind: str, user: User | None = None, contact_id: int | None = None) -> OutboxMessage | None:
    """Queue an email; None when it would go to a consumer who unsubscribed (docs/product.md#everyday-use). Emails to
    the CRM's users (`user`), such as agents' alerts about that consumer, always go."""
    if user is None and is_unsubscribed_consumer(recipient):
        return None
    message = OutboxMessage(channel="email", kind=kind, recipient=recipient, subject=subject,
                            body_text=body_text, body_html=body_html,
                            user_id=user.id if user else None, contact_id=contact_id)
    db.session.add(message)
    return message


def enqueue_sms(recipient: str, body_text: str, *, kind: str, user: User | None = None,
                contact_id: int | None = None) -> OutboxMessage:
    message = OutboxMessage(channel="sms", kind=kind, recipient=recipient, body_text=body_text,
                            user_id=user.id if user else None, contact_id=contact_id)
    db.session.add(message)
    return message
