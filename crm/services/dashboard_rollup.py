"""The dashboard's rollups and speed-to-lead answers, kept by the database itself (docs/product.md#dashboard:
p95 under 200 ms at 1M leads), so that every path writing leads or activity (the events API's Core
statements, the ORM, imports and their undo, trash, the demo's bulk load) keeps them exact:

- `leads.answered_at`: the owner's first logged action at or after an immediate-class lead.
  Set when an action is logged, when a lead arrives after the action, and when the owner changes.
- `dashboard_count_changes`: +1/-1 per live lead and dimension (source, inquiry type, and per
  owner the immediate leads and the unanswered ones) and UTC hour. Only appended to, so
  concurrent events never wait on a shared counter row.
- `fold_changes` (a worker job) sums the changes into `dashboard_counts`; readers add both.

The answers are row triggers on both databases; the counts are row triggers on SQLite and statement
triggers over transition tables on PostgreSQL (a COPY of a million leads: one set-based statement).
"""
from typing import cast

from sqlalchemy import Connection, CursorResult, func, select, text

from crm.extensions import db
from crm.models import DashboardCountChange
from crm.models.values import IMMEDIATE_INQUIRIES

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


def _first_action(lead: str, since: str = "") -> str:
    return (f"SELECT MIN(a.created_at) FROM activity_log a WHERE a.contact_id = {lead}.contact_id "
            f"AND a.actor_id = {lead}.owner_id AND a.created_at >= {lead}.occurred_at{since}")


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
        f"AND EXISTS ({_first_action('NEW')})"),
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
    connection.exec_driver_sql(f"UPDATE leads SET answered_at = ({_first_action('leads')}) "
                               f"WHERE {ANSWERABLE} AND EXISTS ({_first_action('leads')})")
    recount(connection)
    for statement in _install_statements(dialect):
        connection.exec_driver_sql(statement)


def uninstall(connection: Connection) -> None:
    for statement in _uninstall_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


def recount(connection: Connection) -> None:
    """The counts from the leads themselves (after a bulk load that had the triggers off, or to check)."""
    connection.exec_driver_sql("DELETE FROM dashboard_count_changes")
    connection.exec_driver_sql("DELETE FROM dashboard_counts")
    connection.exec_driver_sql(f"INSERT INTO dashboard_counts ({KEY}, leads) SELECT {KEY}, SUM(leads) FROM "
                               f"({dimension_rows(connection.dialect.name, 'leads', 1)}) AS d GROUP BY {KEY}")


def fold_changes() -> int:
    """Worker job: move the appended changes into the counts (safe in several workers at once)."""
    upsert = ("ON CONFLICT (dimension, scope_id, hour, value) "
              "DO UPDATE SET leads = dashboard_counts.leads + excluded.leads")
    if db.engine.dialect.name == "postgresql":
        moved = db.session.execute(text(
            f"WITH moved AS (DELETE FROM dashboard_count_changes RETURNING {KEY}, leads), "
            f"summed AS (INSERT INTO dashboard_counts ({KEY}, leads) SELECT {KEY}, SUM(leads) FROM moved "
            f"GROUP BY {KEY} {upsert} RETURNING 1) SELECT COUNT(*) FROM summed")).scalar_one()
    else:
        last = db.session.scalar(select(func.max(DashboardCountChange.id)))
        if last is None:
            return 0
        moved = cast(CursorResult, db.session.execute(text(
            f"INSERT INTO dashboard_counts ({KEY}, leads) SELECT {KEY}, SUM(leads) FROM dashboard_count_changes "
            f"WHERE id <= :last GROUP BY {KEY} {upsert}"), {"last": last})).rowcount
        db.session.execute(text("DELETE FROM dashboard_count_changes WHERE id <= :last"), {"last": last})
    db.session.commit()
    return moved
