"""Smart Lists (docs/product.md#leads): a saved Leads search, private or shared with the owner's office."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm import clock
from crm.extensions import Model

NAME_MAX = 80


class SmartList(Model):
    __tablename__ = "smart_lists"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    shared_office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    query: Mapped[str] = mapped_column(Text, default="")  # the Leads URL's query string
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    __table_args__ = (UniqueConstraint("owner_id", "name"),)
