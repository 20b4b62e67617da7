"""Input checks shared by forms and the events API."""
import re
from datetime import UTC, datetime, timedelta

from wtforms.validators import Length

from crm import clock
from crm.models import ContactEmail, ContactPhone

EARLIEST_EVENT = datetime(1900, 1, 1)

EMAIL_PATTERN = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def is_email(value: str) -> bool:
    return bool(EMAIL_PATTERN.match(value or "")) and len(value) <= max_length(ContactEmail.value)


def is_phone(value: str) -> bool:
    """7 to 15 digits, in no more characters than ContactPhone.value holds."""
    return 7 <= len(re.sub(r"\D", "", value or "")) <= 15 and len(value.strip()) <= max_length(ContactPhone.value)


# Control characters (line breaks and tabs become spaces) and the bidi overrides/isolates that can make
# a name display as something else.
UNSAFE_IN_NAMES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean_name(value):
    """A name, address or other one-line text without control or bidi-override characters (a WTForms filter)."""
    if not isinstance(value, str):
        return value
    return " ".join(UNSAFE_IN_NAMES.sub("", value).split())


def max_length(column) -> int:
    """The size of a String column (`Contact.first_name`): form limits come from the schema."""
    return column.property.columns[0].type.length


def fits(column) -> Length:
    limit = max_length(column)
    return Length(max=limit, message=f"At most {limit} characters.")


BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def event_input_errors(body) -> list[dict[str, str]]:
    """What the events API refuses before its parser runs: impossible times and names that would
    display as something else (bidi overrides)."""
    errors = [error for error in [event_time_error(body)] if error]
    person = body.get("person") if isinstance(body, dict) else None
    for key in ("firstName", "lastName"):
        value = person.get(key) if isinstance(person, dict) else None
        if isinstance(value, str) and BIDI_CONTROLS.search(value):
            errors.append({"field": f"person.{key}", "message": f"person.{key} has text-direction control characters."})
    return errors


def event_time_error(body) -> dict[str, str] | None:
    """The events API's `occurredAt` when it cannot be a real event time: beyond what the database
    stores, or more than a day ahead (it would pin the contact to the top of every list)."""
    raw = body.get("occurredAt") if isinstance(body, dict) else None
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None  # the parser names the format it wants
    try:
        moment = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before the first representable moment
        moment = datetime.min
    if moment < EARLIEST_EVENT:
        return {"field": "occurredAt", "message": f"occurredAt must be after {EARLIEST_EVENT.year}."}
    if moment > clock.now() + timedelta(days=1):
        return {"field": "occurredAt", "message": "occurredAt may be at most one day ahead."}
    return None
