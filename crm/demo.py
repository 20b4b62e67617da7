"""Demo data (`flask --app crm demo`): realistic contacts and leads, inserted in bulk."""
import random
from datetime import timedelta

from faker import Faker
from sqlalchemy import func, insert, select, text

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
    db.session.commit()
    return (f"Loaded {contact_count} contacts and {lead_count} leads. "
            f"Sign in as any of {', '.join(email for email, *_ in DEMO_USERS)} with password {PASSWORD}.")
