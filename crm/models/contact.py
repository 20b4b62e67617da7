"""Contacts (consumers), their leads (one row per action), notes, sharing and the activity log."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm import clock
from crm.extensions import Model


def _zip_at_creation(context) -> str | None:
    return context.get_current_parameters().get("zip")


class Contact(Model):
    """A consumer, also the referral its owner works (lead type, referral status, action plan)."""
    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(80), default="")
    last_name: Mapped[str] = mapped_column(String(80), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    contact_status: Mapped[str] = mapped_column(String(20), default="Assigned", index=True)
    contact_type: Mapped[str] = mapped_column(String(20), default="Buyer", index=True)
    contact_source: Mapped[str] = mapped_column(String(60), default="Broker", index=True)
    business_source: Mapped[str | None] = mapped_column(String(60), index=True)
    priority: Mapped[str | None] = mapped_column(String(10), index=True)
    interest_level: Mapped[int] = mapped_column(default=0, index=True)
    time_frame: Mapped[str] = mapped_column(String(20), default="Unknown", index=True)
    lead_status: Mapped[str] = mapped_column(String(10), default="Active", index=True)
    lead_type: Mapped[str] = mapped_column(String(20), default="Active", index=True)
    referral_status: Mapped[str] = mapped_column(String(40), default="New", index=True)
    referral_status_changed_at: Mapped[datetime] = mapped_column(default=clock.now)
    update_requested_at: Mapped[datetime | None]

    buy_sell_rent: Mapped[str | None] = mapped_column(String(20))
    financing: Mapped[str | None] = mapped_column(String(20))
    prequalified: Mapped[bool] = mapped_column(default=False)
    lender_name: Mapped[str | None] = mapped_column(String(120))
    loan_officer_name: Mapped[str | None] = mapped_column(String(120))
    loan_officer_email: Mapped[str | None] = mapped_column(String(254))
    is_referral: Mapped[bool] = mapped_column(default=False)
    referral_source: Mapped[str | None] = mapped_column(String(120))

    street: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(80))
    state: Mapped[str | None] = mapped_column(String(2))
    zip: Mapped[str | None] = mapped_column(String(10), index=True)
    # The zip the first lead arrived with: decides zip sponsorship (docs/product.md#masking); no edit changes it.
    arrival_zip: Mapped[str | None] = mapped_column(String(10), default=_zip_at_creation)

    unsubscribed: Mapped[bool] = mapped_column(default=False)
    is_client: Mapped[bool] = mapped_column(default=False)
    archived_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]  # no index: SQLite would pick it for IS NULL over the sort index
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    action_plan_id: Mapped[int | None] = mapped_column(ForeignKey("action_plans.id"))
    plan_started_at: Mapped[datetime | None]
    plan_next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    plan_completed_at: Mapped[datetime | None]

    # Denormalised for the Leads list (docs/product.md#scale): never aggregate leads per page.
    last_inquiry_type: Mapped[str | None] = mapped_column(String(40))
    last_inquiry_at: Mapped[datetime | None] = mapped_column(index=True)
    last_activity_at: Mapped[datetime | None] = mapped_column(index=True)
    lead_count: Mapped[int] = mapped_column(default=0)
    # Lower-cased name, street, city, zip and MLS numbers for the Keyword box.
    search_text: Mapped[str] = mapped_column(Text, default="")

    created_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    owner = relationship("User", foreign_keys=[owner_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    emails: Mapped[list["ContactEmail"]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="ContactEmail.id")
    phones: Mapped[list["ContactPhone"]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="ContactPhone.id")

    __table_args__ = (
        Index("ix_contacts_last_first", "last_name", "first_name"),
        Index("ix_contacts_owner_last_inquiry", "owner_id", "last_inquiry_at"),
        # Referrals sub-tabs: an agent's counts and lists from the first, everyone's lists by the second.
        Index("ix_contacts_owner_referral", "owner_id", "referral_status", "referral_status_changed_at"),
        Index("ix_contacts_referral_changed", "referral_status_changed_at"),
        # The dashboard (crm/services/dashboard.py): referrals per day, and the open action plans.
        Index("ix_contacts_live_referral_changed", "referral_status_changed_at", "office_id", "owner_id",
              "referral_status", sqlite_where=text("archived_at IS NULL AND deleted_at IS NULL"),
              postgresql_where=text("archived_at IS NULL AND deleted_at IS NULL")),
        Index("ix_contacts_open_plan", "office_id", "owner_id",
              sqlite_where=text("action_plan_id IS NOT NULL AND plan_completed_at IS NULL"),
              postgresql_where=text("action_plan_id IS NOT NULL AND plan_completed_at IS NULL")),
        # Update requests (docs/product.md#lead-status) find the due referrals in this index alone.
        Index("ix_contacts_update_due", "lead_status", "referral_status_changed_at", "update_requested_at"),
    )

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ContactEmail(Model):
    __tablename__ = "contact_emails"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(String(254), index=True)  # stored lower-case
    contact: Mapped[Contact] = relationship(back_populates="emails")


class ContactPhone(Model):
    __tablename__ = "contact_phones"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(String(40))
    digits: Mapped[str] = mapped_column(String(20), index=True)  # for matching and search
    contact: Mapped[Contact] = relationship(back_populates="phones")


class ContactShare(Model):
    """Another agent the owner shared the contact with (Contact Status `Shared`)."""
    __tablename__ = "contact_shares"
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


# The Leads screen's other sorts and contact-level filters, per visibility (an agent's own leads, a
# manager's office, everyone's): the column, then the lead's date, so that one index range gives a
# column's sort in either direction, a filter's rows newest first, and its bounded count. The owner's
# name needs no index of an agent's own: it is the same on all their leads, which the date index orders.
LEAD_ROW_SORT_COLUMNS = {
    "name": ("contact_name_key",), "inquiry": ("inquiry_type",), "city": ("property_city", "property_street"),
    "status": ("contact_status",), "type": ("contact_type",), "source": ("contact_source",),
    "business": ("business_source",), "priority": ("priority_rank",), "stars": ("interest_level",),
    "frame": ("time_frame",), "lstatus": ("lead_status",), "ltype": ("lead_type",),
    "plan": ("plan_rank", "plan_next_due"), "owner": ("owner_name",),
}
LEAD_ROW_INDEXES = {
    f"ix_leads_{scope}_{key}": (*prefix, "contact_deleted", "contact_archived", *columns, "occurred_at", "id")
    for scope, prefix in (("own", ("owner_id",)), ("office", ("office_id",)), ("all", ()))
    for key, columns in LEAD_ROW_SORT_COLUMNS.items() if not (scope == "own" and key == "owner")
}


class Lead(Model):
    """One action a consumer took (docs/product.md#words-and-values): five showing requests are five leads."""
    __tablename__ = "leads"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    inquiry_type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column()
    source: Mapped[str | None] = mapped_column(String(120))
    system: Mapped[str | None] = mapped_column(String(60))
    message: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    property_street: Mapped[str | None] = mapped_column(String(200))
    property_city: Mapped[str | None] = mapped_column(String(80))
    property_state: Mapped[str | None] = mapped_column(String(2))
    property_zip: Mapped[str | None] = mapped_column(String(10))
    mls_number: Mapped[str | None] = mapped_column(String(40), index=True)
    property_id: Mapped[str | None] = mapped_column(String(40))
    price: Mapped[float | None] = mapped_column(Numeric(14, 2))
    property_url: Mapped[str | None] = mapped_column(String(500))
    property_type: Mapped[str | None] = mapped_column(String(60))
    bedrooms: Mapped[int | None]
    bathrooms: Mapped[float | None] = mapped_column(Numeric(4, 1))
    area: Mapped[int | None]
    search_criteria: Mapped[str | None] = mapped_column(Text)  # JSON of propertySearch
    campaign_source: Mapped[str | None] = mapped_column(String(120))
    campaign_medium: Mapped[str | None] = mapped_column(String(120))
    page_url: Mapped[str | None] = mapped_column(String(500))
    digest_pending: Mapped[bool] = mapped_column(default=False, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # The owner's first logged action at or after an immediate-class lead (speed to lead), kept by
    # database triggers (crm/services/dashboard_rollup.py).
    answered_at: Mapped[datetime | None]

    # Copies of the contact's fields, so that the Leads screen (one row per lead, docs/product.md#leads) filters,
    # sorts and checks visibility on this table alone. crm/services/lead_rows.py keeps them true.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    owner_name: Mapped[str | None] = mapped_column(String(120))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    contact_name_key: Mapped[str] = mapped_column(String(161), default="")  # lower "last first"
    contact_status: Mapped[str | None] = mapped_column(String(20))
    contact_type: Mapped[str | None] = mapped_column(String(20))
    contact_source: Mapped[str | None] = mapped_column(String(60))
    business_source: Mapped[str | None] = mapped_column(String(60))
    priority: Mapped[str | None] = mapped_column(String(10))
    priority_rank: Mapped[int] = mapped_column(default=9, server_default="9")  # Hot 0 ... none 9: Hot first
    interest_level: Mapped[int] = mapped_column(default=0)
    time_frame: Mapped[str | None] = mapped_column(String(20))
    lead_status: Mapped[str | None] = mapped_column(String(10))
    lead_type: Mapped[str | None] = mapped_column(String(20))
    contact_archived: Mapped[bool] = mapped_column(default=False)
    contact_deleted: Mapped[bool] = mapped_column(default=False)
    plan_rank: Mapped[int] = mapped_column(default=3, server_default="3")  # lead_rows.NO_PLAN
    plan_next_due: Mapped[datetime | None]

    contact: Mapped[Contact] = relationship()

    __table_args__ = (
        Index("ix_leads_contact_occurred", "contact_id", "occurred_at"),
        Index("ix_leads_inquiry_contact", "inquiry_type", "contact_id"),
        # Visibility first (an agent's own leads, a manager's office), then the live flags every
        # Leads query tests (so the bounded count reads the index alone), then the default sort.
        Index("ix_leads_owner_occurred", "owner_id", "contact_deleted", "contact_archived", "occurred_at", "id"),
        Index("ix_leads_office_occurred", "office_id", "contact_deleted", "contact_archived", "occurred_at", "id"),
        Index("ix_leads_live_occurred", "contact_deleted", "contact_archived", "occurred_at", "id"),
        Index("ix_leads_occurred_id", "occurred_at", "id"),
        Index("ix_leads_owner_inquiry_occurred", "owner_id", "inquiry_type", "occurred_at"),
        Index("ix_leads_inquiry_occurred", "inquiry_type", "occurred_at"),
        Index("ix_leads_name", "contact_name_key"),
        Index("ix_leads_property_zip", "property_zip"),
        Index("ix_leads_property_street", "property_street"),
        *(Index(name, *columns) for name, columns in LEAD_ROW_INDEXES.items()),
        Index("ix_leads_answered", "occurred_at", "owner_id", "office_id", "contact_deleted", "answered_at",
              sqlite_where=text("answered_at IS NOT NULL"), postgresql_where=text("answered_at IS NOT NULL")),
    )


class Note(Model):
    """A private note: only its author ever sees it (docs/product.md#referral-status)."""
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    __table_args__ = (Index("ix_notes_contact_author", "contact_id", "author_id"),)


class ActivityLog(Model):
    """Who did what and when; category `routing` entries form the routing log."""
    __tablename__ = "activity_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    category: Mapped[str] = mapped_column(String(20), default="activity")
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    actor = relationship("User")

    __table_args__ = (Index("ix_activity_contact_created", "contact_id", "created_at"),)
