"""Users, offices and the source values, managed by the broker (docs/product.md#settings).

A deactivated user cannot sign in and gets no leads, offers or digests (every query that picks a
user asks for `is_active_user`); their contacts stay where they are for a manager to hand off.
"""
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Contact, Office, User
from crm.models.values import BUSINESS_SOURCES, CONTACT_SOURCES, ROLES
from crm.services import activity, local_time, offers, passwords, settings
from crm.services.errors import FieldError

SOURCE_SETTINGS = {"contact_sources": CONTACT_SOURCES, "business_sources": BUSINESS_SOURCES}
SOURCE_LENGTH = 60  # the contacts' column size


def state_of(user: User) -> str:
    if not user.is_active_user:
        return "Deactivated"
    return "Active" if user.password_hash else "Invited"


def all_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.is_active_user.desc(), User.name, User.id)))


def all_offices() -> list[Office]:
    return list(db.session.scalars(select(Office).order_by(Office.name)))


def _office_or_error(office_id: int | None) -> Office | None:
    office = db.session.get(Office, office_id) if office_id else None
    if office_id and office is None:
        raise FieldError("Choose one of the offices.", "office")
    return office


def _role_or_error(role: str) -> str:
    if role not in ROLES:
        raise FieldError(f"Choose one of the roles: {', '.join(ROLES)}.", "role")
    return role


def invite(actor: User, name: str, email: str, role: str, office_id: int | None) -> User:
    """A new user without a password (none matches an empty hash) until they follow the emailed link."""
    email = email.strip().lower()
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise FieldError("A user with this email already exists.", "email")
    user = User(name=name.strip(), email=email, role=_role_or_error(role), office=_office_or_error(office_id),
                password_hash="")
    db.session.add(user)
    db.session.flush()
    passwords.send_invitation(user)
    activity.log(None, actor, "User invited", f"{user.name} <{user.email}> as {user.role}", category="settings")
    return user


def change_role_and_office(actor: User, user: User, role: str, office_id: int | None) -> None:
    user.role, user.office = _role_or_error(role), _office_or_error(office_id)
    activity.log(None, actor, "User changed", f"{user.email}: {user.role}"
                 f"{', ' + user.office.name if user.office else ''}", category="settings")


def set_active(actor: User, user: User, active: bool) -> None:
    if user.id == actor.id and not active:
        raise FieldError("You cannot deactivate yourself.")
    user.is_active_user = active
    if not active:
        offers.end_turns_of(user)
    activity.log(None, actor, "User reactivated" if active else "User deactivated", user.email, category="settings")


def contacts_owned_by(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Contact)
                             .where(Contact.owner_id == user.id, Contact.deleted_at.is_(None))) or 0


def _zone_or_error(zone: str) -> str:
    zone = zone.strip()
    if not local_time.is_zone_name(zone):
        raise FieldError("Enter an IANA time zone name, such as America/New_York.", "time_zone")
    return zone


def _office_name_or_error(name: str, office: Office | None = None) -> str:
    name = name.strip()
    if not name:
        raise FieldError("Enter the office's name.", "name")
    taken = select(Office.id).where(func.lower(Office.name) == name.lower(), Office.id != (office.id if office else 0))
    if db.session.scalar(taken) is not None:
        raise FieldError("Another office has this name.", "name")
    return name


def add_office(actor: User, name: str, time_zone: str) -> Office:
    office = Office(name=_office_name_or_error(name), time_zone=_zone_or_error(time_zone))
    db.session.add(office)
    activity.log(None, actor, "Office added", f"{office.name} ({office.time_zone})", category="settings")
    return office


def update_office(actor: User, office: Office, name: str, time_zone: str) -> None:
    office.name, office.time_zone = _office_name_or_error(name, office), _zone_or_error(time_zone)
    activity.log(None, actor, "Office changed", f"{office.name} ({office.time_zone})", category="settings")


def set_personal_zone(user: User, time_zone: str) -> None:
    """A user's own zone; empty means their office's."""
    user.time_zone = _zone_or_error(time_zone) if time_zone.strip() else None


def set_sources(actor: User, key: str, text: str) -> list[str]:
    """The values of one source field, one per line. The built-in values (docs/product.md#words-and-values) stay: the
    broker adds more."""
    values = list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))
    missing = [value for value in SOURCE_SETTINGS[key] if value not in values]
    if missing:
        raise FieldError(f"{', '.join(missing)} cannot be removed: they are built in.", key)
    too_long = [value for value in values if len(value) > SOURCE_LENGTH]
    if too_long:
        raise FieldError(f"A value can have at most {SOURCE_LENGTH} characters: {too_long[0][:20]}…", key)
    settings.put(key, values)
    activity.log(None, actor, "Sources changed", f"{key.replace('_', ' ').capitalize()}: {', '.join(values)}",
                 category="settings")
    return values
