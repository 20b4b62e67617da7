"""The dashboard's rollups (docs/product.md#dashboard): live leads counted per UTC hour, office and dimension,
kept by database triggers (crm/services/dashboard_rollup.py) so that every path that writes leads,
ORM or Core, keeps them exact. Triggers only append to `dashboard_count_changes` (no hot row to lock
under concurrent events); the worker folds the changes into `dashboard_counts`; readers add both."""
from datetime import date, datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import Model


class DashboardCount(Model):
    __tablename__ = "dashboard_counts"
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    scope_id: Mapped[int] = mapped_column(primary_key=True)  # the office, or for owner_* the owner; 0: none
    hour: Mapped[datetime] = mapped_column(primary_key=True)  # UTC, the start of the hour
    value: Mapped[str] = mapped_column(String(60), primary_key=True)
    leads: Mapped[int]

    __table_args__ = {"sqlite_with_rowid": False}  # stored in key order: a scope's hours are read in one range


class DashboardCountChange(Model):
    __tablename__ = "dashboard_count_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16))
    scope_id: Mapped[int]
    hour: Mapped[datetime]
    value: Mapped[str] = mapped_column(String(60))
    leads: Mapped[int]  # +n or -n


class DashboardDay(Model):
    """The folded hourly counts summed per local day of a zone in use (an office's or a person's), by
    the worker: a year is 365 rows per scope and value instead of 8,760."""
    __tablename__ = "dashboard_days"
    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    scope_id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(60), primary_key=True)
    leads: Mapped[int]

    __table_args__ = {"sqlite_with_rowid": False}


class DashboardZone(Model):
    """A zone whose `dashboard_days` are complete (built from the hourly counts, then kept by each fold)."""
    __tablename__ = "dashboard_zones"
    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
