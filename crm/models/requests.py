"""An agent's Delete or Archive request, decided by a manager (docs/product.md#requests, #manage-actions)."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm import clock
from crm.extensions import Model
from crm.models.values import RequestStatus


class ManageRequest(Model):
    __tablename__ = "manage_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # Delete, Archive
    status: Mapped[str] = mapped_column(String(20), default=RequestStatus.PENDING)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    contact = relationship("Contact")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (
        Index("ix_manage_requests_contact_status", "contact_id", "status"),
        Index("ix_manage_requests_office_status", "office_id", "status"),
    )
