"""Contact imports (docs/product.md#import-contacts): an uploaded file, its progress in the worker, what it added
(for `Undo import`) and the rows it skipped (for the report)."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm import clock
from crm.extensions import Model
from crm.models.values import ImportStatus


class ContactImport(Model):
    __tablename__ = "contact_imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    file_format: Mapped[str] = mapped_column(String(10))  # csv, xlsx
    encoding: Mapped[str | None] = mapped_column(String(20))
    headers: Mapped[str] = mapped_column(Text, default="[]")  # JSON list: a later file with the same reuses the mapping
    mapping: Mapped[str] = mapped_column(Text, default="{}")  # JSON: CRM field -> column index
    assign_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the lead-flow rules
    status: Mapped[str] = mapped_column(String(20), default=ImportStatus.UPLOADED, index=True)
    total_rows: Mapped[int] = mapped_column(default=0)
    rows_done: Mapped[int] = mapped_column(default=0)
    rows_created: Mapped[int] = mapped_column(default=0)
    rows_matched: Mapped[int] = mapped_column(default=0)
    rows_skipped: Mapped[int] = mapped_column(default=0)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    locked_until: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    undone_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    created_by = relationship("User", foreign_keys=[created_by_id])
    assign_to = relationship("User", foreign_keys=[assign_to_id])


class ImportedRecord(Model):
    """A lead an import added, and whether it created the lead's contact."""
    __tablename__ = "imported_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("contact_imports.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    created_contact: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (Index("ix_imported_records_import_contact", "import_id", "contact_id"),)


class ImportSkippedRow(Model):
    __tablename__ = "import_skipped_rows"
    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("contact_imports.id", ondelete="CASCADE"), index=True)
    row_number: Mapped[int]
    problems: Mapped[str] = mapped_column(Text)
    values: Mapped[str] = mapped_column(Text)  # JSON list of the row's cells


class ImportMapping(Model):
    """A column mapping saved under a name for the office's later uploads."""
    __tablename__ = "import_mappings"
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    name: Mapped[str] = mapped_column(String(60))
    mapping: Mapped[str] = mapped_column(Text)  # JSON: CRM field -> column header
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    __table_args__ = (UniqueConstraint("office_id", "name"),)
