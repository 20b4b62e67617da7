"""The manager's dashboard (issue 13 item 3): speed to lead, leads per day by source and by inquiry
type, referrals per sub-tab over time, late tasks and ignored referrals.

Scope: an agent sees their own contacts, a manager their office's, the broker (and concierge)
everyone's or one office's. Every figure is one grouped, indexed query over that scope; only speed
to lead brings its per-lead minutes into Python, for the percentiles SQLite cannot compute.
"""
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, select, true

from crm import clock, policy
from crm.extensions import db
from crm.models import ActivityLog, Contact, Lead, Office, User
from crm.models.values import IMMEDIATE_INQUIRIES, REFERRAL_TABS
from crm.services import action_plans, local_time, settings

DEFAULT_DAYS = 30
MAX_DAYS = 366
MAX_DAILY_BARS = 31  # longer periods are counted per week (Monday to Sunday, cut to the period)
TAB_OF_STATUS = {status: tab for tab, statuses in REFERRAL_TABS.items() for status in statuses}


@dataclass
class Period:
    """The dashboard's filter: whole days `start`..`end` (inclusive) and, for the broker, an office."""
    start: date
    end: date
    office_id: int | None = None
    problems: list[str] = field(default_factory=list)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(local_time.DEFAULT_TIME_ZONE))  # the viewer's days

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def unit(self) -> str:
        return "day" if (self.end - self.start).days < MAX_DAILY_BARS else "week"

    def bucket_of(self, day: date) -> date:
        """The first day of the bar that counts `day`."""
        if self.unit == "day":
            return day
        return max(self.start, day - timedelta(days=day.weekday()))

    def bucket_end(self, first: date) -> date:
        if self.unit == "day":
            return first
        return min(self.end, first - timedelta(days=first.weekday()) + timedelta(days=6))

    @property
    def buckets(self) -> list[date]:
        return list(dict.fromkeys(self.bucket_of(day) for day in self.days))

    @property
    def window(self) -> tuple[datetime, datetime]:
        after_end = self.end + timedelta(days=1)
        return local_time.day_start(self.start, self.zone), local_time.day_start(after_end, self.zone)

    def day_of(self, hour) -> date:
        """The viewer's day of a UTC hour as `_hour` reads it."""
        moment = hour if isinstance(hour, datetime) else datetime.fromisoformat(hour)
        return local_time.to_local(moment, self.zone).date()


def _parse_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def read_period(args, viewer: User) -> Period:
    """The period from the URL (`start`, `end`, `office`): the last 30 days by default; bad values
    fall back to the default and say so."""
    zone = local_time.zone_of(viewer)
    today = local_time.to_local(clock.now(), zone).date()
    start, end = _parse_day(args.get("start")), _parse_day(args.get("end"))
    problems = []
    if args.get("start") and start is None or args.get("end") and end is None:
        problems.append("Dates must look like 2026-11-21; the default period is shown instead.")
    end = end or today
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        problems.append("The end date is before the start date; the last 30 days are shown instead.")
        start, end = today - timedelta(days=DEFAULT_DAYS - 1), today
    if (end - start).days >= MAX_DAYS:
        problems.append(f"A period has at most {MAX_DAYS} days; it was shortened.")
        start = end - timedelta(days=MAX_DAYS - 1)
    office = args.get("office", "")
    office_id = int(office) if office.isdigit() and policy.sees_every_office(viewer) else None
    return Period(start, end, office_id, problems, zone)


def scope_condition(viewer: User, period: Period) -> ColumnElement[bool]:
    """The contacts the viewer's dashboard counts (live ones only)."""
    live = Contact.deleted_at.is_(None)
    if policy.is_agent(viewer):
        return and_(live, Contact.owner_id == viewer.id)
    if policy.is_manager(viewer):
        return and_(live, Contact.office_id == viewer.office_id)
    return and_(live, Contact.office_id == period.office_id if period.office_id else true())


def offices_to_choose(viewer: User) -> list[Office]:
    if not policy.sees_every_office(viewer):
        return []
    return list(db.session.scalars(select(Office).order_by(Office.name)))


def _hour(column):
    """The UTC hour of a timestamp, as both databases spell it: counted per hour in SQL, then put
    on the viewer's day in Python (SQLite knows no time zones)."""
    if db.engine.dialect.name == "sqlite":
        return func.strftime("%Y-%m-%d %H:00:00", column)
    return func.date_trunc("hour", column)


# --- Speed to lead --------------------------------------------------------------------------

@dataclass
class Speed:
    """Minutes from an immediate-class lead to its owner's first logged action."""
    label: str
    owner_id: int | None
    minutes: list[float]
    unanswered: int

    @property
    def leads(self) -> int:
        return len(self.minutes) + self.unanswered

    @property
    def median(self) -> float | None:
        return statistics.median(self.minutes) if self.minutes else None

    @property
    def p90(self) -> float | None:
        """Nearest-rank 90th percentile: the smallest value that at least 90% of answers are within."""
        if not self.minutes:
            return None
        ordered = sorted(self.minutes)
        return ordered[math.ceil(0.9 * len(ordered)) - 1]


def speed_to_lead(viewer: User, period: Period) -> tuple[Speed, list[Speed]]:
    """Overall and per owner, for immediate-class leads of the period with an owner."""
    start, end = period.window
    first_action = (select(func.min(ActivityLog.created_at))
                    .where(ActivityLog.contact_id == Contact.id, ActivityLog.actor_id == Contact.owner_id,
                           ActivityLog.created_at >= Lead.occurred_at)
                    .scalar_subquery())
    rows = db.session.execute(
        select(Contact.owner_id, User.name, Lead.occurred_at, first_action).select_from(Lead)
        .join(Contact, Contact.id == Lead.contact_id).join(User, User.id == Contact.owner_id)
        .where(Lead.occurred_at >= start, Lead.occurred_at < end, Lead.inquiry_type.in_(IMMEDIATE_INQUIRIES),
               scope_condition(viewer, period)))
    overall = Speed("All agents", None, [], 0)
    per_owner: dict[int | None, Speed] = {}
    for owner_id, owner_name, occurred_at, answered_at in rows:
        speed = per_owner.setdefault(owner_id, Speed(owner_name, owner_id, [], 0))
        for bucket in (overall, speed):
            if answered_at is None:
                bucket.unanswered += 1
            else:
                bucket.minutes.append((answered_at - occurred_at).total_seconds() / 60)
    return overall, sorted(per_owner.values(), key=lambda speed: speed.label)


# --- Counts per day ---------------------------------------------------------------------------

@dataclass
class DailyCounts:
    """counts[key][first day of a bar] for each key (a source, an inquiry type, a sub-tab) over the
    period's days (or weeks, for a long period)."""
    days: list[date]
    counts: dict[str, dict[date, int]]

    @property
    def keys(self) -> list[str]:
        return sorted(self.counts)

    def total(self, key: str) -> int:
        return sum(self.counts[key].values())


def _daily(period: Period, rows, key_of=lambda key: key) -> DailyCounts:
    buckets = period.buckets
    counts: dict[str, dict[date, int]] = defaultdict(lambda: dict.fromkeys(buckets, 0))
    for hour, key, count in rows:
        counts[key_of(key) or "(none)"][period.bucket_of(period.day_of(hour))] += count
    return DailyCounts(buckets, dict(counts))


def _leads_per_day(viewer: User, period: Period, key_column) -> DailyCounts:
    start, end = period.window
    day = _hour(Lead.occurred_at)
    rows = db.session.execute(
        select(day, key_column, func.count()).select_from(Lead)
        .join(Contact, Contact.id == Lead.contact_id)
        .where(Lead.occurred_at >= start, Lead.occurred_at < end, scope_condition(viewer, period))
        .group_by(day, key_column))
    return _daily(period, rows)


def leads_by_source(viewer: User, period: Period) -> DailyCounts:
    return _leads_per_day(viewer, period, Contact.contact_source)


def leads_by_inquiry_type(viewer: User, period: Period) -> DailyCounts:
    return _leads_per_day(viewer, period, Lead.inquiry_type)


def referrals_by_tab(viewer: User, period: Period) -> DailyCounts:
    """Referrals by the day they moved to their current status, per sub-tab."""
    start, end = period.window
    day = _hour(Contact.referral_status_changed_at)
    rows = db.session.execute(
        select(day, Contact.referral_status, func.count())
        .where(Contact.referral_status_changed_at >= start, Contact.referral_status_changed_at < end,
               Contact.owner_id.is_not(None), Contact.archived_at.is_(None), scope_condition(viewer, period))
        .group_by(day, Contact.referral_status))
    return _daily(period, rows, TAB_OF_STATUS.get)


# --- Compliance --------------------------------------------------------------------------------

@dataclass
class Compliance:
    late_tasks: int
    ignored: int


def compliance(viewer: User, period: Period) -> Compliance:
    """Referrals with a late task and ignored referrals, now (they are states, not events)."""
    now = clock.now()
    in_scope = and_(scope_condition(viewer, period), Contact.archived_at.is_(None))
    late, ignored = db.session.execute(select(
        func.count().filter(action_plans.plan_status_condition("Late Task", now)),
        func.count().filter(action_plans.ignored_condition(now, settings.get("days_allowed_ignored"))),
    ).select_from(Contact).where(in_scope)).one()
    return Compliance(late or 0, ignored or 0)
