"""Emails and texts written in the same transaction as their cause (docs/product.md#delivery)."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm import clock
from crm.extensions import Model
from crm.models.values import OutboxStatus


class OutboxMessage(Model):
    __tablename__ = "outbox_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # email, sms
    kind: Mapped[str] = mapped_column(String(30))  # alert, digest, offer, handoff, update_request, ...
    recipient: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    # A lead alert's lead: its body is rendered by the worker when it is sent (crm/services/alerts.py).
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=clock.now)
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    sent_at: Mapped[datetime | None]
    # When the broker was emailed about this message having failed (docs/product.md#delivery).
    failure_reported_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
