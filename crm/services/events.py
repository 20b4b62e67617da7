"""Website activity from the events API (SPEC §5): read and check an event body, then match or
create the person and record one lead per event.

`parse_event` collects every problem with the path of the offending field, so the API can answer
400 with all of them at once; `record_event` does the work inside the caller's transaction.
"""
import json
import math
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select, text

from crm import clock
from crm.extensions import db
from crm.models import Contact, ContactEmail, ContactPhone, Lead, User
from crm.models.values import INQUIRY_TYPES
from crm.services import alerts, contacts, routing, settings
from crm.validation import is_email, is_phone

EVENT_TYPES = tuple(inquiry for inquiry in INQUIRY_TYPES if inquiry != "Manual Entry")
INQUIRY_SHORTHAND = "Inquiry"
MAX_DEPTH = 6  # containers: body > person > emails > [0] is 4; anything deeper is not an event
MAX_ITEMS = 20
MAX_PRICE = 999_999_999_999  # Numeric(14, 2)
SELLER_INQUIRIES = ("Seller Inquiry",)
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
    contact: Contact
    lead: Lead
    created: bool


def _reject_constant(name: str):
    raise NotJson(f"{name} is not JSON")


def load_json(body: bytes) -> Any:
    """The body as JSON; NotJson for anything else (bad UTF-8, NaN, syntax errors)."""
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except RecursionError:
        raise InvalidEvent([{"field": "body", "message": f"The body is nested too deep (at most {MAX_DEPTH} levels)."}])
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
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


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


@contextmanager
def writes_in_turn():
    """SQLite: this process's requests take turns for the database's single write lock here, in a
    queue, instead of in SQLite's busy handler, which sleeps and polls and leaves the lock idle in
    between. Correctness never depends on it (across processes SQLite's own lock decides), and it
    holds no data. PostgreSQL: writers run side by side, nothing to do."""
    if db.engine.dialect.name != "sqlite":
        yield
        return
    with _SQLITE_WRITER:
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


def find_person(person: PersonData) -> Contact | None:
    """SPEC §5: by email (case-insensitive, stored lower-case), else by phone plus first and last name."""
    live = select(Contact).where(Contact.deleted_at.is_(None)).order_by(Contact.id).limit(1)
    if person.emails:
        match = db.session.scalar(live.join(ContactEmail).where(ContactEmail.value.in_(person.emails)))
        if match:
            return match
    digits = [contacts.phone_digits(phone) for phone in person.phones]
    if not digits:
        return None
    return db.session.scalar(live.join(ContactPhone).where(
        ContactPhone.digits.in_(digits),
        func.lower(Contact.first_name) == person.first_name.lower(),
        func.lower(Contact.last_name) == person.last_name.lower()))


def _contact_source(source: str | None) -> str:
    """The event's source when the broker lists it as a Contact Source, else `Broker` (their website)."""
    known = {name.lower(): name for name in settings.get("contact_sources")}
    return known.get((source or "").lower(), "Broker")


def _create_person(event: EventData, owner: User | None) -> Contact:
    person = event.person
    address = person.address
    return contacts.create_contact(
        None, emails=person.emails, phones=person.phones, first_name=person.first_name,
        last_name=person.last_name, owner_id=owner.id if owner else None,
        contact_source=_contact_source(event.source), business_source="Website",
        contact_type="Seller" if event.inquiry_type in SELLER_INQUIRIES else "Buyer",
        street=address.get("street"), city=address.get("city"), state=address.get("state"),
        zip=address.get("zip") or event.routing_zip, arrival_zip=event.routing_zip,
    )


def _merge_person(contact: Contact, person: PersonData) -> None:
    """New emails and phones are added; nothing is overwritten (an empty name is filled in)."""
    for email in person.emails:
        contacts.add_email(contact, email)
    for phone in person.phones:
        contacts.add_phone(contact, phone)
    if not contact.first_name and not contact.last_name and (person.first_name or person.last_name):
        contact.first_name, contact.last_name = person.first_name, person.last_name
        contacts.refresh_search_text(contact)


def record_event(event: EventData) -> EventResult:
    """One event, one lead: match or create the person, route, alert, in the caller's transaction.
    A new contact (or one whose owner left) is routed; an existing one's lead goes to its owner."""
    _serialize_person(event.person)
    contact = find_person(event.person)
    created = contact is None
    if created or not routing.has_active_owner(contact):
        decision = routing.route_new_contact(event.source, event.routing_zip)
        if created:
            contact = _create_person(event, decision.agent)
        else:
            routing.assign(contact, decision.agent)
    else:
        decision = routing.to_existing_owner(contact, event.inquiry_type)
    if not created:
        _merge_person(contact, event.person)
    lead = contacts.record_lead(contact, event.inquiry_type, event.occurred_at,
                                digest_pending=alerts.wants_digest(decision.agent, event.inquiry_type),
                                **event.lead_fields)
    routing.log(contact, lead, decision)
    alerts.alert_new_lead(contact, lead)
    return EventResult(contact=contact, lead=lead, created=created)
