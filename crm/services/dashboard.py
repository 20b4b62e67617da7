"""The manager's dashboard (docs/product.md#dashboard): speed to lead, leads per day by source and by inquiry
type, referrals per sub-tab over time, late tasks and ignored referrals.

Scope: an agent sees their own contacts, a manager their office's, the broker (and concierge)
everyone's or one office's. Lead counts come from the hourly rollups the database keeps
(crm/services/dashboard_rollup.py), speed to lead from `leads.answered_at`: only the answered
leads' minutes come into Python, for the percentiles SQLite cannot compute.
"""
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    Integer,
    String,
    TableClause,
    and_,
    column,
    func,
    literal,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles

from crm import clock, policy
from crm.extensions import db
from crm.models import Contact, DashboardCount, DashboardCountChange, DashboardDay, Office, User
from crm.models.values import REFERRAL_TABS
from crm.services import action_plans, dashboard_rollup, local_time, settings

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
        """The UTC hours whose local day is in the period, [first, after last) (a lead counts on the
        day of its hour: exact wherever the offset is whole hours)."""
        first, after_end = self.start, self.end + timedelta(days=1)
        return _hour_up(local_time.day_start(first, self.zone)), _hour_up(local_time.day_start(after_end, self.zone))

    def utc_offsets(self) -> list[tuple[datetime, int]]:
        return dashboard_rollup.utc_offsets(self.zone, self.start, self.end)


def _hour_up(moment: datetime) -> datetime:
    hour = moment.replace(minute=0, second=0, microsecond=0)
    return hour if hour == moment else hour + timedelta(hours=1)


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


def scope_condition(viewer: User, period: Period, contacts=Contact.__table__.c) -> ColumnElement[bool]:
    """The contacts the viewer's dashboard counts (live ones only)."""
    live = contacts.deleted_at.is_(None)
    if policy.is_agent(viewer):
        return and_(live, contacts.owner_id == viewer.id)
    if policy.is_manager(viewer):
        return and_(live, contacts.office_id == viewer.office_id)
    return and_(live, contacts.office_id == period.office_id if period.office_id else true())


def offices_to_choose(viewer: User) -> list[Office]:
    if not policy.sees_every_office(viewer):
        return []
    return list(db.session.scalars(select(Office).order_by(Office.name)))


def _local_day(column, period: Period):
    """The viewer's day of a UTC timestamp, in SQL."""
    return dashboard_rollup.local_day(column, period.zone, period.start, period.end)


def _counted(dimension: str, period: Period, scope_ids: list[int], per_day: bool = True):
    """(day, value, leads) from the rollups of `scope_ids` (folded counts plus pending changes), or
    without `per_day` (value, leads)."""
    start, end = period.window
    pending = DashboardCountChange
    in_scope = and_(pending.scope_id.in_(scope_ids), pending.dimension == dimension)
    parts = [select(_local_day(pending.hour, period).label("day"), pending.value, pending.leads)
             .where(in_scope, pending.hour >= start, pending.hour < end)]
    if dashboard_rollup.has_days(period.zone.key):
        parts.append(select(DashboardDay.day, DashboardDay.value, DashboardDay.leads).where(
            DashboardDay.zone == period.zone.key, DashboardDay.dimension == dimension,
            DashboardDay.scope_id.in_(scope_ids), DashboardDay.day >= period.start, DashboardDay.day <= period.end))
    else:  # the worker has not summed this zone's days yet
        folded = DashboardCount
        parts.append(select(_local_day(folded.hour, period).label("day"), folded.value, folded.leads).where(
            folded.dimension == dimension, folded.scope_id.in_(scope_ids), folded.hour >= start, folded.hour < end))
    rows = union_all(*parts).subquery()
    columns = [rows.c.day] if per_day else []
    columns.append(rows.c.value)
    total = func.sum(rows.c.leads)
    return db.session.execute(select(*columns, total).group_by(*columns).having(total != 0))


def _offices_in_view(viewer: User, period: Period) -> list[int]:
    """The rollups' office scopes the viewer counts (0: leads without an office); an agent's
    own leads may be in any office."""
    if policy.is_manager(viewer):
        return [viewer.office_id or 0]
    if period.office_id is not None:
        return [period.office_id]
    return [0, *db.session.scalars(select(Office.id))]


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


def _answered_leads():
    """`leads` read through the answered leads' covering partial index: SQLite's planner, with
    statistics, prefers the live-leads index and then reads every lead of the period (SQLAlchemy
    renders no `with_hint` for SQLite)."""
    return text("leads INDEXED BY ix_leads_answered" if db.engine.dialect.name == "sqlite" else "leads")


def speed_to_lead(viewer: User, period: Period) -> tuple[Speed, list[Speed]]:
    """Overall and per owner, for immediate-class leads of the period with an owner."""
    offices = _offices_in_view(viewer, period)  # an agent: every office, then only their own leads

    def per_owner_count(dimension: str) -> dict[int, int]:
        return {int(owner): count for owner, count in _counted(dimension, period, offices, per_day=False)
                if not policy.is_agent(viewer) or int(owner) == viewer.id}

    leads, unanswered = per_owner_count("immediate"), per_owner_count("unanswered")
    names = {user_id: name for user_id, name in db.session.execute(select(User.id, User.name)
                                                                    .where(User.id.in_(leads)))}
    per_owner = {owner_id: Speed(names.get(owner_id, ""), owner_id, [], unanswered.get(owner_id, 0))
                 for owner_id in leads}
    start, end = period.window
    lead_owner, occurred, answer, office = (column("owner_id", Integer), column("occurred_at", DateTime),
                                            column("answered_at", DateTime), column("office_id", Integer))
    answered = (select(lead_owner, occurred, answer).select_from(_answered_leads())
                .where(answer.is_not(None), occurred >= start, occurred < end,
                       lead_owner.is_not(None), column("contact_deleted").is_(False)))
    if policy.is_agent(viewer):
        answered = answered.where(lead_owner == viewer.id)
    elif policy.is_manager(viewer) or period.office_id is not None:
        answered = answered.where(office.in_(offices))
    overall = Speed("All agents", None, [], sum(per_owner[owner].unanswered for owner in per_owner))
    for owner_id, occurred_at, answered_at in db.session.execute(answered):
        minutes = (answered_at - occurred_at).total_seconds() / 60
        overall.minutes.append(minutes)
        per_owner[owner_id].minutes.append(minutes)
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
    for day, key, count in rows:
        local = day if isinstance(day, date) else date.fromisoformat(day)
        counts[key_of(key) or "(none)"][period.bucket_of(local)] += count
    return DailyCounts(buckets, dict(counts))


def _leads_per_day(viewer: User, period: Period, dimension: str) -> DailyCounts:
    if policy.is_agent(viewer):
        return _daily(period, _counted(f"owner_{dimension}", period, [viewer.id]))
    return _daily(period, _counted(dimension, period, _offices_in_view(viewer, period)))


def leads_by_source(viewer: User, period: Period) -> DailyCounts:
    return _leads_per_day(viewer, period, "source")


def leads_by_inquiry_type(viewer: User, period: Period) -> DailyCounts:
    return _leads_per_day(viewer, period, "inquiry")


def referrals_by_tab(viewer: User, period: Period) -> DailyCounts:
    """Referrals by the day they moved to their current status, per sub-tab: a range of the live
    contacts' covering index per bar (SQLite's planner, left alone, takes the office's, the owner's
    or the uncovered index and looks up every contact; days computed per contact cost as much)."""
    table = _IndexedTable("contacts", *(column(name, type_) for name, type_ in _REFERRAL_COLUMNS.items()),
                             index="ix_contacts_live_referral_changed")
    contacts, bars = table.c, _bars(period)
    changed = contacts.referral_status_changed_at
    rows = db.session.execute(
        select(bars.c.first, contacts.referral_status, func.count())
        .select_from(bars).join(table, and_(changed >= bars.c.since, changed < bars.c.until))
        .where(contacts.owner_id.is_not(None), contacts.archived_at.is_(None),
               scope_condition(viewer, period, contacts))
        .group_by(bars.c.first, contacts.referral_status))
    return _daily(period, rows, TAB_OF_STATUS.get)


def _bars(period: Period):
    """The period's bars as rows (first day, from this UTC moment, until that one): a range of the
    index per bar instead of a local day computed for every contact."""
    def moment(day: date):
        return literal(local_time.day_start(day, period.zone), DateTime)

    return union_all(*[select(literal(first, Date).label("first"), moment(first).label("since"),
                              moment(period.bucket_end(first) + timedelta(days=1)).label("until"))
                       for first in period.buckets]).subquery("bars")


_REFERRAL_COLUMNS = {"referral_status_changed_at": DateTime, "referral_status": String, "owner_id": Integer,
                     "office_id": Integer, "archived_at": DateTime, "deleted_at": DateTime}


class _IndexedTable(TableClause):
    """A table read through a named index on SQLite (`INDEXED BY`): SQLAlchemy renders no `with_hint` there."""
    inherit_cache = False

    def __init__(self, name: str, *columns, index: str | None):
        super().__init__(name, *columns)
        self.index = index


@compiles(_IndexedTable)
def _table_with_its_index(element: _IndexedTable, compiler, **kw) -> str:
    text_ = compiler.visit_table(element, **kw)
    if kw.get("asfrom") and element.index and compiler.dialect.name == "sqlite":
        return f"{text_} INDEXED BY {element.index}"
    return text_


# --- Compliance --------------------------------------------------------------------------------

@dataclass
class Compliance:
    late_tasks: int
    ignored: int


def compliance(viewer: User, period: Period) -> Compliance:
    """Referrals with a late task and ignored referrals, now (they are states, not events)."""
    now = clock.now()
    in_scope = and_(scope_condition(viewer, period), Contact.archived_at.is_(None),
                    Contact.action_plan_id.is_not(None), Contact.plan_completed_at.is_(None))  # both need an open plan
    late, ignored = db.session.execute(select(
        func.count().filter(action_plans.plan_status_condition("Late Task", now)),
        func.count().filter(action_plans.ignored_condition(now, settings.get("days_allowed_ignored"))),
    ).select_from(Contact).where(in_scope)).one()
    return Compliance(late or 0, ignored or 0)
