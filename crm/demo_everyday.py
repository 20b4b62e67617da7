"""Demo data that shows the rest of the product from the demo accounts at once (docs/product.md#commands): real
shares behind the `Shared` status, the plan in use on most of agent@demo.test's referrals (some
tasks late), an `Unclaimed` offer in the concierge queue and a contact in the trash."""
from datetime import timedelta

from sqlalchemy import func, select, update

from crm import clock
from crm.models import Contact, User
from crm.services import action_plans, lead_rows, manage, offers, trash
from crm.services import contacts as contact_service

MOST_REFERRALS = 400  # enough to fill the lists; the plan's tasks are one INSERT … SELECT each
SHARED_WITH_AGENT2 = 8


def add_demo(session, users_by_email: dict[str, User]) -> None:
    needed = ("agent@demo.test", "agent2@demo.test", "broker@demo.test", "concierge@demo.test")
    if any(email not in users_by_email for email in needed):
        return
    agent, agent2, broker, concierge = (users_by_email[email] for email in needed)
    _shares(session, agent, agent2)
    _plans_on_most_referrals(session, agent)
    _unclaimed_offer(session, concierge)
    _in_the_trash(session, agent, broker)


def _contacts_of(session, owner: User, *conditions, limit: int) -> list[Contact]:
    query = (select(Contact).where(Contact.owner_id == owner.id, Contact.deleted_at.is_(None),
                                   Contact.archived_at.is_(None), *conditions)
             .order_by(Contact.id).limit(limit))
    return list(session.scalars(query))


def _shares(session, agent: User, agent2: User) -> None:
    """A few of agent@demo.test's contacts shared with agent2@demo.test, each through the share rule."""
    for contact in _contacts_of(session, agent, Contact.contact_status == "Assigned", limit=SHARED_WITH_AGENT2):
        manage.share(contact, agent, agent2)
    session.flush()


def _plans_on_most_referrals(session, agent: User) -> None:
    """The plan in use on agent@demo.test's referrals that have none, started 0-9 days ago, so that
    some show `On Time` and others `Late Task`."""
    plan = action_plans.plan_in_use()
    if plan is None or not plan.tasks:
        return
    now, first_due = clock.now(), min(task.due_days for task in plan.tasks)
    waiting = _contacts_of(session, agent, Contact.action_plan_id.is_(None), limit=MOST_REFERRALS)
    for number, contact in enumerate(waiting):
        start = now - timedelta(days=number % 10)
        action_plans.copy_plan_tasks(contact.id, plan.id, start)
        session.execute(update(Contact).where(Contact.id == contact.id).values(
            action_plan_id=plan.id, plan_started_at=start, plan_next_due_at=action_plans.deadline(start, first_due))
            .execution_options(synchronize_session=False))
    lead_rows.sync(session, [contact.id for contact in waiting])  # the Leads list's Action Plan sort


def _unclaimed_offer(session, concierge: User) -> None:
    """A converted lead in a zip no agent serves: nobody to offer it to, back in the queue."""
    if session.scalar(select(func.count()).select_from(Contact).where(Contact.last_name == "Unclaimed")):
        return
    consumer = contact_service.create_contact(
        None, emails=["uma.unclaimed@example.com"], phones=["555-019-7100"], first_name="Uma",
        last_name="Unclaimed", street="400 Far Away Rd", city="Plant City", state="FL", zip="33566")
    contact_service.record_lead(consumer, "Showing Request", message="Can someone show me this one Friday?")
    offers.convert_to_appointment(consumer, concierge, clock.now() + timedelta(days=3),
                                  "Wants a showing on Friday afternoon.")


def _in_the_trash(session, agent: User, broker: User) -> None:
    """One deleted contact, which the broker can restore from Settings › Trash."""
    for contact in _contacts_of(session, agent, Contact.contact_status == "Pending", limit=1):
        trash.move_to_trash(contact, broker)
