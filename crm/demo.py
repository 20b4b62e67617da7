"""Demo data (`flask --app crm demo`): realistic contacts and leads, inserted in bulk."""
import random
from array import array
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

from faker import Faker
from sqlalchemy import DateTime, func, select, text, update
from tqdm import tqdm

from crm import clock, demo_beyond, demo_everyday, demo_leads, demo_ui
from crm.demo_accounts import add_demo as add_accounts_demo
from crm.extensions import db
from crm.models import Contact, ContactEmail, ContactPhone, Lead, Office, ServiceZip, User, ZipSponsorship
from crm.models import values as v
from crm.services import dashboard_rollup, lead_rows

PASSWORD = "demo1234"
UNSHARED_STATUSES = [status for status in v.CONTACT_STATUSES if status != "Shared"]  # `Shared` needs a share
ZIPS = ["33602", "33603", "33604", "33606", "33609", "33611", "33612", "33614", "33618", "33629"]
DEMO_USERS = [
    ("broker@demo.test", "Brenda Broker", "broker", "Downtown"),
    ("manager@demo.test", "Marcus Manager", "manager", "Downtown"),
    ("concierge@demo.test", "Connie Concierge", "concierge", "Downtown"),
    ("agent@demo.test", "Alex Agent", "agent", "Downtown"),
    ("agent2@demo.test", "Avery Agent", "agent", "Downtown"),
]
MORE_AGENTS = 8
CHUNK = 5_000  # contacts per batch: the load streams, so memory stays flat whatever the size
POOL = 2_000  # generated names, streets and sentences drawn from (Faker per row would take minutes)


def _users(fake: Faker) -> list[User]:
    offices = {name: Office(name=name) for name in ("Downtown", "Westshore")}
    users = [User(email=email, name=name, role=role, office=offices[office])
             for email, name, role, office in DEMO_USERS]
    users.append(User(email="manager.west@demo.test", name="Wendy West", role="manager", office=offices["Westshore"]))
    for n in range(MORE_AGENTS):
        office = offices["Downtown" if n % 2 else "Westshore"]
        users.append(User(email=f"agent{n + 3}@demo.test", name=fake.name(), role="agent", office=office,
                          guaranteed_display=(n == 0)))
    users[0].set_password(PASSWORD)
    for user in users:
        # one hash for the shared demo password (hashing is slow on purpose)
        user.password_hash = users[0].password_hash
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


def _reset_sequences() -> None:
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("contacts", "contact_emails", "contact_phones", "leads"):
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"))


@dataclass
class Pools:
    """Faker's output drawn once; rows pick from it."""
    first_names: list[str]
    last_names: list[str]
    streets: list[str]
    sentences: list[str]
    phones: list[str]

    @classmethod
    def make(cls, fake: Faker) -> "Pools":
        return cls([fake.first_name() for _ in range(POOL)], [fake.last_name() for _ in range(POOL)],
                   [fake.street_address() for _ in range(POOL)], [fake.sentence(nb_words=10) for _ in range(POOL)],
                   [fake.numerify("555-###-####") for _ in range(POOL)])


def _contact_row(contact_id: int, pools: Pools, rng: random.Random, agents: list[User], now) -> dict:
    owner = rng.choice(agents)
    first, last = rng.choice(pools.first_names), rng.choice(pools.last_names)
    street, city, zip_code = rng.choice(pools.streets), "Tampa", rng.choice(ZIPS)
    status = rng.choice(v.REFERRAL_STATUSES)
    created = now - timedelta(days=rng.randint(1, 400), minutes=rng.randint(0, 1440))
    return dict(
        id=contact_id, first_name=first, last_name=last, owner_id=owner.id, office_id=owner.office_id,
        created_by_id=owner.id if rng.random() < 0.2 else None,
        contact_status=rng.choice(UNSHARED_STATUSES), contact_type=rng.choice(v.CONTACT_TYPES),
        contact_source=rng.choice(v.CONTACT_SOURCES), business_source=rng.choice(v.BUSINESS_SOURCES),
        priority=rng.choice(v.PRIORITIES), interest_level=rng.randint(0, 5), time_frame=rng.choice(v.TIME_FRAMES),
        lead_status=rng.choice(v.LEAD_STATUSES), lead_type="Appointment" if rng.random() < 0.25 else "Active",
        referral_status=status, referral_status_changed_at=created,
        buy_sell_rent=rng.choice(v.BUY_SELL_RENT), financing=rng.choice(v.FINANCING),
        prequalified=rng.random() < 0.3, street=street, city=city, state="FL", zip=zip_code, arrival_zip=zip_code,
        created_at=created, updated_at=created, lead_count=0, last_inquiry_at=None, last_inquiry_type=None,
        last_activity_at=None, search_text=f"{first} {last} {street} {city} {zip_code}".lower(), unsubscribed=False,
    )


UNSUBSCRIBED = "Unsubscribed"
PROPERTY_INQUIRIES = ("Property Inquiry", "Showing Request", "Saved Property", "Viewed Property")


def _lead_row(lead_id: int, contact: dict, pools: Pools, rng: random.Random, now) -> dict:
    inquiry = rng.choice(v.INQUIRY_TYPES)
    occurred = now - timedelta(days=rng.randint(0, 365), minutes=rng.randint(0, 1440))
    has_property = inquiry in PROPERTY_INQUIRIES
    return dict(
        id=lead_id, contact_id=contact["id"], inquiry_type=inquiry, occurred_at=occurred, created_at=occurred,
        source=rng.choice(["smithandassociates.com", "Realtor.com", "agent site"]),
        message=rng.choice(pools.sentences) if inquiry in v.IMMEDIATE_INQUIRIES else None,
        property_street=rng.choice(pools.streets) if has_property else None,
        property_city="Tampa" if has_property else None,
        property_zip=contact["zip"] if has_property else None,
        mls_number=f"T{rng.randint(100000, 999999)}" if has_property else None,
        price=rng.randrange(150_000, 1_500_000, 5_000) if has_property else None, digest_pending=False,
    )


def _apply_lead(contact: dict, lead: dict) -> None:
    """Keep the denormalised list columns true while generating."""
    contact["lead_count"] += 1
    if contact["last_inquiry_at"] is None or lead["occurred_at"] >= contact["last_inquiry_at"]:
        contact["last_inquiry_at"] = contact["last_activity_at"] = lead["occurred_at"]
        contact["last_inquiry_type"] = lead["inquiry_type"]
    if lead["mls_number"]:
        contact["search_text"] += f" mls:{lead['mls_number'].lower()}"
    if lead["inquiry_type"] == UNSUBSCRIBED:  # as the events API marks them (no UPDATE of them afterwards)
        contact["unsubscribed"] = True


def _leads_per_contact(contact_count: int, lead_count: int, rng: random.Random) -> array:
    """One lead each, the rest spread at random (a compact array: 4 bytes a contact)."""
    counts = array("I", [1]) * contact_count
    for _ in range(lead_count - contact_count):
        counts[rng.randrange(contact_count)] += 1
    return counts


@dataclass
class Batch:
    contacts: list[dict]
    emails: list[dict]
    phones: list[dict]
    leads: list[dict]


class Generator:
    """Contacts with their leads, emails and phones, CHUNK contacts at a time, ids given in order."""

    def __init__(self, contact_count: int, lead_count: int, rng: random.Random, pools: Pools, agents, now):
        self.rng, self.pools, self.agents, self.now = rng, pools, agents, now
        self.owner_names = {agent.id: agent.name for agent in agents}
        self.counts = _leads_per_contact(contact_count, lead_count, rng)
        self.next_contact, self.next_lead = _next_id(Contact), _next_id(Lead)
        self.next_email, self.next_phone = _next_id(ContactEmail), _next_id(ContactPhone)

    def batches(self):
        for start in range(0, len(self.counts), CHUNK):
            yield self._batch(self.counts[start:start + CHUNK])

    def _batch(self, counts) -> Batch:
        batch = Batch([], [], [], [])
        for leads_of_contact in counts:
            contact = _contact_row(self.next_contact, self.pools, self.rng, self.agents, self.now)
            copies = lead_rows.copied_values(SimpleNamespace(**contact), self.owner_names[contact["owner_id"]])
            self.next_contact += 1
            for _ in range(leads_of_contact):
                lead = _lead_row(self.next_lead, contact, self.pools, self.rng, self.now) | copies
                self.next_lead += 1
                _apply_lead(contact, lead)
                batch.leads.append(lead)
            batch.contacts.append(contact)
            batch.emails.append(dict(id=self.next_email, contact_id=contact["id"],
                                     value=f"{contact['first_name']}.{contact['last_name']}{contact['id']}"
                                           "@example.com".lower()))
            phone = self.rng.choice(self.pools.phones)
            batch.phones.append(dict(id=self.next_phone, contact_id=contact["id"], value=phone,
                                     digits=phone.replace("-", "")))
            self.next_email += 1
            self.next_phone += 1
        return batch


def _column_defaults(model, now) -> dict:
    """The model's Python-side column defaults (raw bulk writes skip SQLAlchemy, which would add them)."""
    defaults = {}
    for column in model.__table__.columns:
        default = column.default
        if default is not None and column.name != "id" and (default.is_scalar or column.name.endswith("_at")):
            defaults[column.name] = now if default.is_callable else default.arg
    return defaults


def _sqlite_rows(rows, datetime_positions: list[int]):
    """Datetimes as SQLAlchemy stores them on SQLite."""
    for row in rows:
        row = list(row)
        for position in datetime_positions:
            if row[position] is not None:
                row[position] = row[position].isoformat(" ", "microseconds")
        yield row


class BulkWriter:
    """Rows straight through the driver: COPY on PostgreSQL (psycopg), executemany on SQLite."""

    def __init__(self, now):
        self.now = now
        self.postgresql = db.engine.dialect.name == "postgresql"

    def write(self, model, rows: list[dict]) -> None:
        if not rows:
            return
        # Every row of a batch has the same keys in the same order (one function makes them).
        fill = {name: value for name, value in _column_defaults(model, self.now).items() if name not in rows[0]}
        columns, fill_values = [*rows[0], *fill], tuple(fill.values())
        values = (tuple(row.values()) + fill_values for row in rows)
        cursor = db.session.connection().connection.dbapi_connection.cursor()
        table = model.__tablename__
        if self.postgresql:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            datetimes = [position for position, name in enumerate(columns)
                         if isinstance(model.__table__.columns[name].type, DateTime)]
            marks = ", ".join("?" * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                               _sqlite_rows(values, datetimes))
        cursor.close()

    def write_batch(self, batch: Batch) -> None:
        for model, rows in ((Contact, batch.contacts), (ContactEmail, batch.emails), (ContactPhone, batch.phones),
                            (Lead, batch.leads)):
            self.write(model, rows)


SQLITE_LOAD_CACHE_KIB = 128 * 1024  # index pages stay in memory while the rows go in (default: 2 MiB)
# While the indexes are built the cache only holds the table being scanned, and SQLite sizes each index
# sort's memory by it: 32 MiB costs no more CPU than 128 (the sorts spill one run each) and 130 MB less memory.
SQLITE_INDEX_CACHE_KIB = 32 * 1024
BULK_TABLES = ("contacts", "contact_emails", "contact_phones", "leads")
FTS_INSERT_TRIGGER = "contacts_fts_insert"


def _deferred_structures() -> list[tuple[str, list[str]]]:
    """What makes each inserted row cost more than its own write, as (drop, statements that make it
    again): the bulk tables' secondary indexes; on PostgreSQL their foreign keys (checked row by
    row, against a whole-table check when added back); on SQLite the full-text insert trigger."""
    if db.engine.dialect.name == "postgresql":
        tables = {"tables": list(BULK_TABLES)}
        indexes = db.session.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(:tables) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"), tables)
        foreign_keys = db.session.execute(text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(:tables)"), tables)
        return ([(f"DROP INDEX {name}", [create]) for name, create in indexes]
                + [(f"ALTER TABLE {table} DROP CONSTRAINT {name}",
                    [f"ALTER TABLE {table} ADD CONSTRAINT {name} {rule}"]) for table, name, rule in foreign_keys])
    indexes = db.session.execute(text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN "
        f"({', '.join(repr(table) for table in BULK_TABLES)})"))
    trigger = db.session.scalar(text("SELECT sql FROM sqlite_master WHERE name = :name"), {"name": FTS_INSERT_TRIGGER})
    full_text = [(f"DROP TRIGGER {FTS_INSERT_TRIGGER}",
                  ["INSERT INTO contacts_fts(contacts_fts) VALUES ('rebuild')", trigger])] if trigger else []
    return [(f"DROP INDEX {name}", [create]) for name, create in indexes] + full_text


@contextmanager
def _structures_built_after():
    """Into empty tables, rows go in without their secondary indexes, foreign keys, full-text trigger
    (`_deferred_structures`) and the dashboard's rollup triggers, which are made again once at the end:
    one sort, check or recount each instead of a million scattered insertions. With rows there already
    (a second load) they stay."""
    if db.session.scalar(select(Contact.id).limit(1)) is not None:
        yield
        return
    deferred = _deferred_structures()
    for drop, _again in deferred:
        db.session.execute(text(drop))
    dashboard_rollup.uninstall(db.session.connection())
    yield
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET maintenance_work_mem = '256MB'"))  # the server's memory, for the sorts
    else:
        db.session.execute(text(f"PRAGMA cache_size = -{SQLITE_INDEX_CACHE_KIB}"))
    for _drop, again in tqdm(deferred, unit=" indexes", desc="Indexes", disable=len(deferred) < 2):
        for statement in again:
            db.session.execute(text(statement))
    dashboard_rollup.install(db.session.connection())  # one recount instead of a trigger per row


def _bulk_load(contact_count: int, lead_count: int, rng: random.Random, pools: Pools, agents, now) -> None:
    """One transaction (each commit would write the same index pages to the WAL again; a failed
    load leaves nothing behind, its indexes included)."""
    generator = Generator(contact_count, lead_count, rng, pools, agents, now)
    writer = BulkWriter(now)
    if not writer.postgresql:
        db.session.execute(text(f"PRAGMA cache_size = -{SQLITE_LOAD_CACHE_KIB}"))
    with _structures_built_after(), tqdm(total=contact_count, unit=" contacts", desc="Demo data",
                                      disable=contact_count < 50_000) as progress:
        for batch in generator.batches():
            writer.write_batch(batch)
            progress.update(len(batch.contacts))
    _reset_sequences()
    db.session.commit()


def _analyze() -> None:
    """Fresh statistics, so the planner picks the sort indexes (and the rest of the load's queries
    are planned for a million rows); SQLite samples each index instead of reading it whole."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("PRAGMA analysis_limit = 2000"))
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def _end_of_load(users: list[User], now) -> None:
    """After the bulk rows: the named demo content of each area (one call per area)."""
    _demo_referrals(users, now)
    _demo_alerts(users, now)
    _demo_controls(users, now)
    demo_leads.add_demo(db.session, users)
    add_accounts_demo(db.session, {user.email: user for user in users})
    demo_ui.add_demo(db.session, {user.email: user for user in users})
    demo_everyday.add_demo(db.session, {user.email: user for user in users})
    demo_beyond.add_demo(db.session, {user.email: user for user in users})


def load(contact_count: int, lead_count: int, seed: int) -> str:
    """Users, then the bulk rows (`_bulk_load`; a set-based UPDATE over them, such as copying contact
    fields onto leads, goes right after it), then each area's named content (`_end_of_load`)."""
    fake, rng, now = Faker("en_US"), random.Random(seed), clock.now()
    fake.seed_instance(seed)
    users = list(db.session.scalars(select(User))) or _users(fake)
    agents = [user for user in users if user.role == "agent"]
    if not db.session.scalar(select(ServiceZip.user_id).limit(1)):
        _territories(agents, rng)
    db.session.commit()
    _bulk_load(contact_count, lead_count, rng, Pools.make(fake), agents, now)
    _analyze()
    _end_of_load(users, now)
    db.session.commit()
    return (f"Loaded {contact_count} contacts and {lead_count} leads. "
            f"Sign in as any of {', '.join(email for email, *_ in DEMO_USERS)} with password {PASSWORD}.")


# Referrals of agent@demo.test in every sub-tab, masked and unmasked (docs/product.md#commands): (first, last, zip,
# lead type, referral status). 33602/33603 are sponsored by agent@demo.test, so those are unmasked.
DEMO_REFERRALS = [
    ("Maya", "Masked", "33611", "Active", "New"),
    ("Sam", "Sponsored", "33602", "Active", "Attempted Contact"),
    ("Paula", "Promoted", "33612", "Active", "In Progress"),  # the agent's own move: masked (docs/product.md#masking)
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
    offers.convert_to_appointment(consumer, concierge, now + timedelta(days=2),
                                  "Seller wants a valuation before listing in spring.")


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
    from crm.services import alerts, delivery, events, outbox

    by_email = {user.email: user for user in users}
    alex, avery = by_email.get("agent@demo.test"), by_email.get("agent2@demo.test")
    if alex is None or avery is None or db.session.scalar(select(LeadFlowRule.id).limit(1)):
        return
    db.session.add_all([LeadFlowRule(position=1, source="smithandassociates.com", assign_to_id=alex.id),
                        LeadFlowRule(position=2, zip="33629", assign_to_id=avery.id)])
    for body in _demo_website_events(now):
        events.record_event(events.parse_event(body))
    sent = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "alert")))
    alerts.render_alerts(sent)  # as the worker did when it sent them
    for message in sent:
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
