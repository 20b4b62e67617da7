"""The dashboard's rollups and speed-to-lead answers, kept by the database itself (docs/product.md#dashboard:
p95 under 200 ms at 1M leads), so that every path writing leads or activity (the events API's Core
statements, the ORM, imports and their undo, trash, the demo's bulk load) keeps them exact:

- `leads.answered_at`: the owner's first logged action at or after an immediate-class lead.
  Set when an action is logged, when a lead arrives after the action, and when the owner changes.
- `dashboard_count_changes`: +1/-1 per live lead and dimension (source, inquiry type, and per
  owner the immediate leads and the unanswered ones) and UTC hour. Only appended to, so
  concurrent events never wait on a shared counter row.
- `fold_changes` (a worker job) sums the changes into `dashboard_counts` and, per local day of every
  zone in use (the offices' and people's), into `dashboard_days`; readers add the pending changes.

The answers are row triggers on both databases; the counts are row triggers on SQLite and statement
triggers over transition tables on PostgreSQL (a COPY of a million leads: one set-based statement).
"""
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import cast as typing_cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, CursorResult, Date, case, cast, delete, func, inspect, literal, select, text

from crm.extensions import db
from crm.models import DashboardCount, DashboardCountChange, DashboardDay, DashboardZone, Office, User
from crm.models.org import DEFAULT_TIME_ZONE
from crm.models.values import IMMEDIATE_INQUIRIES
from crm.services import local_time

IMMEDIATE_SQL = ", ".join(f"'{inquiry}'" for inquiry in IMMEDIATE_INQUIRIES)
KEY = "hour, scope_id, dimension, value"
LEAD_COLUMNS = ("occurred_at", "office_id", "owner_id", "contact_source", "inquiry_type", "contact_deleted",
                "answered_at")


def hour_of(dialect: str, column: str) -> str:
    """The UTC hour of a timestamp, stored as SQLAlchemy stores datetimes on SQLite."""
    if dialect == "sqlite":
        return f"strftime('%Y-%m-%d %H:00:00.000000', {column})"
    return f"date_trunc('hour', {column})"


OFFICE = "COALESCE(office_id, 0)"
OWNER = "COALESCE(owner_id, 0)"
# dimension: (scope_id, value, which live leads); an agent's charts read the owner_ ones.
DIMENSIONS = {
    "source": (OFFICE, "COALESCE(contact_source, '')", ""),
    "inquiry": (OFFICE, "inquiry_type", ""),
    "owner_source": (OWNER, "COALESCE(contact_source, '')", ""),
    "owner_inquiry": (OWNER, "inquiry_type", ""),
    "immediate": (OFFICE, "CAST(owner_id AS VARCHAR(60))",
                  f" AND owner_id IS NOT NULL AND inquiry_type IN ({IMMEDIATE_SQL})"),
    "unanswered": (OFFICE, "CAST(owner_id AS VARCHAR(60))",
                   f" AND owner_id IS NOT NULL AND inquiry_type IN ({IMMEDIATE_SQL}) AND answered_at IS NULL"),
}


def dimension_rows(dialect: str, relation: str, sign: int) -> str:
    """What each live lead of `relation` counts for, `sign` times: SELECT hour, scope_id,
    dimension, value, leads."""
    return " UNION ALL ".join(
        f"SELECT {hour_of(dialect, 'occurred_at')} AS hour, {scope} AS scope_id, '{dimension}' AS dimension, "
        f"{value} AS value, {sign} AS leads FROM {relation} WHERE NOT contact_deleted{which}"
        for dimension, (scope, value, which) in DIMENSIONS.items())


def _append_changes(rows: str) -> str:
    return (f"INSERT INTO dashboard_count_changes ({KEY}, leads) SELECT {KEY}, SUM(leads) FROM ({rows}) AS d "
            f"GROUP BY {KEY} HAVING SUM(leads) <> 0")


def _owner_actions(lead: str, since: str = "") -> str:
    return (f"FROM activity_log a WHERE a.contact_id = {lead}.contact_id "
            f"AND a.actor_id = {lead}.owner_id AND a.created_at >= {lead}.occurred_at{since}")


def _first_action(lead: str, since: str = "") -> str:
    return f"SELECT MIN(a.created_at) {_owner_actions(lead, since)}"


def _sqlite_row(alias: str) -> str:
    """A one-row relation of a SQLite trigger's NEW or OLD."""
    return "(SELECT " + ", ".join(f"{alias}.{column} AS {column}" for column in LEAD_COLUMNS) + ")"


ANSWERABLE = f"owner_id IS NOT NULL AND inquiry_type IN ({IMMEDIATE_SQL})"
# The answers: row triggers on both databases (each probes one contact's activity or leads by index).
# trigger: (when, event, table, statement)
ANSWER_TRIGGERS = {
    "leads_answered_on_insert": (
        f"NEW.owner_id IS NOT NULL AND NEW.inquiry_type IN ({IMMEDIATE_SQL})", "INSERT", "leads",
        f"UPDATE leads SET answered_at = ({_first_action('NEW')}) WHERE id = NEW.id "
        f"AND EXISTS (SELECT 1 {_owner_actions('NEW')})"),
    "leads_answered_on_owner": (
        "OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.occurred_at IS DISTINCT FROM NEW.occurred_at",
        "UPDATE OF owner_id, occurred_at", "leads",
        f"UPDATE leads SET answered_at = ({_first_action('leads')}) WHERE id = NEW.id AND {ANSWERABLE}"),
    "activity_answers_leads": (
        "NEW.actor_id IS NOT NULL AND NEW.contact_id IS NOT NULL", "INSERT", "activity_log",
        "UPDATE leads SET answered_at = NEW.created_at WHERE contact_id = NEW.contact_id "
        f"AND owner_id = NEW.actor_id AND inquiry_type IN ({IMMEDIATE_SQL}) AND occurred_at <= NEW.created_at "
        "AND (answered_at IS NULL OR answered_at > NEW.created_at)"),
}
# The counts: row triggers on SQLite; statement triggers over transition tables on PostgreSQL
# (a COPY of a million leads is one set-based statement). trigger: (event, SQLite body, PostgreSQL body)
_CHANGED = ("AFTER UPDATE OF " + ", ".join(LEAD_COLUMNS))
COUNT_TRIGGERS = {
    "leads_dashboard_insert": ("INSERT", _append_changes(dimension_rows("sqlite", _sqlite_row("NEW"), 1)),
                               _append_changes(dimension_rows("postgresql", "new_rows", 1))),
    "leads_dashboard_delete": ("DELETE", _append_changes(dimension_rows("sqlite", _sqlite_row("OLD"), -1)),
                               _append_changes(dimension_rows("postgresql", "old_rows", -1))),
    "leads_dashboard_update": (
        "UPDATE",
        _append_changes(dimension_rows("sqlite", _sqlite_row("OLD"), -1) + " UNION ALL "
                        + dimension_rows("sqlite", _sqlite_row("NEW"), 1)),
        _append_changes(dimension_rows("postgresql", "old_rows", -1) + " UNION ALL "
                        + dimension_rows("postgresql", "new_rows", 1))),
}
_TRANSITION_TABLES = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
                      "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}


def _plpgsql(name: str, body: str) -> str:
    return f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body}; RETURN NULL; END $$"


def _install_statements(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return ([f"CREATE TRIGGER {name} AFTER {event} ON {table} WHEN {when} BEGIN {statement}; END"
                 for name, (when, event, table, statement) in ANSWER_TRIGGERS.items()]
                + [f"CREATE TRIGGER {name} {_CHANGED if event == 'UPDATE' else 'AFTER ' + event} ON leads "
                   f"BEGIN {body}; END" for name, (event, body, _pg) in COUNT_TRIGGERS.items()])
    statements = []
    for name, (when, event, table, statement) in ANSWER_TRIGGERS.items():
        statements += [_plpgsql(name, statement), f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW "
                                                  f"WHEN ({when}) EXECUTE FUNCTION {name}()"]
    for name, (event, _sqlite, body) in COUNT_TRIGGERS.items():
        statements += [_plpgsql(name, body),
                       f"CREATE TRIGGER {name} AFTER {event} ON leads REFERENCING {_TRANSITION_TABLES[event]} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"]
    return statements


def _uninstall_statements(dialect: str) -> list[str]:
    triggers = [(name, table) for name, (_w, _e, table, _s) in ANSWER_TRIGGERS.items()]
    triggers += [(name, "leads") for name in COUNT_TRIGGERS]
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name, _table in triggers]
    return ([f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in triggers]
            + [f"DROP FUNCTION IF EXISTS {name}()" for name, _table in triggers])


def install(connection: Connection) -> None:
    """Fill `answered_at` and the counts from the rows already there, then install the triggers."""
    dialect = connection.dialect.name
    # EXISTS of the actions themselves (an aggregate's EXISTS is always true: every answerable lead,
    # with all its indexes, was rewritten to set NULL)
    connection.exec_driver_sql(f"UPDATE leads SET answered_at = ({_first_action('leads')}) "
                               f"WHERE {ANSWERABLE} AND EXISTS (SELECT 1 {_owner_actions('leads')})")
    recount(connection)
    for statement in _install_statements(dialect):
        connection.exec_driver_sql(statement)


def reinstall_triggers(connection: Connection) -> None:
    """The triggers made again from this module's text, the rows left as they are."""
    uninstall(connection)
    for statement in _install_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


def uninstall(connection: Connection) -> None:
    for statement in _uninstall_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


def recount(connection: Connection) -> None:
    """The counts from the leads themselves (after a bulk load that had the triggers off, or to check)."""
    connection.exec_driver_sql("DELETE FROM dashboard_count_changes")
    connection.exec_driver_sql("DELETE FROM dashboard_counts")
    if inspect(connection).has_table("dashboard_days"):  # not yet when migration c13 installs the triggers
        connection.exec_driver_sql("DELETE FROM dashboard_days")  # summed again from the counts by the next fold
        connection.exec_driver_sql("DELETE FROM dashboard_zones")
    connection.exec_driver_sql(f"INSERT INTO dashboard_counts ({KEY}, leads) SELECT {KEY}, SUM(leads) FROM "
                               f"({dimension_rows(connection.dialect.name, 'leads', 1)}) AS d GROUP BY {KEY}")


def fold_changes() -> int:
    """Worker job: move the appended changes into the counts and each summed zone's days, then sum
    the days of zones newly in use (safe in several workers at once: folds take turns)."""
    upsert = ("ON CONFLICT (dimension, scope_id, hour, value) "
              "DO UPDATE SET leads = dashboard_counts.leads + excluded.leads")
    zones = list(db.session.scalars(select(DashboardZone.zone)))
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(1313)"))  # a zone summed while another folds
        moved = db.session.execute(text(
            f"WITH moved AS (DELETE FROM dashboard_count_changes RETURNING {KEY}, leads), "
            f"days AS (INSERT INTO dashboard_days (zone, dimension, scope_id, day, value, leads) "
            f"SELECT z.zone, m.dimension, m.scope_id, {_pg_local_day('m.hour', 'z.zone')}, m.value, SUM(m.leads) "
            f"FROM moved m CROSS JOIN dashboard_zones z GROUP BY 1, 2, 3, 4, 5 {_DAYS_UPSERT}), "
            f"summed AS (INSERT INTO dashboard_counts ({KEY}, leads) SELECT {KEY}, SUM(leads) FROM moved "
            f"GROUP BY {KEY} {upsert} RETURNING 1) SELECT COUNT(*) FROM summed")).scalar_one()
    else:
        moved = 0
        last = db.session.scalar(select(func.max(DashboardCountChange.id)))
        if last is not None:
            pending = select(DashboardCountChange).where(DashboardCountChange.id <= last).subquery()
            for zone in zones:
                _add_days(zone, pending)
            moved = typing_cast(CursorResult, db.session.execute(text(
                f"INSERT INTO dashboard_counts ({KEY}, leads) SELECT {KEY}, SUM(leads) FROM dashboard_count_changes "
                f"WHERE id <= :last GROUP BY {KEY} {upsert}"), {"last": last})).rowcount
            db.session.execute(text("DELETE FROM dashboard_count_changes WHERE id <= :last"), {"last": last})
    _keep_zones_in_use(set(zones))
    db.session.commit()
    return moved


_DAYS_UPSERT = ("ON CONFLICT (zone, dimension, scope_id, day, value) "
                "DO UPDATE SET leads = dashboard_days.leads + excluded.leads")


def _add_days(zone: str, rows) -> None:
    """Add `rows` (hour, dimension, scope_id, value, leads) to `zone`'s days."""
    first, last = db.session.execute(select(func.min(rows.c.hour), func.max(rows.c.hour))).one()
    if first is None:
        return
    zone_info = ZoneInfo(zone)
    first_day, last_day = (local_time.to_local(_as_datetime(moment), zone_info).date() for moment in (first, last))
    day = local_day(rows.c.hour, zone_info, first_day, last_day).label("day")
    summed = (select(literal(zone), rows.c.dimension, rows.c.scope_id, day, rows.c.value, func.sum(rows.c.leads))
              .group_by(rows.c.dimension, rows.c.scope_id, day, rows.c.value))
    compiled = summed.compile(db.engine, compile_kwargs={"literal_binds": True})
    db.session.execute(text(f"INSERT INTO dashboard_days (zone, dimension, scope_id, day, value, leads) "
                            f"{compiled} {_DAYS_UPSERT}"))


def _as_datetime(moment) -> datetime:
    return moment if isinstance(moment, datetime) else datetime.fromisoformat(moment)


def zones_in_use() -> set[str]:
    """The zones dashboards are read in: every office's and every personal choice."""
    names = {DEFAULT_TIME_ZONE, *db.session.scalars(select(Office.time_zone)),
             *db.session.scalars(select(User.time_zone).where(User.time_zone.is_not(None)).distinct())}
    return {name for name in names if local_time.is_zone_name(name)}


def _keep_zones_in_use(summed: set[str]) -> None:
    """Sum the days of zones newly in use from the folded counts; forget zones no longer in use."""
    in_use = zones_in_use()
    for zone in sorted(summed - in_use):
        db.session.execute(delete(DashboardDay).where(DashboardDay.zone == zone))
        db.session.execute(delete(DashboardZone).where(DashboardZone.zone == zone))
    for zone in sorted(in_use - summed):
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(
                f"INSERT INTO dashboard_days (zone, dimension, scope_id, day, value, leads) "
                f"SELECT CAST(:zone AS TEXT), dimension, scope_id, {_pg_local_day('hour', 'CAST(:zone AS TEXT)')}, "
                f"value, SUM(leads) FROM dashboard_counts GROUP BY 2, 3, 4, 5"), {"zone": zone})
        else:
            _add_days(zone, select(DashboardCount).subquery())
        db.session.add(DashboardZone(zone=zone))


def has_days(zone: str) -> bool:
    return db.session.get(DashboardZone, zone) is not None


# --- Local days in SQL ------------------------------------------------------------------------

def _pg_local_day(column: str, zone: str) -> str:
    return f"CAST(({column} AT TIME ZONE 'UTC') AT TIME ZONE {zone} AS DATE)"


def _offset(moment: datetime, zone: ZoneInfo) -> int:
    offset = local_time.to_local(moment, zone).utcoffset()
    return int(offset.total_seconds()) if offset else 0


def utc_offsets(zone: ZoneInfo, first: date, last: date) -> list[tuple[datetime, int]]:
    """(from this UTC moment, the zone's offset in seconds) over the days `first`..`last`: one
    piece, or a few where daylight saving time switches."""
    start = local_time.day_start(first, zone)
    pieces = [(start, _offset(start, zone))]
    for number in range((last - first).days + 1):
        day = first + timedelta(days=number)
        after = local_time.day_start(day + timedelta(days=1), zone)
        if _offset(after, zone) != pieces[-1][1]:  # switched during `day`: find the hour
            moment = local_time.day_start(day, zone)
            while _offset(moment, zone) == pieces[-1][1]:
                moment += timedelta(hours=1)
            pieces.append((moment, _offset(moment, zone)))
    return pieces


def local_day(column, zone: ZoneInfo, first: date, last: date):
    """The day in `zone` of a UTC timestamp column whose days are within `first`..`last`, in SQL
    (SQLite knows no time zones: the offsets of the pieces are spelled out)."""
    if db.engine.dialect.name == "postgresql":
        return cast(func.timezone(zone.key, func.timezone("UTC", column)), Date)
    pieces = utc_offsets(zone, first, last)

    def shift(seconds: int):
        return literal(f"{seconds:+d} seconds")

    offset = case(*[(column < until, shift(seconds)) for (_, seconds), (until, _) in pairwise(pieces)],
                  else_=shift(pieces[-1][1])) if len(pieces) > 1 else shift(pieces[0][1])
    return func.date(column, offset)
