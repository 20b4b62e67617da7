"""Brokerage settings as key/JSON-value rows; defaults live in crm.services.settings."""
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import Model


class Setting(Model):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON
