"""Lead-flow rules: which agent gets a new website contact (crm/services/routing.py)."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm import clock
from crm.extensions import Model


class LeadFlowRule(Model):
    """Routes new contacts by source and/or zip to an agent; no match means round robin."""
    __tablename__ = "lead_flow_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    source: Mapped[str | None] = mapped_column(String(120))
    zip: Mapped[str | None] = mapped_column(String(10))
    assign_to_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    assign_to = relationship("User")
