"""The dashboard's rollups and speed-to-lead answers, kept by the database itself (issue 13 item 3:
p95 under 200 ms at 1M leads), so that every path writing leads or activity (the events API's Core
statements, the ORM, imports and their undo, trash, the demo's bulk load) keeps them exact:

- `leads.answered_at`: the owner's first logged action at or after an immediate-class lead.
  Set when an action is logged, when a lead arrives after the action, and when the owner changes.
- `dashboard_count_changes`: +1/-1 per live lead and dimension (source, inquiry type, and per
  owner the immediate leads and the unanswered ones) and UTC hour. Only appended to, so
  concurrent events never wait on a shared counter row.
- `fold_changes` (a worker job) sums the changes into `dashboard_counts`; readers add both.

SQLite runs row triggers; PostgreSQL statement triggers over transition tables (one set-based
statement for a COPY of a million rows). Both spell the same SELECTs below.
"""
from sqlalchemy import Connection, func, select, text

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
    "immediate": ("owner_id", f"CAST({OFFICE} AS VARCHAR(60))",
                  f" AND owner_id IS NOT NULL AND inquiry_type IN ({IMMEDIATE_SQL})"),
    "unanswered": ("owner_id", f"CAST({OFFICE} AS VARCHAR(60))",
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

SQLITE_TRIGGERS = {
    "leads_dashboard_insert": f"AFTER INSERT ON leads BEGIN {_append_changes(dimension_rows('sqlite', _sqlite_row('NEW'), 1))}; END",
    "leads_dashboard_delete": f"AFTER DELETE ON leads BEGIN {_append_changes(dimension_rows('sqlite', _sqlite_row('OLD'), -1))}; END",
    "leads_dashboard_update": (
        f"AFTER UPDATE OF {', '.join(LEAD_COLUMNS)} ON leads BEGIN "
        + _append_changes(dimension_rows('sqlite', _sqlite_row('OLD'), -1) + " UNION ALL "
                          + dimension_rows('sqlite', _sqlite_row('NEW'), 1)) + "; END"),
    "leads_answered_on_insert": (
        f"AFTER INSERT ON leads WHEN NEW.owner_id IS NOT NULL AND NEW.inquiry_type IN ({IMMEDIATE_SQL}) BEGIN "
        f"UPDATE leads SET answered_at = ({_first_action('NEW')}) WHERE id = NEW.id "
        f"AND EXISTS ({_first_action('NEW')}); END"),
    "leads_answered_on_owner": (
        "AFTER UPDATE OF owner_id, occurred_at ON leads WHEN OLD.owner_id IS NOT NEW.owner_id "
        "OR OLD.occurred_at IS NOT NEW.occurred_at BEGIN "
        f"UPDATE leads SET answered_at = ({_first_action('leads')}) WHERE id = NEW.id AND {ANSWERABLE}; END"),
    "activity_answers_leads": (
        "AFTER INSERT ON activity_log WHEN NEW.actor_id IS NOT NULL AND NEW.contact_id IS NOT NULL BEGIN "
        "UPDATE leads SET answered_at = NEW.created_at WHERE contact_id = NEW.contact_id "
        f"AND owner_id = NEW.actor_id AND inquiry_type IN ({IMMEDIATE_SQL}) AND occurred_at <= NEW.created_at "
        "AND (answered_at IS NULL OR answered_at > NEW.created_at); END"),
}

_ANSWER_FROM_ACTIONS = f"""
UPDATE leads SET answered_at = first.answered_at FROM (
    SELECT l.id, MIN(n.created_at) AS answered_at FROM new_rows n
      JOIN leads l ON l.contact_id = n.contact_id AND l.owner_id = n.actor_id AND l.occurred_at <= n.created_at
     WHERE l.inquiry_type IN ({IMMEDIATE_SQL}) GROUP BY l.id) AS first
 WHERE leads.id = first.id AND (leads.answered_at IS NULL OR leads.answered_at > first.answered_at)"""
_ANSWER_NEW_LEADS = f"""
UPDATE leads SET answered_at = ({_first_action('leads')}) FROM new_rows n
 WHERE leads.id = n.id AND n.owner_id IS NOT NULL AND n.inquiry_type IN ({IMMEDIATE_SQL})
   AND EXISTS ({_first_action('n')})"""
_MOVED = f"""new_rows n JOIN old_rows o ON o.id = n.id
 WHERE (n.owner_id IS DISTINCT FROM o.owner_id OR n.occurred_at <> o.occurred_at)
   AND n.owner_id IS NOT NULL AND n.inquiry_type IN ({IMMEDIATE_SQL})"""
# Guarded: a statement trigger fires even for no rows, and this UPDATE fires it again.
_ANSWER_MOVED_LEADS = f"""IF EXISTS (SELECT 1 FROM {_MOVED}) THEN
UPDATE leads SET answered_at = ({_first_action('leads')}) FROM {_MOVED} AND leads.id = n.id; END IF"""
_PG_FUNCTIONS = {
    "leads_dashboard_inserted": f"{_append_changes(dimension_rows('postgresql', 'new_rows', 1))}; {_ANSWER_NEW_LEADS};",
    "leads_dashboard_deleted": f"{_append_changes(dimension_rows('postgresql', 'old_rows', -1))};",
    "leads_dashboard_updated": (
        _append_changes(dimension_rows('postgresql', 'old_rows', -1) + " UNION ALL "
                        + dimension_rows('postgresql', 'new_rows', 1)) + f"; {_ANSWER_MOVED_LEADS};"),
    "activity_answers_leads": f"{_ANSWER_FROM_ACTIONS};",
}
_PG_TRIGGERS = {  # trigger: (function, event, table, transition tables)
    "leads_dashboard_insert": ("leads_dashboard_inserted", "INSERT", "leads", "NEW TABLE AS new_rows"),
    "leads_dashboard_delete": ("leads_dashboard_deleted", "DELETE", "leads", "OLD TABLE AS old_rows"),
    "leads_dashboard_update": ("leads_dashboard_updated", "UPDATE", "leads", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    "activity_answers_leads": ("activity_answers_leads", "INSERT", "activity_log", "NEW TABLE AS new_rows"),
}


def _install_statements(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"CREATE TRIGGER {name} {body}" for name, body in SQLITE_TRIGGERS.items()]
    functions = [f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$"
                 for name, body in _PG_FUNCTIONS.items()]
    return functions + [
        f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {tables} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION {function}()" for name, (function, event, table, tables) in _PG_TRIGGERS.items()]


def _uninstall_statements(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]
    return ([f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, (_f, _e, table, _t) in _PG_TRIGGERS.items()]
            + [f"DROP FUNCTION IF EXISTS {name}()" for name in _PG_FUNCTIONS])


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
        moved = db.session.execute(text(
            f"INSERT INTO dashboard_counts ({KEY}, leads) SELECT {KEY}, SUM(leads) FROM dashboard_count_changes "
            f"WHERE id <= :last GROUP BY {KEY} {upsert}"), {"last": last}).rowcount
        db.session.execute(text("DELETE FROM dashboard_count_changes WHERE id <= :last"), {"last": last})
    db.session.commit()
    return moved
