"""The outbox (SPEC §4.8): messages are rows written in the caller's transaction, sent later by the worker."""
from crm.extensions import db
from crm.models import OutboxMessage, User


def enqueue_email(recipient: str, subject: str, body_text: str, body_html: str | None = None, *,
                  kind: str, user: User | None = None, contact_id: int | None = None) -> OutboxMessage:
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
