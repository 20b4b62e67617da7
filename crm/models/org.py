"""Offices, users and their territories (service zips, sponsorships, Guaranteed Display)."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from crm import clock, policy
from crm.extensions import Model

DEFAULT_TIME_ZONE = "America/New_York"


class Office(Model):
    __tablename__ = "offices"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIME_ZONE,
                                           server_default=DEFAULT_TIME_ZONE)  # an IANA name (docs/product.md#time)


class User(UserMixin, Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(256))  # empty: invited, no password chosen yet
    is_active_user: Mapped[bool] = mapped_column(default=True)
    guaranteed_display: Mapped[bool] = mapped_column(default=False)
    digest_emails: Mapped[bool] = mapped_column(default=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    time_zone: Mapped[str | None] = mapped_column(String(64))  # None: the office's zone
    last_offered_at: Mapped[datetime | None]
    last_digest_at: Mapped[datetime | None]
    last_routed_at: Mapped[datetime | None]  # round robin of new website contacts (docs/product.md#events-api)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # Part of every session cookie: raising it ends the user's sessions (sign-out, password change).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    office: Mapped[Office | None] = relationship()

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.is_active_user

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # What the user may see and do, as crm/policy.py rules it (templates read these). `is_agent` is
    # also a SQL condition: `select(User).where(User.is_agent)`.
    is_agent = hybrid_property(policy.is_agent)
    is_manager = property(policy.is_manager)
    is_concierge = property(policy.is_concierge)
    is_decider = property(policy.is_decider)
    works_concierge_desk = property(policy.works_concierge_desk)
    sees_every_office = property(policy.sees_every_office)
    acts_for_every_office = property(policy.acts_for_every_office)
    runs_settings = hybrid_property(policy.runs_settings)
    may_list_archived = property(policy.may_list_archived)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class ServiceZip(Model):
    """A zip code an agent serves: eligibility for appointment offers (docs/product.md#offers-and-claims)."""
    __tablename__ = "service_zips"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    zip: Mapped[str] = mapped_column(String(10), primary_key=True, index=True)


class ZipSponsorship(Model):
    """A zip code an agent sponsors: unmasks contacts there and ranks first (docs/product.md#masking,
    #offers-and-claims)."""
    __tablename__ = "zip_sponsorships"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    zip: Mapped[str] = mapped_column(String(10), primary_key=True, index=True)


class AccountToken(Model):
    """An invitation or password-reset link (docs/product.md#settings): one use, expiring, only its hash stored."""
    __tablename__ = "account_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # "invitation" or "reset"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    user: Mapped[User] = relationship()


class SignInFailure(Model):
    """One failed sign-in, kept 15 minutes for throttling (docs/product.md#trust); in the database so that every
    process sees the same count."""
    __tablename__ = "sign_in_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    failed_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
