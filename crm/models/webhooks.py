"""Webhooks out (docs/product.md#webhooks): a broker's subscriptions, and each event sent to one of them.
The sending itself is an outbox message (channel `webhook`), so it has the outbox's retries."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm import clock
from crm.extensions import Model


class WebhookSubscription(Model):
    __tablename__ = "webhook_subscriptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    event_types: Mapped[str] = mapped_column(String(300))  # space-separated
    secret: Mapped[str] = mapped_column(String(100))  # whsec_…, needed in clear to sign
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # payloads show what this user sees
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    created_by = relationship("User")

    @property
    def event_list(self) -> list[str]:
        return self.event_types.split()


class WebhookDelivery(Model):
    """One event for one subscription; `message` carries it through the outbox."""
    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id", ondelete="CASCADE"), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    webhook_id: Mapped[str] = mapped_column(String(40))  # the `webhook-id` header: the same on redelivery
    response_code: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    subscription: Mapped[WebhookSubscription] = relationship()
    message = relationship("OutboxMessage")
