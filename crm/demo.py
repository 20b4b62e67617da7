"""Demo data (`flask --app crm demo`): realistic contacts and leads, inserted in bulk."""
import random
from datetime import timedelta

from faker import Faker
from sqlalchemy import func, insert, select, text, update

from crm import clock
from crm.extensions import db
from crm.models import Contact, ContactEmail, ContactPhone, Lead, Office, ServiceZip, User, ZipSponsorship
from crm.models import values as v

PASSWORD = "demo1234"
ZIPS = ["33602", "33603", "33604", "33606", "33609", "33611", "33612", "33614", "33618", "33629"]
DEMO_USERS = [
    ("broker@demo.test", "Brenda Broker", "broker", "Downtown"),
    ("manager@demo.test", "Marcus Manager", "manager", "Downtown"),
    ("concierge@demo.test", "Connie Concierge", "concierge", "Downtown"),
    ("agent@demo.test", "Alex Agent", "agent", "Downtown"),
    ("agent2@demo.test", "Avery Agent", "agent", "Downtown"),
]
MORE_AGENTS = 8
CHUNK = 5000


def _users(fake: Faker) -> list[User]:
    offices = {name: Office(name=name) for name in ("Downtown", "Westshore")}
    users = [User(email=email, name=name, role=role, office=offices[office])
             for email, name, role, office in DEMO_USERS]
    users.append(User(email="manager.west@demo.test", name="Wendy West", role="manager", office=offices["Westshore"]))
    for n in range(MORE_AGENTS):
        office = offices["Downtown" if n % 2 else "Westshore"]
        users.append(User(email=f"agent{n + 3}@demo.test", name=fake.name(), role="agent", office=office,
                          guaranteed_display=(n == 0)))
    for user in users:
        user.set_password(PASSWORD)
        user.phone = fake.numerify("555-###-####")
    db.session.add_all(users)
    db.session.flush()
    return users


def _territories(agents: list[User], rng: random.Random) -> None:
    """Every agent serves a few zips; the first two zips are sponsored by agent@demo.test."""
    for agent in agents:
        for zip_code in rng.sample(ZIPS, 4) if agent.email != "agent@demo.test" else ZIPS[:5]:
            db.session.add(ServiceZip(user_id=agent.id, zip=zip_code))
    alex = next(agent for agent in agents if agent.email == "agent@demo.test")
    db.session.add_all([ZipSponsorship(user_id=alex.id, zip=zip_code) for zip_code in ZIPS[:2]])


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _bulk(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(model), rows[start:start + CHUNK])


def _reset_sequences() -> None:
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("contacts", "contact_emails", "contact_phones", "leads"):
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"))


def _contact_row(contact_id: int, fake: Faker, rng: random.Random, agents: list[User], now) -> dict:
    owner = rng.choice(agents)
    first, last = fake.first_name(), fake.last_name()
    street, city, zip_code = fake.street_address(), "Tampa", rng.choice(ZIPS)
    status = rng.choice(v.REFERRAL_STATUSES)
    created = now - timedelta(days=rng.randint(1, 400), minutes=rng.randint(0, 1440))
    return dict(
        id=contact_id, first_name=first, last_name=last, owner_id=owner.id, office_id=owner.office_id,
        created_by_id=owner.id if rng.random() < 0.2 else None,
        contact_status=rng.choice(v.CONTACT_STATUSES), contact_type=rng.choice(v.CONTACT_TYPES),
        contact_source=rng.choice(v.CONTACT_SOURCES), business_source=rng.choice(v.BUSINESS_SOURCES),
        priority=rng.choice(v.PRIORITIES), interest_level=rng.randint(0, 5), time_frame=rng.choice(v.TIME_FRAMES),
        lead_status=rng.choice(v.LEAD_STATUSES), lead_type="Appointment" if rng.random() < 0.25 else "Active",
        referral_status=status, referral_status_changed_at=created,
        buy_sell_rent=rng.choice(v.BUY_SELL_RENT), financing=rng.choice(v.FINANCING),
        prequalified=rng.random() < 0.3, street=street, city=city, state="FL", zip=zip_code,
        created_at=created, updated_at=created, lead_count=0,
        search_text=f"{first} {last} {street} {city} {zip_code}".lower(),
    )


def _lead_row(lead_id: int, contact: dict, fake: Faker, rng: random.Random, now) -> dict:
    inquiry = rng.choice(v.INQUIRY_TYPES)
    occurred = now - timedelta(days=rng.randint(0, 365), minutes=rng.randint(0, 1440))
    has_property = inquiry in ("Property Inquiry", "Showing Request", "Saved Property", "Viewed Property")
    return dict(
        id=lead_id, contact_id=contact["id"], inquiry_type=inquiry, occurred_at=occurred, created_at=occurred,
        source=rng.choice(["smithandassociates.com", "Realtor.com", "agent site"]),
        message=fake.sentence(nb_words=10) if inquiry in v.IMMEDIATE_INQUIRIES else None,
        property_street=fake.street_address() if has_property else None,
        property_city="Tampa" if has_property else None,
        property_zip=contact["zip"] if has_property else None,
        mls_number=f"T{rng.randint(100000, 999999)}" if has_property else None,
        price=rng.randrange(150_000, 1_500_000, 5_000) if has_property else None, digest_pending=False,
    )


def _apply_lead(contact: dict, lead: dict) -> None:
    """Keep the denormalised list columns true while generating."""
    contact["lead_count"] += 1
    if contact.get("last_inquiry_at") is None or lead["occurred_at"] >= contact["last_inquiry_at"]:
        contact["last_inquiry_at"] = contact["last_activity_at"] = lead["occurred_at"]
        contact["last_inquiry_type"] = lead["inquiry_type"]
    if lead["mls_number"]:
        contact["search_text"] += f" mls:{lead['mls_number'].lower()}"


def load(contact_count: int, lead_count: int, seed: int) -> str:
    fake, rng, now = Faker("en_US"), random.Random(seed), clock.now()
    fake.seed_instance(seed)
    users = list(db.session.scalars(select(User))) or _users(fake)
    agents = [user for user in users if user.role == "agent"]
    if not db.session.scalar(select(ServiceZip.user_id).limit(1)):
        _territories(agents, rng)
    first_contact, first_lead = _next_id(Contact), _next_id(Lead)
    first_email, first_phone = _next_id(ContactEmail), _next_id(ContactPhone)
    contacts = [_contact_row(first_contact + i, fake, rng, agents, now) for i in range(contact_count)]
    leads = [_lead_row(first_lead + i, contacts[i % contact_count] if i < contact_count else rng.choice(contacts),
                       fake, rng, now) for i in range(lead_count)]
    for lead in leads:
        _apply_lead(contacts[lead["contact_id"] - first_contact], lead)
    emails = [dict(id=first_email + i, contact_id=c["id"],
                   value=f"{c['first_name']}.{c['last_name']}{c['id']}@example.com".lower())
              for i, c in enumerate(contacts)]
    phones = [dict(id=first_phone + i, contact_id=c["id"], value=value, digits=value.replace("-", ""))
              for i, c in enumerate(contacts) for value in [fake.numerify("555-###-####")]]
    _bulk(Contact, contacts)
    _bulk(ContactEmail, emails)
    _bulk(ContactPhone, phones)
    _bulk(Lead, leads)
    _reset_sequences()
    _demo_referrals(users, now)
    _demo_alerts(users, now)
    _demo_controls(users, now)
    db.session.commit()
    db.session.execute(text("ANALYZE"))  # fresh statistics, so the planner picks the sort indexes
    db.session.commit()
    return (f"Loaded {contact_count} contacts and {lead_count} leads. "
            f"Sign in as any of {', '.join(email for email, *_ in DEMO_USERS)} with password {PASSWORD}.")


# Referrals of agent@demo.test in every sub-tab, masked and unmasked (SPEC §6): (first, last, zip,
# lead type, referral status). 33602/33603 are sponsored by agent@demo.test, so those are unmasked.
DEMO_REFERRALS = [
    ("Maya", "Masked", "33611", "Active", "New"),
    ("Sam", "Sponsored", "33602", "Active", "Attempted Contact"),
    ("Paula", "Promoted", "33612", "Active", "In Progress"),  # moved by the agent: stays masked (seed 003)
    ("Ulysses", "Unlocked", "33614", "Appointment", "Appointment Set"),
    ("Leo", "Lost", "33618", "Active", "Sold With Another Agent"),
    ("Wendy", "Winner", "33629", "Appointment", "Closed"),
    ("Nina", "Notworkable", "33609", "Active", "Not Workable"),
]


def _demo_referrals(users: list[User], now) -> None:
    """Named referrals for agent@demo.test and an open appointment offer waiting for them."""
    from crm.services import contacts as contact_service
    from crm.services import offers

    alex = next((user for user in users if user.email == "agent@demo.test"), None)
    concierge = next((user for user in users if user.role == "concierge"), None)
    loaded_before = select(ContactEmail.id).where(ContactEmail.value == "maya.masked@example.com")
    if alex is None or db.session.scalar(loaded_before):
        return
    for n, (first, last, zip_code, lead_type, status) in enumerate(DEMO_REFERRALS):
        contact = contact_service.create_contact(
            None, emails=[f"{first}.{last}@example.com".lower()], phones=[f"555-01{n}-{1000 + n}"],
            first_name=first, last_name=last, owner_id=alex.id, street=f"{100 + n} Bayshore Blvd", city="Tampa",
            state="FL", zip=zip_code, lead_type=lead_type, referral_status=status,
            referral_status_changed_at=now - timedelta(days=3 + n))
        contact_service.record_lead(contact, "Seller Inquiry", occurred_at=now - timedelta(days=3 + n),
                                    message="What is my home worth?")
    if concierge is None:
        return
    consumer = contact_service.create_contact(
        None, emails=["olivia.offer@example.com"], phones=["555-019-9000"], first_name="Olivia",
        last_name="Offer", street="7 Davis Blvd", city="Tampa", state="FL", zip="33603")
    contact_service.record_lead(consumer, "Seller Inquiry", occurred_at=now - timedelta(hours=2),
                                message="Cash offer for my house, please call me.")
    offer = offers.convert_to_appointment(consumer, concierge, now + timedelta(days=2),
                                          "Seller wants a valuation before listing in spring.")
    # A demo offer must still be open when a newcomer signs in, long after the 30-minute window.
    for recipient in offer.recipients:
        if recipient.status == "Offered":
            recipient.expires_at = now + timedelta(days=30)


def _demo_website_events(now) -> list[dict]:
    """One consumer's visit to the brokerage's website, as the events API receives it."""
    when = lambda minutes: (now - timedelta(minutes=minutes)).isoformat() + "Z"  # noqa: E731
    person = {"firstName": "Winston", "lastName": "Website", "emails": [{"value": "winston.website@example.com"}],
              "phones": [{"value": "555-014-7788"}]}
    oak = {"street": "12 Oak St", "city": "Tampa", "state": "FL", "code": "33606", "mlsNumber": "T123456",
           "price": 450000, "bedrooms": 3, "bathrooms": 2, "area": 1800}
    base = {"source": "smithandassociates.com", "system": "IDX", "person": person}
    return [
        {**base, "type": "Registration", "occurredAt": when(95)},
        {**base, "type": "Property Search", "occurredAt": when(90),
         "propertySearch": {"city": "Tampa", "code": ["33606"], "minPrice": 300000, "maxPrice": 500000,
                            "minBedrooms": 3}},
        {**base, "type": "Viewed Property", "occurredAt": when(85), "property": oak},
        {**base, "type": "Saved Property", "occurredAt": when(80), "property": oak},
        {**base, "type": "Showing Request", "occurredAt": when(75), "property": oak,
         "message": "Can I see it Saturday morning?"},
    ]


def _demo_alerts(users: list[User], now) -> None:
    """Lead-flow rules, website activity recorded as the events API does (alerts and a digest
    included), and a notification log with sent, waiting-to-retry and failed messages."""
    from crm.models import LeadFlowRule, OutboxMessage
    from crm.services import delivery, events, outbox

    by_email = {user.email: user for user in users}
    alex, avery = by_email.get("agent@demo.test"), by_email.get("agent2@demo.test")
    if alex is None or avery is None or db.session.scalar(select(LeadFlowRule.id).limit(1)):
        return
    db.session.add_all([LeadFlowRule(position=1, source="smithandassociates.com", assign_to_id=alex.id),
                        LeadFlowRule(position=2, zip="33629", assign_to_id=avery.id)])
    for body in _demo_website_events(now):
        events.record_event(events.parse_event(body))
    for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "alert")):
        message.status, message.attempts, message.sent_at = "sent", 1, now - timedelta(minutes=74)
    waiting = outbox.enqueue_email(avery.email, "Lead alert: Gina Garcia — Property Inquiry",
                                   "Gina Garcia asked a question about a property.", kind="alert", user=avery)
    waiting.attempts, waiting.next_attempt_at = 9, now + delivery.BACKOFF_MAX
    waiting.last_error = "ConnectionRefusedError: [Errno 111] Connection refused"
    failed = outbox.enqueue_email("former.agent@demo.test", "Lead alert: Hugo Hill — Incoming Call",
                                  "Hugo Hill called the brokerage.", kind="alert")
    failed.status, failed.attempts = "failed", delivery.ATTEMPTS_BEFORE_FAILING
    failed.last_error = "SMTPRecipientsRefused: 550 5.1.1 <former.agent@demo.test>: mailbox unavailable"


DEMO_PLAN_TASKS = [("Call", "Introduce yourself", 0), ("Email", "Send matching listings", 1),
                   ("Text", "Check in", 3), ("Call", "Ask about their timing", 7), ("Meeting", "Meet in person", 14)]
# agent@demo.test's referrals on the plan: (first name, days since the plan started, tasks done).
DEMO_PLAN_PROGRESS = [("Sam", 0, 0), ("Ulysses", 3, 3), ("Maya", 2, 0), ("Paula", 20, 5), ("Wendy", 12, 0)]


def _demo_controls(users: list[User], now) -> None:
    """The action plan in use with tasks on time, late and completed for agent@demo.test (one
    referral Ignored for its manager), and pending Archive/Delete requests for manager@demo.test."""
    from crm.models import ActionPlan, ActionPlanTask, ContactTask
    from crm.services import action_plans, requests, settings

    by_email = {user.email: user for user in users}
    alex, avery = by_email.get("agent@demo.test"), by_email.get("agent2@demo.test")
    if alex is None or avery is None or db.session.scalar(select(ActionPlan.id).limit(1)):
        return
    plan = ActionPlan(name="New Lead Follow-Up", tasks=[
        ActionPlanTask(kind=kind, title=title, due_days=days, position=n)
        for n, (kind, title, days) in enumerate(DEMO_PLAN_TASKS)])
    db.session.add(plan)
    db.session.flush()
    settings.put("plan_in_use_id", plan.id)
    for first, days_ago, done in DEMO_PLAN_PROGRESS:
        contact = db.session.scalar(select(Contact).where(Contact.owner_id == alex.id, Contact.first_name == first))
        if contact is None:
            continue
        action_plans.start_plan(contact, plan, start=now - timedelta(days=days_ago))
        for task in action_plans.tasks_of(contact)[:done]:
            action_plans.set_task_done(contact, task.id, alex, done=True)
            db.session.execute(update(ContactTask).where(ContactTask.id == task.id)
                               .values(done_at=min(task.due_at, now) - timedelta(hours=2)))
    leo = db.session.scalar(select(Contact).where(Contact.owner_id == alex.id, Contact.first_name == "Leo"))
    if leo is not None:
        requests.create(leo, alex, "Archive", "Sold with another agent: nothing left to work on.")
    other = db.session.scalar(select(Contact).where(Contact.owner_id == avery.id).order_by(Contact.id).limit(1))
    if other is not None:
        requests.create(other, avery, "Delete", "Duplicate of a contact I already have.")
