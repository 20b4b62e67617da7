"""Local time (docs/product.md#time). Times are stored as naive UTC; every time a person reads (page, CSV,
email) goes through `display` in the reader's zone, and every day a person means ("Today", a date
range, an appointment's date and time) is turned into UTC here.

A reader's zone: their own choice in Preferences, else their office's, else the default.
"""
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from crm.extensions import db
from crm.models import Contact, Office, User
from crm.models.org import DEFAULT_TIME_ZONE

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@cache
def zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def is_zone_name(name: str | None) -> bool:
    return bool(name) and name in zone_names()


def zone_name_of(user: User | None) -> str:
    if user is None:
        return DEFAULT_TIME_ZONE
    return user.time_zone or (user.office.time_zone if user.office else DEFAULT_TIME_ZONE)


def zone_of(user: User | None) -> ZoneInfo:
    return ZoneInfo(zone_name_of(user))


def appointment_zone(contact: Contact, concierge: User) -> ZoneInfo:
    """The zone the concierge enters an appointment in: the contact's office's, else their own office's."""
    office = db.session.get(Office, contact.office_id or concierge.office_id or 0)
    return ZoneInfo(office.time_zone if office else DEFAULT_TIME_ZONE)


def to_local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(zone)


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in `zone` as naive UTC (a time skipped or repeated by DST: its first meaning)."""
    return local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def display(moment: datetime | None, zone: ZoneInfo) -> str:
    """`Nov 21, 2026 1:02 PM EST`: the one way a time is written for people."""
    if moment is None:
        return "—"
    local = to_local(moment, zone)
    return _written(local, local.tzname())


def display_day(moment: datetime, zone: ZoneInfo) -> str:
    """`Nov 21, 2026`: the reader's day of a time."""
    local = to_local(moment, zone)
    return f"{MONTHS[local.month - 1]} {local.day}, {local.year}"


def display_time(moment: datetime, zone: ZoneInfo) -> str:
    """`1:02 PM EST`, for a time on a day the reader already knows."""
    local = to_local(moment, zone)
    return f"{_clock_time(local)} {local.tzname()}"


def _clock_time(local: datetime) -> str:
    return f"{local.hour % 12 or 12}:{local.minute:02d} {'PM' if local.hour >= 12 else 'AM'}"


def _written(local: datetime, abbreviation: str) -> str:
    """English month names whatever the server's locale; no strftime (slow for a million rows)."""
    return f"{MONTHS[local.month - 1]} {local.day}, {local.year} {_clock_time(local)} {abbreviation}"


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The UTC moment the day begins in `zone`."""
    return to_utc(datetime.combine(day, time.min), zone)


def activity_window(period: str | None, date_from: date | None, date_to: date | None, now: datetime,
                    zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """The Leads `Activity` filter as UTC bounds: `Today` and `This week` (from Monday) are the
    viewer's day and week; a date range covers whole days of the viewer's zone."""
    today = to_local(now, zone).date()
    if period == "Today":
        return day_start(today, zone), None
    if period == "This week":
        return day_start(today - timedelta(days=today.weekday()), zone), None
    if period == "Last 30 days":
        return now - timedelta(days=30), None
    start = day_start(date_from, zone) if date_from else None
    end = day_start(date_to + timedelta(days=1), zone) if date_to else None
    return start, end


class ManyTimes:
    """`display` for many times in one zone (a CSV of a million leads): the zone's offset and
    abbreviation are looked up once per UTC hour, not once per time. None stays None (an empty cell)."""

    def __init__(self, zone: ZoneInfo):
        self.zone = zone
        self._hours: dict[int, tuple[timedelta, str]] = {}

    def __call__(self, moment: datetime | None) -> str | None:
        if moment is None:
            return None
        hour = moment.toordinal() * 24 + moment.hour
        known = self._hours.get(hour)
        if known is None:
            local_hour = to_local(moment.replace(minute=0, second=0, microsecond=0), self.zone)
            known = self._hours[hour] = (local_hour.utcoffset(), local_hour.tzname())
        offset, abbreviation = known
        return _written(moment + offset, abbreviation)
