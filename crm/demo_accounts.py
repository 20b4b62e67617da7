"""Demo data of the accounts area (docs/product.md#commands): office time zones, a deactivated agent whose contacts
stay for a manager to hand off, a user still to accept their invitation, and the contacts whose
`Unsubscribed` lead marks them unsubscribed."""
from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from crm.models import Contact, Lead, Office, User
from crm.services import lead_rows, passwords

OFFICE_ZONES = {"Downtown": "America/New_York", "Westshore": "America/Chicago"}
FORMER_AGENT = ("former.agent@demo.test", "Frankie Former")
INVITED_AGENT = ("new.agent@demo.test", "Nora Newhire")
FORMER_AGENT_CONTACTS = 6


def add_demo(session: Session, users_by_email: dict[str, User]) -> None:
    for office in session.scalars(select(Office).where(Office.name.in_(OFFICE_ZONES))):
        office.time_zone = OFFICE_ZONES[office.name]
    mark_unsubscribed_contacts(session)
    manager = users_by_email.get("manager@demo.test")
    if manager is None or session.scalar(select(User.id).where(User.email == FORMER_AGENT[0])):
        return
    former = User(email=FORMER_AGENT[0], name=FORMER_AGENT[1], role="agent", office_id=manager.office_id,
                  is_active_user=False, password_hash="")
    invited = User(email=INVITED_AGENT[0], name=INVITED_AGENT[1], role="agent", office_id=manager.office_id,
                   password_hash="")
    session.add_all([former, invited])
    session.flush()
    passwords.send_invitation(invited)
    handed_over = (select(Contact.id).join(User, User.id == Contact.owner_id)
                   .where(User.office_id == manager.office_id, User.role == "agent",
                          User.email.not_in(["agent@demo.test", "agent2@demo.test"]))
                   .order_by(Contact.id).limit(FORMER_AGENT_CONTACTS))
    handed_ids = list(session.scalars(handed_over))
    session.execute(update(Contact).where(Contact.id.in_(handed_ids))
                    .values(owner_id=former.id).execution_options(synchronize_session=False))
    lead_rows.sync(session, handed_ids)  # the Leads list's rows follow their contacts


def mark_unsubscribed_contacts(session: Session) -> None:
    """Contacts with an `Unsubscribed` lead (bulk-loaded leads skip the rule that marks them)."""
    has_unsubscribed_lead = exists().where(Lead.contact_id == Contact.id, Lead.inquiry_type == "Unsubscribed")
    session.execute(update(Contact).where(Contact.unsubscribed.is_(False), has_unsubscribed_lead)
                    .values(unsubscribed=True).execution_options(synchronize_session=False))
