"""Who sees which contact (SPEC §1): every lookup goes through here, so others' contacts are 404s."""
from sqlalchemy import ColumnElement, Select, exists, false, select, true

from crm.extensions import db
from crm.models import Contact, ContactShare, User


def visible_condition(viewer: User) -> ColumnElement[bool]:
    if viewer.role in ("broker", "concierge"):
        return true()
    if viewer.role == "manager":
        return Contact.office_id == viewer.office_id if viewer.office_id else false()
    shared_with_viewer = exists().where(
        ContactShare.contact_id == Contact.id, ContactShare.user_id == viewer.id)
    return (Contact.owner_id == viewer.id) | shared_with_viewer


def visible_contacts(viewer: User) -> Select:
    """Live (not trashed) contacts the viewer may see."""
    return select(Contact).where(Contact.deleted_at.is_(None), visible_condition(viewer))


def get_visible_contact(viewer: User, contact_id: int) -> Contact | None:
    return db.session.scalar(visible_contacts(viewer).where(Contact.id == contact_id))


def may_list_archived(viewer: User) -> bool:
    """Leads' `Archived` choice (SPEC §3.10): managers and up, and agents for their own contacts."""
    return viewer.role in ("agent", "manager", "broker")


def archived_condition(viewer: User) -> ColumnElement[bool]:
    """The archived contacts the `Archived` choice lists, within what the viewer sees."""
    if not may_list_archived(viewer):
        return false()
    mine = Contact.owner_id == viewer.id if viewer.role == "agent" else true()
    return Contact.archived_at.is_not(None) & mine
