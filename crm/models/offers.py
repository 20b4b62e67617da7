"""Appointment offers with their claim window, and each agent's turn at one (crm/services/offers.py)."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm import clock
from crm.extensions import Model
from crm.models.values import OfferStatus, RecipientStatus


class AppointmentOffer(Model):
    """A converted appointment offered to agents (docs/product.md#offers-and-claims); mode `rebroadcast` offers to all
    at once."""
    __tablename__ = "appointment_offers"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    appointment_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
    mode: Mapped[str] = mapped_column(String(20), default="sequential")
    status: Mapped[str] = mapped_column(String(20), default=OfferStatus.OPEN, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    contact = relationship("Contact")
    recipients: Mapped[list["OfferRecipient"]] = relationship(
        back_populates="offer", order_by="OfferRecipient.rank", cascade="all, delete-orphan")


class OfferRecipient(Model):
    """One agent's turn at an offer."""
    __tablename__ = "offer_recipients"
    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("appointment_offers.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    rank: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default=RecipientStatus.WAITING)
    offered_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    responded_at: Mapped[datetime | None]

    offer: Mapped[AppointmentOffer] = relationship(back_populates="recipients")
    user = relationship("User")

    __table_args__ = (Index("ix_offer_recipients_offer_rank", "offer_id", "rank"),)
