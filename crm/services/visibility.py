"""Who sees which contact (docs/product.md#roles): every lookup goes through here, so others' contacts are 404s."""
from sqlalchemy import ColumnElement, Select, exists, false, or_, select, true

from crm import policy
from crm.extensions import db
from crm.models import Contact, ContactShare, Lead, User


def visible_condition(viewer: User) -> ColumnElement[bool]:
    if policy.sees_every_office(viewer):
        return true()
    if policy.is_manager(viewer):
        return Contact.office_id == viewer.office_id if viewer.office_id else false()
    shared_with_viewer = exists().where(
        ContactShare.contact_id == Contact.id, ContactShare.user_id == viewer.id)
    return (Contact.owner_id == viewer.id) | shared_with_viewer


def visible_contacts(viewer: User) -> Select:
    """Live (not trashed) contacts the viewer may see."""
    return select(Contact).where(Contact.deleted_at.is_(None), visible_condition(viewer))


def get_visible_contact(viewer: User, contact_id: int) -> Contact | None:
    return db.session.scalar(visible_contacts(viewer).where(Contact.id == contact_id))


def visible_lead_condition(viewer: User) -> ColumnElement[bool]:
    """The same rule over the copies on `leads` (crm/services/lead_rows.py), so the Leads screen
    filters one table by its visibility-first indexes."""
    return or_(*visible_lead_branches(viewer))


def visible_lead_branches(viewer: User) -> list[ColumnElement[bool]]:
    """`visible_lead_condition` as disjoint parts, each answered from its own index: an agent's own
    leads, and those of contacts shared with them (an OR of the two would walk every lead)."""
    if policy.sees_every_office(viewer):
        return [true()]
    if policy.is_manager(viewer):
        return [Lead.office_id == viewer.office_id if viewer.office_id else false()]
    own = Lead.owner_id == viewer.id
    shared_with_viewer = select(ContactShare.contact_id).where(ContactShare.user_id == viewer.id)
    if db.session.scalar(shared_with_viewer.limit(1)) is None:
        return [own]
    return [own, Lead.contact_id.in_(shared_with_viewer) & ((Lead.owner_id != viewer.id) | Lead.owner_id.is_(None))]


def may_list_archived(viewer: User) -> bool:
    """Leads' `Archived` choice (docs/product.md#archive): managers and up, and agents for their own contacts."""
    return policy.may_list_archived(viewer)


def archived_condition(viewer: User) -> ColumnElement[bool]:
    """The archived contacts the `Archived` choice lists, within what the viewer sees."""
    if not may_list_archived(viewer):
        return false()
    mine = Contact.owner_id == viewer.id if policy.is_agent(viewer) else true()
    return Contact.archived_at.is_not(None) & mine


def archived_lead_condition(viewer: User) -> ColumnElement[bool]:
    """`archived_condition` over the lead copies: whose archived leads the `Archived` choice lists."""
    if not may_list_archived(viewer):
        return false()
    return Lead.owner_id == viewer.id if policy.is_agent(viewer) else true()


def _in_reach(viewer: User) -> ColumnElement[bool]:
    """Users of every office for those who see every office, of their own office for the others."""
    if policy.sees_every_office(viewer):
        return true()
    return User.office_id.is_(None) if viewer.office_id is None else User.office_id == viewer.office_id


def assignable_agents(viewer: User) -> list[User]:
    """The active agents the viewer may give a contact to (Add Lead, Hand Off, Share), by name: any
    agent for those who see every office, those of their own office for the others."""
    return list(db.session.scalars(
        select(User).where(User.is_agent, User.is_active_user.is_(True), _in_reach(viewer)).order_by(User.name)))


def owner_choices(viewer: User) -> list[tuple[int, str]]:
    """Leads' Owner filter, for managers and up: the agents (active or not) whose contacts they see."""
    if policy.is_agent(viewer):
        return []
    query = select(User.id, User.name).where(User.is_agent, _in_reach(viewer)).order_by(User.name)
    return [(agent_id, name) for agent_id, name in db.session.execute(query)]


def may_assign_to(viewer: User, agent: User) -> bool:
    return policy.sees_every_office(viewer) or agent.office_id == viewer.office_id
