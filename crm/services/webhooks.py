"""Webhooks out (docs/product.md#webhooks): events posted to the broker's subscribed URLs, signed per the
Standard Webhooks specification (the `standardwebhooks` package).

`emit` writes one outbox message (channel `webhook`) per interested subscription in the caller's
transaction, so a webhook is sent exactly when its cause is committed and gets the outbox's retries
and backoff. The payload holds what the subscription's creator may see (`masking`), never notes.
"""
import base64
import ipaddress
import json
import secrets
import socket
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import event, exists, insert, select
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from crm import clock
from crm.extensions import db
from crm.models import Contact, Lead, OutboxMessage, User, WebhookDelivery, WebhookSubscription
from crm.services import masking
from crm.services.errors import FieldError

EVENT_TYPES = ("contact.created", "contact.updated", "lead.created", "referral.status_changed", "offer.claimed")
TEST_EVENT = "webhook.test"
CHANNEL = "webhook"
TIMEOUT_SECONDS = 10
_CACHE_KEY = "webhook_subscriptions"


class WebhookError(FieldError):
    """Bad input for a subscription: the message is shown next to the field, nothing is stored."""


class Refused(Exception):
    """A delivery refused before sending (the URL now points at a private address)."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an instruction: following it could reach a private address."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


# --- Subscriptions -------------------------------------------------------------------------------

def _private_allowed() -> bool:
    """Tests post to a receiver on 127.0.0.1; nothing else may reach the brokerage's own network."""
    return bool(current_app.config.get("WEBHOOKS_ALLOW_PRIVATE"))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> str:
    """The URL if it is http(s) and every address of its host is public; WebhookError says why not."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError("Enter a URL that starts with https:// or http://.", "url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)}
    except (OSError, ValueError, UnicodeError):
        raise WebhookError(f"The host {parts.hostname} cannot be found.", "url") from None
    if not _private_allowed() and not all(_is_public(str(address)) for address in addresses):
        raise WebhookError(f"{parts.hostname} points at a private or local address; webhooks go to public "
                           "addresses only.", "url")
    return url


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def subscribe(creator: User, url: str, event_types: list[str]) -> WebhookSubscription:
    chosen = [name for name in EVENT_TYPES if name in event_types]
    if not chosen:
        raise WebhookError("Choose at least one event.", "event_types")
    subscription = WebhookSubscription(url=check_url(url), event_types=" ".join(chosen), secret=new_secret(),
                                       created_by_id=creator.id)
    db.session.add(subscription)
    return subscription


def subscriptions() -> list[WebhookSubscription]:
    return list(db.session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))


def unsubscribe(subscription: WebhookSubscription) -> None:
    db.session.delete(subscription)


# --- Emitting -------------------------------------------------------------------------------------

def _active_subscriptions() -> list[WebhookSubscription]:
    """Active subscriptions, read once per transaction (an import emits for thousands of rows)."""
    cached = db.session.info.get(_CACHE_KEY)
    if cached is None:
        cached = list(db.session.scalars(select(WebhookSubscription).where(WebhookSubscription.active.is_(True))))
        db.session.info[_CACHE_KEY] = cached
    return cached


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_subscriptions(session: Session) -> None:
    session.info.pop(_CACHE_KEY, None)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def contact_data(viewer: User, contact: Contact) -> dict:
    return {
        "id": contact.id, "firstName": contact.first_name, "lastName": contact.last_name,
        "emails": masking.emails_for(viewer, contact), "phones": masking.phones_for(viewer, contact),
        "ownerId": contact.owner_id, "officeId": contact.office_id,
        "contactStatus": contact.contact_status, "contactType": contact.contact_type,
        "contactSource": contact.contact_source, "businessSource": contact.business_source,
        "leadStatus": contact.lead_status, "leadType": contact.lead_type,
        "referralStatus": contact.referral_status, "zip": contact.zip,
        "createdAt": iso(contact.created_at), "updatedAt": iso(contact.updated_at),
    }


def lead_data(viewer: User, contact: Contact, lead: Lead) -> dict:
    return {
        "id": lead.id, "contactId": contact.id, "inquiryType": lead.inquiry_type,
        "occurredAt": iso(lead.occurred_at), "source": lead.source,
        "message": masking.text_for(viewer, contact, lead.message),
        "property": {"street": lead.property_street, "city": lead.property_city, "state": lead.property_state,
                     "code": lead.property_zip, "mlsNumber": lead.mls_number},
    }


def _payload(event_type: str, data: dict) -> str:
    return json.dumps({"type": event_type, "timestamp": iso(clock.now()), "data": data}, separators=(",", ":"))


def _message_values(url: str, event_type: str, body: str, contact_id: int | None) -> dict:
    return dict(channel=CHANNEL, kind=event_type[:30], recipient=url[:254], subject=event_type, body_text=body,
                contact_id=contact_id)


def _new_webhook_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _enqueue(subscription: WebhookSubscription, event_type: str, body: str, webhook_id: str,
             contact_id: int | None = None) -> WebhookDelivery:
    message = OutboxMessage(**_message_values(subscription.url, event_type, body, contact_id))
    delivery = WebhookDelivery(subscription=subscription, message=message, event_type=event_type,
                               webhook_id=webhook_id)
    db.session.add_all([message, delivery])
    return delivery


def any_subscription():
    """Scalar subquery: whether any subscription is active, for statements that read it beside others."""
    return exists().where(WebhookSubscription.active.is_(True))


def wanted(event_type: str) -> bool:
    return any(event_type in subscription.event_list for subscription in _active_subscriptions())


def _event_body(event_type: str, viewer: User, contact: Contact, lead: Lead | None, extra: dict) -> str:
    data = {"contact": contact_data(viewer, contact), **extra}
    if lead is not None:
        data["lead"] = lead_data(viewer, contact, lead)
    return _payload(event_type, data)


def emit(event_type: str, contact: Contact, lead: Lead | None = None, **extra) -> int:
    """Queue `event_type` about `contact` (and `lead`) for every subscription that wants it."""
    wanted = [s for s in _active_subscriptions() if event_type in s.event_list]
    for subscription in wanted:
        body = _event_body(event_type, subscription.created_by, contact, lead, extra)
        _enqueue(subscription, event_type, body, _new_webhook_id(), contact.id)
    return len(wanted)


# The contact's columns its payload and its masking read: a caller holding no Contact row (the events
# API) selects or returns these and passes an unsaved Contact made of them.
CONTACT_COLUMNS = tuple(getattr(Contact, name) for name in (
    "id", "first_name", "last_name", "owner_id", "office_id", "contact_status", "contact_type", "contact_source",
    "business_source", "lead_status", "lead_type", "referral_status", "zip", "created_at", "updated_at",
    "created_by_id", "arrival_zip"))
_SUBSCRIBERS = (select(WebhookSubscription.id, WebhookSubscription.url, WebhookSubscription.event_types,
                       User.id.label("viewer_id"), User.role, User.guaranteed_display)
                .join(User, User.id == WebhookSubscription.created_by_id)
                .where(WebhookSubscription.active.is_(True)))
_INSERT_MESSAGES = insert(OutboxMessage).returning(OutboxMessage.id, sort_by_parameter_order=True)
_INSERT_DELIVERIES = insert(WebhookDelivery)


def emit_together(events: list[tuple[str, Contact, Lead | None]]) -> None:
    """`emit` for a few events at once in three Core statements, no ORM object stored (the events API):
    the active subscriptions with what their creators may see, then every message and every delivery."""
    connection = db.session.connection()
    messages, deliveries = [], []
    for subscriber in connection.execute(_SUBSCRIBERS):
        viewer = User(id=subscriber.viewer_id, role=subscriber.role, guaranteed_display=subscriber.guaranteed_display)
        for event_type, contact, lead in events:
            if event_type in subscriber.event_types.split():
                body = _event_body(event_type, viewer, contact, lead, {})
                messages.append(_message_values(subscriber.url, event_type, body, contact.id))
                deliveries.append(dict(subscription_id=subscriber.id, event_type=event_type,
                                       webhook_id=_new_webhook_id()))
    if messages:
        message_ids = connection.execute(_INSERT_MESSAGES, messages).scalars().all()
        connection.execute(_INSERT_DELIVERIES, [dict(delivery, message_id=message_id)
                                                for delivery, message_id in zip(deliveries, message_ids, strict=True)])


def send_test_event(subscription: WebhookSubscription) -> WebhookDelivery:
    body = _payload(TEST_EVENT, {"message": "A test event from your lead CRM.", "subscriptionId": subscription.id})
    return _enqueue(subscription, TEST_EVENT, body, _new_webhook_id())


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the same event again (same `webhook-id`, so a receiver can tell it is a repeat)."""
    return _enqueue(delivery.subscription, delivery.event_type, delivery.message.body_text, delivery.webhook_id,
                    delivery.message.contact_id)


def deliveries(subscription: WebhookSubscription, limit: int = 100) -> list[WebhookDelivery]:
    query = (select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
             .order_by(WebhookDelivery.id.desc()).limit(limit))
    return list(db.session.scalars(query))


# --- Sending (called by the outbox's delivery for channel `webhook`) -----------------------------

def signed_headers(secret: str, webhook_id: str, body: str, moment: datetime) -> dict[str, str]:
    signature = Webhook(secret).sign(webhook_id, moment, body)
    return {"webhook-id": webhook_id, "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": signature, "Content-Type": "application/json",
            "User-Agent": "LeadCRM-Webhooks/1"}


def send(message: OutboxMessage) -> None:
    """POST the message to its subscription; any non-2xx answer raises (the outbox retries)."""
    delivery = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.message_id == message.id))
    if delivery is None or not delivery.subscription.active:
        raise Refused("the subscription was removed or paused")
    try:
        check_url(delivery.subscription.url)  # again: the host may point elsewhere by now
    except WebhookError as error:
        raise Refused(str(error)) from None
    headers = signed_headers(delivery.subscription.secret, delivery.webhook_id, message.body_text,
                             datetime.now(UTC))
    request = urllib.request.Request(delivery.subscription.url, data=message.body_text.encode(), method="POST",
                                     headers=headers)
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            delivery.response_code = response.status
    except urllib.error.HTTPError as error:
        delivery.response_code = error.code
        raise
