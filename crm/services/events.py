"""Website activity from the events API (docs/product.md#events-api): read and check an event body, then match or
create the person and record one lead per event.

`parse_event` collects every problem with the path of the offending field, so the API can answer
400 with all of them at once; `record_event` does the work inside the caller's transaction.
"""
import fcntl
import json
import math
import os
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import DateTime, String, bindparam, case, cast, func, insert, or_, select, text, update
from sqlalchemy.orm import aliased

from crm import clock
from crm.extensions import db
from crm.models import ActionPlan, ActionPlanTask, Contact, ContactEmail, ContactPhone, Lead, LeadFlowRule, User
from crm.models.values import INQUIRY_TYPES
from crm.services import action_plans, activity, alerts, contacts, lead_rows, masking, routing, settings, webhooks
from crm.validation import is_email, is_phone

EVENT_TYPES = tuple(inquiry for inquiry in INQUIRY_TYPES if inquiry != "Manual Entry")
INQUIRY_SHORTHAND = "Inquiry"
MAX_DEPTH = 6  # containers: body > person > emails > [0] is 4; anything deeper is not an event
MAX_ITEMS = 20
MAX_PRICE = 999_999_999_999  # Numeric(14, 2)
SELLER_INQUIRIES = ("Seller Inquiry",)
UNSUBSCRIBED = "Unsubscribed"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class InvalidEvent(Exception):
    def __init__(self, errors: list[dict[str, str]]):
        super().__init__(errors)
        self.errors = errors


class NotJson(ValueError):
    pass


@dataclass
class PersonData:
    first_name: str
    last_name: str
    emails: list[str]
    phones: list[str]
    address: dict[str, str | None] = field(default_factory=dict)


@dataclass
class EventData:
    inquiry_type: str
    person: PersonData
    occurred_at: datetime
    source: str | None
    routing_zip: str | None
    lead_fields: dict[str, Any]


@dataclass
class EventResult:
    """The stored event: its contact's id and name, its lead, who owns it."""
    contact_id: int
    first_name: str
    last_name: str
    lead_id: int
    inquiry_type: str
    created: bool
    owner: "routing.Agent | None"


def _reject_constant(name: str):
    raise NotJson(f"{name} is not JSON")


def load_json(body: bytes) -> Any:
    """The body as JSON; NotJson for anything else (bad UTF-8, NaN, syntax errors)."""
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except RecursionError:
        raise InvalidEvent([{"field": "body",
                             "message": f"The body is nested too deep (at most {MAX_DEPTH} levels)."}]) from None
    except (UnicodeDecodeError, ValueError) as error:
        raise NotJson(str(error)) from None


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _too_deep(value: Any) -> str | None:
    """The path of the first container nested deeper than MAX_DEPTH, if any."""
    pending = [(value, "", 1)]
    while pending:
        current, path, depth = pending.pop()
        if not isinstance(current, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            return path or "body"
        items = current.items() if isinstance(current, dict) else enumerate(current)
        pending.extend((child, _join(path, key), depth + 1) for key, child in items)
    return None


class _Reader:
    """Typed reads from the body; every problem is kept with its field path."""

    def __init__(self):
        self.errors: list[dict[str, str]] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append({"field": path, "message": message})

    def object(self, parent: dict, key: str, path: str = "", required: bool = False) -> dict | None:
        value, where = parent.get(key), _join(path, key)
        if value is None:
            if required:
                self.fail(where, f"{where} is required.")
            return None
        if not isinstance(value, dict):
            self.fail(where, f"{where} must be an object.")
            return None
        return value

    def array(self, parent: dict, key: str, path: str) -> list:
        value, where = parent.get(key), _join(path, key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(where, f"{where} must be a list.")
            return []
        if len(value) > MAX_ITEMS:
            self.fail(where, f"{where} may have at most {MAX_ITEMS} entries.")
            return []
        return value

    def text(self, parent: dict, key: str | int, path: str, max_length: int, multiline: bool = False,
             required: bool = False) -> str | None:
        value, where = parent[key] if isinstance(key, int) else parent.get(key), _join(path, key)
        if value is None:
            if required:
                self.fail(where, f"{where} is required.")
            return None
        if not isinstance(value, str):
            self.fail(where, f"{where} must be a string.")
            return None
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            self.fail(where, f"{where} is not valid text.")
            return None
        value = _CONTROL.sub("", value).strip() if multiline else " ".join(_CONTROL.sub(" ", value).split())
        if len(value) > max_length:
            self.fail(where, f"{where} may have at most {max_length} characters.")
            return None
        if required and not value:
            self.fail(where, f"{where} is required.")
        return value or None

    def texts(self, parent: dict, key: str, path: str, max_length: int) -> list[str]:
        values = self.array(parent, key, path)
        where = _join(path, key)
        return [value for index in range(len(values)) if (value := self.text(values, index, where, max_length))]

    def number(self, parent: dict, key: str, path: str, maximum: float, integer: bool = False) -> float | int | None:
        value, where = parent.get(key), _join(path, key)
        if value is None:
            return None
        kind = "a whole number" if integer else "a number"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or (integer and value != int(value)):
            self.fail(where, f"{where} must be {kind}.")
            return None
        if value < 0:
            self.fail(where, f"{where} must not be negative.")
            return None
        if value > maximum:
            self.fail(where, f"{where} may be at most {maximum:,}.")
            return None
        return int(value) if integer else value


def _read_timestamp(reader: _Reader, body: dict) -> datetime:
    raw = reader.text(body, "occurredAt", "", 40)
    if raw is None:
        return clock.now()
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        reader.fail("occurredAt", "occurredAt must be an ISO 8601 date and time, like 2026-11-21T18:02:00Z.")
        return clock.now()
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _read_values(reader: _Reader, person: dict, key: str, check, what: str, max_length: int) -> list[str]:
    values = []
    for index, entry in enumerate(reader.array(person, key, "person")):
        where = f"person.{key}[{index}]"
        if not isinstance(entry, dict):
            reader.fail(where, f"{where} must be an object with a value.")
            continue
        value = reader.text(entry, "value", where, max_length, required=True)
        if value is not None and not check(value):
            reader.fail(f"{where}.value", f"{where}.value is not {what}.")
        elif value is not None:
            values.append(value)
    return values


def _read_person(reader: _Reader, body: dict) -> PersonData | None:
    person = reader.object(body, "person", required=True)
    if person is None:
        return None
    first = reader.text(person, "firstName", "person", 80) or ""
    last = reader.text(person, "lastName", "person", 80) or ""
    emails = [email.lower() for email in _read_values(reader, person, "emails", is_email, "an email address", 254)]
    phones = _read_values(reader, person, "phones", is_phone, "a phone number", 40)
    if not person.get("emails") and not person.get("phones"):
        reader.fail("person", "person needs at least one email or phone.")
    reader.texts(person, "tags", "person", 60)
    addresses = reader.array(person, "addresses", "person")
    address = _read_address(reader, addresses[0], "person.addresses[0]") if addresses else {}
    return PersonData(first, last, list(dict.fromkeys(emails)), phones, address)


def _read_address(reader: _Reader, address: Any, path: str) -> dict[str, str | None]:
    if not isinstance(address, dict):
        reader.fail(path, f"{path} must be an object.")
        return {}
    return dict(street=reader.text(address, "street", path, 200), city=reader.text(address, "city", path, 80),
                state=_read_state(reader, address, path), zip=reader.text(address, "code", path, 10))


def _read_state(reader: _Reader, parent: dict, path: str) -> str | None:
    state = reader.text(parent, "state", path, 2)
    if state is not None and not state.isalpha():
        reader.fail(_join(path, "state"), f"{_join(path, 'state')} must be a two-letter state code.")
        return None
    return state.upper() if state else None


def _read_property(reader: _Reader, body: dict) -> dict:
    prop = reader.object(body, "property")
    if prop is None:
        return {}
    return dict(
        property_street=reader.text(prop, "street", "property", 200),
        property_city=reader.text(prop, "city", "property", 80),
        property_state=_read_state(reader, prop, "property"),
        property_zip=reader.text(prop, "code", "property", 10),
        mls_number=reader.text(prop, "mlsNumber", "property", 40),
        price=reader.number(prop, "price", "property", MAX_PRICE),
        property_url=reader.text(prop, "url", "property", 500),
        property_type=reader.text(prop, "type", "property", 60),
        bedrooms=reader.number(prop, "bedrooms", "property", 1000, integer=True),
        bathrooms=reader.number(prop, "bathrooms", "property", 999),
        area=reader.number(prop, "area", "property", 100_000_000, integer=True),
    )


SEARCH_TEXT_FIELDS = ("type", "neighborhood", "city", "state")
SEARCH_NUMBER_FIELDS = {"minPrice": MAX_PRICE, "maxPrice": MAX_PRICE, "minBedrooms": 1000, "maxBedrooms": 1000,
                        "minBathrooms": 999, "maxBathrooms": 999}


def _read_search(reader: _Reader, body: dict) -> dict:
    search = reader.object(body, "propertySearch")
    if search is None:
        return {}
    criteria: dict[str, Any] = {key: reader.text(search, key, "propertySearch", 80) for key in SEARCH_TEXT_FIELDS}
    if isinstance(search.get("code"), str):  # one zip code or a list of them
        search = {**search, "code": [search["code"]]}
    criteria["code"] = reader.texts(search, "code", "propertySearch", 10)
    for key, maximum in SEARCH_NUMBER_FIELDS.items():
        criteria[key] = reader.number(search, key, "propertySearch", maximum)
    return {key: value for key, value in criteria.items() if value not in (None, [])}


def _read_type(reader: _Reader, body: dict) -> str | None:
    inquiry = reader.text(body, "type", "", 40, required=True)
    if inquiry is None:
        return None
    if inquiry == INQUIRY_SHORTHAND:
        return "Property Inquiry" if isinstance(body.get("property"), dict) else "General Inquiry"
    if inquiry not in EVENT_TYPES:
        reader.fail("type", f"type must be one of: {', '.join(EVENT_TYPES + (INQUIRY_SHORTHAND,))}.")
        return None
    return inquiry


def parse_event(body: Any) -> EventData:
    """The checked event, or InvalidEvent naming every offending field."""
    if not isinstance(body, dict):
        raise InvalidEvent([{"field": "body", "message": "The body must be a JSON object."}])
    if (path := _too_deep(body)) is not None:
        raise InvalidEvent([{"field": path, "message": f"{path} is nested too deep (at most {MAX_DEPTH} levels)."}])
    reader = _Reader()
    inquiry_type = _read_type(reader, body)
    person = _read_person(reader, body)
    occurred_at = _read_timestamp(reader, body)
    property_fields = _read_property(reader, body)
    search = _read_search(reader, body)
    campaign = reader.object(body, "campaign") or {}
    lead_fields = dict(
        source=reader.text(body, "source", "", 120), system=reader.text(body, "system", "", 60),
        message=reader.text(body, "message", "", 10_000, multiline=True),
        description=reader.text(body, "description", "", 10_000, multiline=True),
        campaign_source=reader.text(campaign, "source", "campaign", 120),
        campaign_medium=reader.text(campaign, "medium", "campaign", 120),
        page_url=reader.text(body, "pageUrl", "", 500),
        search_criteria=json.dumps(search) if search else None,
        **property_fields,
    )
    if reader.errors:
        raise InvalidEvent(reader.errors)
    routing_zip = (property_fields.get("property_zip") or next(iter(search.get("code", [])), None)
                   or person.address.get("zip"))
    return EventData(inquiry_type=inquiry_type, person=person, occurred_at=occurred_at,
                     source=lead_fields["source"], routing_zip=routing_zip,
                     lead_fields={key: value for key, value in lead_fields.items() if value is not None})


_SQLITE_WRITER = threading.Lock()
_lock_files: dict[tuple[int, str], int] = {}


@contextmanager
def _across_processes(database: str | None):
    """An exclusive lock on a file beside the SQLite database, shared by every process serving it
    (gunicorn's workers): the kernel hands it to the next waiter the moment it is released."""
    if not database or database == ":memory:":
        yield
        return
    key = (os.getpid(), database)  # a forked process opens its own: a shared open file would not exclude
    descriptor = _lock_files.get(key)
    if descriptor is None:
        descriptor = _lock_files[key] = os.open(f"{database}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)


@contextmanager
def writes_in_turn():
    """SQLite: requests take turns for the database's single write lock here, in a queue (threads
    of a process on a lock, processes on a lock file), instead of in SQLite's busy handler, which
    sleeps and polls and leaves the lock idle in between (seconds of tail latency under a burst).
    Correctness never depends on it (SQLite's own lock decides; the worker does not queue here),
    and it holds no data. PostgreSQL: writers run side by side, nothing to do.

    The session gives its connection back before waiting: a request waiting here while holding a
    pooled connection could starve the lock's holder of one (a deadlock until the pool times out)."""
    if db.engine.dialect.name != "sqlite":
        yield
        return
    db.session.close()
    with _SQLITE_WRITER, _across_processes(db.engine.url.database):
        yield


def _serialize_person(person: PersonData) -> None:
    """Two events for one new person at once must not make two contacts: on PostgreSQL lock the
    person's emails and phones for this transaction, in sorted order (one statement, evaluated left
    to right) so two events never wait on each other crosswise; SQLite takes its one write lock
    before matching (unless this transaction has written already, and so holds it)."""
    if db.engine.dialect.name == "postgresql":
        keys = sorted({f"email:{email}" for email in person.emails}
                      | {f"phone:{contacts.phone_digits(phone)}" for phone in person.phones})
        locks = ", ".join(f"pg_advisory_xact_lock(hashtextextended(:key{n}, 0))" for n in range(len(keys)))
        db.session.execute(text(f"SELECT {locks}"), {f"key{n}": key for n, key in enumerate(keys)})
    elif not db.session.connection().connection.dbapi_connection.in_transaction:
        db.session.execute(text("BEGIN IMMEDIATE"))


# --- The write path: a few Core statements per event (docs/performance.md) ---------------------------------

OWNER, RULE_AGENT = aliased(User), aliased(User)
SEPARATOR = "\n"  # between aggregated emails and phones: a value never holds a line break


def _matched_contact_id():
    """docs/product.md#events-api: by email (case-insensitive, stored lower-case), else by phone plus first and last
    name."""
    live = Contact.deleted_at.is_(None)
    by_email = (select(ContactEmail.contact_id).join(Contact, Contact.id == ContactEmail.contact_id)
                .where(live, ContactEmail.value.in_(bindparam("emails", expanding=True)))
                .order_by(ContactEmail.contact_id).limit(1))
    by_phone = (select(ContactPhone.contact_id).join(Contact, Contact.id == ContactPhone.contact_id)
                .where(live, ContactPhone.digits.in_(bindparam("digits", expanding=True)),
                       func.lower(Contact.first_name) == bindparam("first_name"),
                       func.lower(Contact.last_name) == bindparam("last_name"))
                .order_by(ContactPhone.contact_id).limit(1))
    return func.coalesce(by_email.scalar_subquery(), by_phone.scalar_subquery())


def _aggregated(column, contact_id_column):
    return select(func.aggregate_strings(column, SEPARATOR)).where(contact_id_column == Contact.id).scalar_subquery()


def _agent_columns(user, prefix: str, zip_code) -> list:
    return [*(getattr(user, column.key).label(prefix + column.key) for column in routing.AGENT_COLUMNS),
            masking.sponsors_zip(user.id, zip_code).label(prefix + "sponsors_zip"),
            routing.time_zone_of(user).label(prefix + "time_zone")]


@cache
def _lookup():
    """Everything an event needs to decide in one statement, built once: the matched contact with
    its emails, phones and owner, the matching lead-flow rule with its agent, the contact sources
    and the plan in use. Parameters: `_lookup_parameters`."""
    matched = select(_matched_contact_id().label("id")).subquery("matched")
    arrival_zip = func.coalesce(Contact.arrival_zip, bindparam("new_zip", type_=String))  # decides sponsorship
    first_due_days = select(func.min(ActionPlanTask.due_days)).where(ActionPlanTask.plan_id == ActionPlan.id)
    return (select(Contact.id, Contact.first_name, Contact.last_name, Contact.created_by_id, Contact.lead_type,
                   Contact.street, Contact.city, Contact.zip, Contact.arrival_zip, Contact.search_text,
                   _aggregated(ContactEmail.value, ContactEmail.contact_id).label("emails"),
                   _aggregated(ContactPhone.digits, ContactPhone.contact_id).label("digits"),
                   _aggregated(ContactPhone.value, ContactPhone.contact_id).label("phones"),
                   *_agent_columns(OWNER, "owner_", Contact.arrival_zip),
                   LeadFlowRule.id.label("rule_id"), LeadFlowRule.source.label("rule_source"),
                   LeadFlowRule.zip.label("rule_zip"), *_agent_columns(RULE_AGENT, "rule_agent_", arrival_zip),
                   settings.stored_value("contact_sources").label("contact_sources"),
                   ActionPlan.id.label("plan_id"), ActionPlan.name.label("plan_name"),
                   first_due_days.scalar_subquery().label("plan_first_due_days"),
                   webhooks.any_subscription().label("webhooks_wanted"))
            .select_from(matched)
            .outerjoin(Contact, Contact.id == matched.c.id)
            .outerjoin(OWNER, OWNER.id == Contact.owner_id)
            .outerjoin(LeadFlowRule, LeadFlowRule.id == routing.matching_rule_id())
            .outerjoin(RULE_AGENT, RULE_AGENT.id == LeadFlowRule.assign_to_id)
            .outerjoin(ActionPlan, cast(ActionPlan.id, String) == settings.stored_value("plan_in_use_id")))


def _lookup_parameters(event: EventData) -> dict:
    person = event.person
    return dict(emails=person.emails, digits=[contacts.phone_digits(phone) for phone in person.phones],
                first_name=person.first_name.lower(), last_name=person.last_name.lower(),
                new_zip=event.routing_zip, **routing.rule_parameters(event.source, event.routing_zip))


def _contact_source(source: str | None, stored_sources: str | None) -> str:
    """The event's source when the broker lists it as a Contact Source, else `Broker` (their website)."""
    known = {name.lower(): name for name in settings.decode("contact_sources", stored_sources)}
    return known.get((source or "").lower(), "Broker")


def _split(aggregated: str | None) -> list[str]:
    return aggregated.split(SEPARATOR) if aggregated else []


def _route(event: EventData, found, created: bool) -> routing.Decision:
    """A new contact (or one whose owner left) is routed; an existing one's lead goes to its owner."""
    owner = routing.agent_from(found, "owner_")
    if not created and owner is not None and owner.is_active_user:
        return routing.to_existing_owner(owner, event.inquiry_type)
    rule = (found.rule_source, found.rule_zip, routing.agent_from(found, "rule_agent_")) if found.rule_id else None
    return routing.route_new_contact(event.source, event.routing_zip, rule, found.arrival_zip or event.routing_zip)


def _new_contact_zip(event: EventData) -> str | None:
    return event.person.address.get("zip") or event.routing_zip


def _listing_columns(event: EventData) -> dict:
    """The contact's list columns for its first lead (the Leads list's denormalised columns, docs/product.md#scale)."""
    return dict(lead_count=1, last_inquiry_at=event.occurred_at, last_inquiry_type=event.inquiry_type,
                last_activity_at=event.occurred_at)


def _plan_columns(found, now: datetime) -> dict:
    if found.plan_id is None:
        return {}
    first_due = found.plan_first_due_days
    return dict(action_plan_id=found.plan_id, plan_started_at=now,
                plan_next_due_at=None if first_due is None else action_plans.deadline(now, first_due),
                plan_completed_at=now if first_due is None else None)


def contact_values(event: EventData, found, agent: routing.Agent | None, now: datetime) -> dict:
    """The new contact's row: every column a new website contact starts with."""
    person, address = event.person, event.person.address
    zip_code = _new_contact_zip(event)
    search_text = contacts.search_text_of(person.first_name, person.last_name, address.get("street"),
                                          address.get("city"), zip_code)
    return dict(
        first_name=person.first_name, last_name=person.last_name,
        owner_id=agent.id if agent else None, office_id=agent.office_id if agent else None,
        contact_source=_contact_source(event.source, found.contact_sources), business_source="Website",
        contact_type="Seller" if event.inquiry_type in SELLER_INQUIRIES else "Buyer",
        street=address.get("street"), city=address.get("city"), state=address.get("state"), zip=zip_code,
        arrival_zip=event.routing_zip,
        search_text=contacts.with_mls_number(search_text, event.lead_fields.get("mls_number")),
        unsubscribed=event.inquiry_type == UNSUBSCRIBED, created_at=now, updated_at=now,
        **_listing_columns(event), **_plan_columns(found, now),
    )


def lead_values(event: EventData, contact_id: int, agent: routing.Agent | None, now: datetime) -> dict:
    """The lead's row."""
    return dict(contact_id=contact_id, inquiry_type=event.inquiry_type, occurred_at=event.occurred_at,
                digest_pending=alerts.wants_digest(agent, event.inquiry_type), created_at=now, **event.lead_fields)


@cache
def _merge_statement(changed: tuple[str, ...]):
    """An existing contact's UPDATE for one more lead, built once per set of `changed` columns (their
    values go in as `new_<column>`): the list columns in SQL, so concurrent events add up."""
    occurred = bindparam("occurred_at", type_=DateTime)
    latest = or_(Contact.last_inquiry_at.is_(None), Contact.last_inquiry_at <= occurred)
    later = or_(Contact.last_activity_at.is_(None), Contact.last_activity_at < occurred)
    values = dict(lead_count=Contact.lead_count + 1,
                  last_inquiry_at=case((latest, occurred), else_=Contact.last_inquiry_at),
                  last_inquiry_type=case((latest, bindparam("inquiry_type")), else_=Contact.last_inquiry_type),
                  last_activity_at=case((later, occurred), else_=Contact.last_activity_at),
                  **{name: bindparam(f"new_{name}") for name in changed})
    return (update(Contact.__table__).where(Contact.id == bindparam("contact_id")).values(**values)
            .returning(*webhooks.CONTACT_COLUMNS))


def _merge_values(event: EventData, found, decision: routing.Decision, owner_changed: bool) -> dict:
    """An existing contact's changes besides its list columns: nothing is overwritten, an empty name
    is filled in, a new owner when it was routed again, the MLS number for the Keyword box."""
    person, values = event.person, {}
    first, last = found.first_name, found.last_name
    if not first and not last and (person.first_name or person.last_name):
        first, last = values["first_name"], values["last_name"] = person.first_name, person.last_name
    search_text = contacts.with_mls_number(
        contacts.search_text_of(first, last, found.street, found.city, found.zip, found.search_text),
        event.lead_fields.get("mls_number"))
    if search_text != found.search_text:
        values["search_text"] = search_text
    if owner_changed and decision.agent is not None:
        values["owner_id"], values["office_id"] = decision.agent.id, decision.agent.office_id
    if event.inquiry_type == UNSUBSCRIBED:
        values["unsubscribed"] = True
    return values


def _update_contact(contact_id: int, event: EventData, changes: dict):
    """The contact's row as updated (webhooks.CONTACT_COLUMNS)."""
    parameters = {"contact_id": contact_id, "occurred_at": event.occurred_at, "inquiry_type": event.inquiry_type,
                  **{f"new_{name}": value for name, value in changes.items()}}
    return db.session.connection().execute(_merge_statement(tuple(changes)), parameters).one()


INSERT_CONTACT = insert(Contact.__table__).returning(*webhooks.CONTACT_COLUMNS)


@cache
def _insert_lead(columns: tuple[str, ...]):
    """The lead's INSERT, built once per set of `columns`: it copies its contact's fields
    (crm/services/lead_rows.py) in the same statement, as the contact stands after this event."""
    table = Lead.__table__
    own = {name: bindparam(name, type_=table.c[name].type) for name in columns}
    source = select(*own.values(), *lead_rows.COPIED_COLUMNS.values()).where(Contact.id == own["contact_id"])
    return insert(table).from_select([*columns, *lead_rows.COPIED_COLUMNS], source).returning(table.c.id)
INSERT_EMAILS, INSERT_PHONES = insert(ContactEmail.__table__), insert(ContactPhone.__table__)


def _insert_channels(contact_id: int, emails: list[str], phones: list[str]) -> None:
    connection = db.session.connection()
    if emails:
        connection.execute(INSERT_EMAILS, [dict(contact_id=contact_id, value=email) for email in emails])
    if phones:
        connection.execute(INSERT_PHONES, [dict(contact_id=contact_id, value=phone.strip(),
                                                digits=contacts.phone_digits(phone)) for phone in phones])


def _new_channels(person: PersonData, found) -> tuple[list[str], list[str]]:
    """The person's emails and phones the contact does not have yet (phones compared by digits)."""
    emails = [email for email in person.emails if email not in _split(found.emails)]
    known_digits = set(_split(found.digits))
    phones = []
    for phone in person.phones:
        digits = contacts.phone_digits(phone)
        if digits and digits not in known_digits:
            known_digits.add(digits)
            phones.append(phone)
    return emails, phones


def _emit_webhooks(stored: "_Stored", lead_id: int, lead_row: dict, created: bool) -> None:
    """The webhooks' payloads from the rows as this event stored them, unsaved copies that no
    statement reads again (only when a subscription exists)."""
    phones = [ContactPhone(value=phone, digits=contacts.phone_digits(phone)) for phone in stored.phones]
    contact = Contact(**stored.row._mapping, emails=[ContactEmail(value=email) for email in stored.emails],
                      phones=phones)
    lead = Lead(id=lead_id, **lead_row)
    webhooks.emit_together([*([("contact.created", contact, None)] if created else []),
                            ("lead.created", contact, lead)])


def _log(contact_id: int, lead_id: int, decision: routing.Decision, created: bool, plan_name: str | None,
         inquiry_type: str) -> None:
    entries = []
    if created:
        entries.append(dict(action="Created", detail="Contact created by the website"))
        if plan_name is not None:
            entries.append(dict(action="Action plan started", detail=plan_name))
    entries.append(dict(action="Routed", detail=decision.why, category="routing", lead_id=lead_id))
    if inquiry_type == UNSUBSCRIBED:
        entries.append(dict(action="Unsubscribed", detail="The consumer opted out of email.", lead_id=lead_id))
    activity.log_many([dict(contact_id=contact_id, **entry) for entry in entries])


@dataclass
class _Stored:
    """The contact as the event left it: its row (webhooks.CONTACT_COLUMNS), emails and phones."""
    row: Any
    emails: list[str]
    phones: list[str]
    copies_changed: bool = False  # a field its leads copy changed (lead_rows.WATCHED_ATTRIBUTES)

    @property
    def contact_id(self) -> int:
        return self.row.id


def _create_contact(event: EventData, found, agent: routing.Agent | None, now: datetime) -> _Stored:
    stored = db.session.connection().execute(INSERT_CONTACT, contact_values(event, found, agent, now)).one()
    _insert_channels(stored.id, event.person.emails, event.person.phones)
    if found.plan_id is not None:
        action_plans.copy_plan_tasks(stored.id, found.plan_id, now)
    return _Stored(stored, event.person.emails, [phone.strip() for phone in event.person.phones])


def _merge_into_contact(event: EventData, found, decision: routing.Decision) -> _Stored:
    agent = decision.agent
    changes = _merge_values(event, found, decision, agent is not None and agent.id != found.owner_id)
    row = _update_contact(found.id, event, changes)
    emails, phones = _new_channels(event.person, found)
    _insert_channels(found.id, emails, phones)
    return _Stored(row, _split(found.emails) + emails, _split(found.phones) + [phone.strip() for phone in phones],
                   copies_changed=not changes.keys().isdisjoint(lead_rows.WATCHED_ATTRIBUTES))


def record_event(event: EventData) -> EventResult:
    """One event, one lead: match or create the person, route, alert, in the caller's transaction."""
    _serialize_person(event.person)
    now = clock.now()
    found = db.session.execute(_lookup(), _lookup_parameters(event)).one()
    created = found.id is None
    decision = _route(event, found, created)
    agent = decision.agent
    stored = _create_contact(event, found, agent, now) if created else _merge_into_contact(event, found, decision)
    lead_row = lead_values(event, stored.contact_id, agent, now)
    lead_id = db.session.connection().execute(_insert_lead(tuple(lead_row)), lead_row).scalar_one()
    if stored.copies_changed:
        lead_rows.sync(db.session.connection(), [stored.contact_id])  # its other leads carry the new owner or name
    _log(stored.contact_id, lead_id, decision, created, found.plan_name if created else None, event.inquiry_type)
    first_name, last_name = stored.row.first_name, stored.row.last_name
    alerts.alert_new_lead(agent, stored.contact_id, f"{first_name} {last_name}".strip(), lead_id, event.inquiry_type)
    if found.webhooks_wanted:
        _emit_webhooks(stored, lead_id, lead_row, created)
    return EventResult(contact_id=stored.contact_id, first_name=first_name, last_name=last_name,
                       lead_id=lead_id, inquiry_type=event.inquiry_type, created=created, owner=agent)
