"""Demo data for the everyday-use screens (docs/product.md#archive, #commands): an archived contact of agent@demo.test,
found under Leads › Archived and brought back with `Unarchive`."""
from sqlalchemy import select

from crm.models import Contact, User
from crm.services import contacts as contact_service
from crm.services import manage


def add_demo(session, users_by_email: dict[str, User]) -> None:
    agent, manager = users_by_email.get("agent@demo.test"), users_by_email.get("manager@demo.test")
    if agent is None or manager is None:
        return
    if session.scalar(select(Contact.id).where(Contact.first_name == "Archie", Contact.last_name == "Archived")):
        return
    contact = contact_service.create_contact(
        None, emails=["archie.archived@example.com"], phones=["555-010-4242"], first_name="Archie",
        last_name="Archived", owner_id=agent.id, office_id=agent.office_id, zip="33602", city="Tampa")
    contact_service.record_lead(contact, "Property Inquiry")
    session.flush()
    manage.archive_contact(contact, manager)
