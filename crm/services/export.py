"""The CSV download (docs/product.md#download): the Leads filters, the viewer's visibility and masking, streamed.

The query's rows stream straight from the database driver's cursor (a server-side cursor on
PostgreSQL), CHUNK_ROWS at a time, so memory stays flat however many rows there are. Masking
happens in SQL through `masking.unmasked_condition`: a masked value never reaches Python. Text that
a spreadsheet would run as a formula (starting with = + - @ tab or carriage return) gets a leading
apostrophe.
"""
import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, case, exists, func, literal, select, update

from crm import clock, policy
from crm.extensions import db
from crm.models import ActivityLog, Contact, ContactEmail, ContactPhone, Lead, User
from crm.models.values import MASK
from crm.services import action_plans, lead_search, local_time, masking, settings
from crm.wording import plural

BOM = "\ufeff"  # Excel reads the file as UTF-8 only with it
FORMULA_STARTS = frozenset("=+-@\t\r")
CHUNK_ROWS = 2000


def may_export(viewer: User) -> bool:
    return policy.granted(viewer, settings.get("roles_may_export"))


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    expression: Callable[[User, datetime], ColumnElement]
    per_lead: bool = False  # only when each row is one lead
    joins: tuple = ()  # aggregated subqueries the expression reads
    free_text: bool = False  # may hold a phone or email the consumer typed: redacted when masked
    moment: bool = False  # a date and time: written in the viewer's zone (docs/product.md#time)
    listed: bool = False  # a value from a fixed list, a number or a date: never a formula
    cents: bool = False  # a Numeric(…, 2): written with its two decimals whatever the driver returns


def _all_values(model):
    """Each contact's emails (or phones) joined by "; ": one aggregation joined once, not a query per row."""
    return (select(model.contact_id.label("contact_id"), func.aggregate_strings(model.value, "; ").label("value"))
            .group_by(model.contact_id).subquery())


EMAILS, PHONES = _all_values(ContactEmail), _all_values(ContactPhone)


def _masked(values: SQLColumnExpression, viewer: User) -> ColumnElement:
    """The value, or `XXX` where the viewer sees the contact masked (decided in SQL, docs/product.md#masking)."""
    return case((masking.unmasked_condition(viewer), values), (values.is_not(None), literal(MASK)), else_=None)


def _attribute(column):
    return lambda _viewer, _now: column


def _yes_no(column):
    return lambda _viewer, _now: case((column.is_(True), literal("Yes")), else_=literal("No"))


COLUMNS: dict[str, Column] = {column.key: column for column in (
    Column("name", "Name", lambda _viewer, _now: func.trim(Contact.first_name + " " + Contact.last_name)),
    Column("first_name", "First Name", _attribute(Contact.first_name)),
    Column("last_name", "Last Name", _attribute(Contact.last_name)),
    Column("email", "Email", lambda viewer, _now: _masked(EMAILS.c.value, viewer), joins=(EMAILS,)),
    Column("phone", "Phone", lambda viewer, _now: _masked(PHONES.c.value, viewer), joins=(PHONES,)),
    Column("street", "Street", _attribute(Contact.street)),
    Column("city", "City", _attribute(Contact.city)),
    Column("state", "State", _attribute(Contact.state)),
    Column("zip", "Zip", _attribute(Contact.zip)),
    Column("contact_status", "Contact Status", _attribute(Contact.contact_status), listed=True),
    Column("contact_type", "Contact Type", _attribute(Contact.contact_type), listed=True),
    Column("contact_source", "Contact Source", _attribute(Contact.contact_source)),
    Column("business_source", "Business Source", _attribute(Contact.business_source)),
    Column("priority", "Priority", _attribute(Contact.priority), listed=True),
    Column("interest_level", "Interest Level", _attribute(Contact.interest_level), listed=True),
    Column("time_frame", "Time Frame", _attribute(Contact.time_frame), listed=True),
    Column("lead_status", "Lead Status", _attribute(Contact.lead_status), listed=True),
    Column("lead_type", "Lead Type", _attribute(Contact.lead_type), listed=True),
    Column("referral_status", "Referral Status", _attribute(Contact.referral_status), listed=True),
    Column("owner", "Owner", _attribute(User.name)),
    Column("action_plan", "Action Plan", lambda _viewer, now: action_plans.plan_status_label(now), listed=True),
    Column("last_inquiry_type", "Last Inquiry", _attribute(Contact.last_inquiry_type), listed=True),
    Column("last_inquiry_at", "Last Inquiry Date", _attribute(Contact.last_inquiry_at), moment=True, listed=True),
    Column("lead_count", "Leads", _attribute(Contact.lead_count), listed=True),
    Column("buy_sell_rent", "Buy/Sell/Rent", _attribute(Contact.buy_sell_rent), listed=True),
    Column("financing", "Financing", _attribute(Contact.financing), listed=True),
    Column("prequalified", "Prequalified", _yes_no(Contact.prequalified), listed=True),
    Column("lender_name", "Lender Name", _attribute(Contact.lender_name)),
    Column("loan_officer_name", "Loan Officer Name", _attribute(Contact.loan_officer_name)),
    Column("loan_officer_email", "Loan Officer Email",
           lambda viewer, _now: _masked(Contact.loan_officer_email, viewer)),
    Column("is_client", "Client", _yes_no(Contact.is_client), listed=True),
    Column("created_at", "Created", _attribute(Contact.created_at), moment=True, listed=True),
    Column("inquiry_type", "Inquiry Type", _attribute(Lead.inquiry_type), per_lead=True, listed=True),
    Column("lead_date", "Lead Date", _attribute(Lead.occurred_at), moment=True, per_lead=True, listed=True),
    Column("lead_source", "Lead Source", _attribute(Lead.source), per_lead=True, free_text=True),
    Column("message", "Message", _attribute(Lead.message), per_lead=True, free_text=True),
    Column("property_street", "Property Street", _attribute(Lead.property_street), per_lead=True),
    Column("property_city", "Property City", _attribute(Lead.property_city), per_lead=True),
    Column("property_zip", "Property Zip", _attribute(Lead.property_zip), per_lead=True),
    Column("mls_number", "MLS Number", _attribute(Lead.mls_number), per_lead=True),
    Column("price", "Price", _attribute(Lead.price), per_lead=True, listed=True, cents=True),
)}
DEFAULT_COLUMNS = ("name", "email", "phone", "inquiry_type", "lead_date", "property_street", "property_city",
                   "mls_number", "contact_status", "contact_type", "priority", "owner", "action_plan")
CONTACT_COLUMNS = ("name", "email", "phone", "contact_status", "contact_type", "priority",
                   "last_inquiry_type", "last_inquiry_at", "owner", "action_plan")
ROW_KINDS = {"contact": "One row per contact", "lead": "One row per lead"}
SORTS = {  # for one row per lead, Lead Date is the lead's own date (see _order)
    "lead_date": ("Lead Date", (Contact.last_inquiry_at,)),
    "name": ("Name", (Contact.last_name, Contact.first_name)),
    "created_at": ("Created", (Contact.created_at,)),
    "contact_status": ("Contact Status", (Contact.contact_status,)),
    "priority": ("Priority", (lead_search.PRIORITY_ORDER,)),
    "interest_level": ("Interest Level", (Contact.interest_level,)),
    "owner": ("Owner", (User.name,)),
}
ORDERS = {"desc": "Descending", "asc": "Ascending"}


@dataclass
class ExportOptions:
    columns: list[str] = field(default_factory=lambda: list(DEFAULT_COLUMNS))
    rows: str = "lead"  # one row per lead, as Leads shows (docs/product.md#leads)
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "lead_date"
    order: str = "desc"

    @property
    def per_lead(self) -> bool:
        return self.rows == "lead"

    def describe(self) -> str:
        dates = f"{self.date_from or '…'} to {self.date_to or '…'}"
        return (f"{ROW_KINDS[self.rows]}; columns: {', '.join(COLUMNS[c].label for c in self.columns)}; "
                f"lead dates {dates}; sorted by {SORTS[self.sort][0]} {ORDERS[self.order].lower()}")


def options_for(filters: lead_search.LeadFilters) -> ExportOptions:
    """The dialog's first choices follow the screen: contact rows when grouped by contact."""
    if filters.group:
        return ExportOptions(columns=list(CONTACT_COLUMNS), rows="contact")
    return ExportOptions()


def parse_options(args) -> tuple[ExportOptions, dict[str, str]]:
    """The dialog's choices from request args, and an error message per field for bad ones."""
    options, errors = ExportOptions(), {}
    chosen = args.getlist("column")
    unknown = [key for key in chosen if key not in COLUMNS]
    if unknown:
        errors["column"] = f"Unknown column: {', '.join(unknown)}."
    elif not chosen:
        errors["column"] = "Choose at least one column."
    else:
        options.columns = list(dict.fromkeys(chosen))
    options.rows = args.get("rows", "lead")
    if options.rows not in ROW_KINDS:
        errors["rows"], options.rows = "Choose one row per contact or one row per lead.", "lead"
    if not errors and not options.per_lead and any(COLUMNS[key].per_lead for key in options.columns):
        errors["rows"] = "Lead columns (Inquiry Type, Lead Date, …) need one row per lead."
    for name, attribute in (("from", "date_from"), ("to", "date_to")):
        raw = (args.get(name) or "").strip()
        try:
            setattr(options, attribute, date.fromisoformat(raw) if raw else None)
        except ValueError:
            errors[name] = "Enter a date as YYYY-MM-DD."
    if options.date_from and options.date_to and options.date_to < options.date_from:
        errors["to"] = "The end date is before the start date."
    options.sort = args.get("order_by", "lead_date")
    if options.sort not in SORTS:
        errors["order_by"], options.sort = "Choose a sort field from the list.", "lead_date"
    options.order = args.get("order", "desc")
    if options.order not in ORDERS:
        errors["order"], options.order = "Choose Ascending or Descending.", "desc"
    return options, errors


def _free_text_indexes(viewer: User, options: ExportOptions) -> list[int]:
    """Where free text must be redacted row by row: only agents see masked contacts."""
    if not policy.is_agent(viewer):
        return []
    return [index for index, key in enumerate(options.columns) if COLUMNS[key].free_text]


def export_query(viewer: User, filters: lead_search.LeadFilters, options: ExportOptions, now: datetime) -> Select:
    base = lead_search.filtered_contacts(viewer, filters, now)
    expressions = [COLUMNS[key].expression(viewer, now).label(key) for key in options.columns]
    if _free_text_indexes(viewer, options):
        expressions.append(case((masking.unmasked_condition(viewer), True), else_=False).label("unmasked"))
    query = base.with_only_columns(*expressions).outerjoin(User, User.id == Contact.owner_id)
    for values in dict.fromkeys(join for key in options.columns for join in COLUMNS[key].joins):
        query = query.outerjoin(values, values.c.contact_id == Contact.id)
    zone = local_time.zone_of(viewer)
    start, end = local_time.activity_window(None, options.date_from, options.date_to, now, zone)
    if options.per_lead:  # the leads the screen lists: their own type and date select them too
        query = lead_search.lead_level(query.join(Lead, Lead.contact_id == Contact.id), filters, now, zone)
        query = query.where(Lead.occurred_at >= start) if start else query
        query = query.where(Lead.occurred_at < end) if end else query
    elif start or end:
        in_window = [Lead.contact_id == Contact.id]
        in_window += [Lead.occurred_at >= start] if start else []
        in_window += [Lead.occurred_at < end] if end else []
        query = query.where(exists().where(*in_window))
    return query.order_by(*_order(options))


def _order(options: ExportOptions) -> list:
    def direction(column):
        return column.desc() if options.order == "desc" else column.asc()

    if options.per_lead and options.sort == "lead_date":
        # The same order as occurred_at (never null), but as an expression no index provides: the
        # database starts from the filtered contacts and sorts their leads, instead of walking all
        # leads by date and looking up each one's contact (2x faster in full, far faster filtered).
        return [direction(func.coalesce(Lead.occurred_at, Lead.created_at)), direction(Lead.id)]
    tiebreak = [Contact.id] + ([Lead.id] if options.per_lead else [])
    return [direction(c).nulls_last() for c in SORTS[options.sort][1]] + [direction(c) for c in tiebreak]


def neutralise(value):
    """Text a spreadsheet would run as a formula gets a leading apostrophe; numbers (which hold no
    formula) and None (an empty cell for the csv writer) pass as they are."""
    if value.__class__ is str and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def csv_chunks(viewer: User, filters: lead_search.LeadFilters, options: ExportOptions,
               log_entry_id: int | None = None) -> Iterator[str]:
    """The file in pieces: a BOM and the header, then CHUNK_ROWS rows at a time.

    The query is built now, while the viewer is loaded; it runs as the response streams."""
    query = export_query(viewer, filters, options, clock.now())
    header = [COLUMNS[key].label for key in options.columns]

    def indexes(wanted: Callable[[Column], bool]) -> list[int]:
        return [index for index, key in enumerate(options.columns) if wanted(COLUMNS[key])]

    readable = partial(_readable, free_text_indexes=_free_text_indexes(viewer, options),
                       moment_indexes=indexes(lambda column: column.moment),
                       cents_indexes=indexes(lambda column: column.cents),
                       text_indexes=indexes(lambda column: not column.listed),
                       show_time=local_time.ManyTimes(local_time.zone_of(viewer)))
    return _stream(query, header, readable, log_entry_id)


def _moment(value: datetime | str | None) -> datetime | None:
    """A time from the driver: SQLite's are text, as SQLAlchemy stores them."""
    return datetime.fromisoformat(value) if value.__class__ is str else value  # type: ignore[return-value]


def _readable(row: tuple, free_text_indexes: list[int], moment_indexes: list[int], cents_indexes: list[int],
              text_indexes: list[int], show_time) -> list:
    """A row of the driver as the file shows it: times in the viewer's zone, amounts with cents,
    text neutralised; a row that ends in its `unmasked` flag (when free text may need redacting)
    without the flag, its free text redacted when masked (one decision per row, made in SQL)."""
    values = list(row)
    for index in moment_indexes:
        values[index] = show_time(_moment(values[index]))
    for index in cents_indexes:
        if values[index] is not None:
            values[index] = f"{values[index]:.2f}"
    if free_text_indexes and not values.pop():
        for index in free_text_indexes:
            values[index] = masking.redact_patterns(values[index])
    for index in text_indexes:
        values[index] = neutralise(values[index])
    return values


def _driver_rows(query: Select) -> Iterator[Sequence[Any]]:
    """The query's rows in chunks of plain tuples from the driver's cursor, without SQLAlchemy's
    row objects and result processing (a third of the time of a million-row file). PostgreSQL
    streams them through a server-side cursor."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        result = connection.execute(query)  # SQLite's cursor steps through the rows as they are fetched
        cursor = result.cursor
    else:
        compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
        cursor = connection.connection.driver_connection.cursor(name="csv_export")  # type: ignore[union-attr]
        cursor.execute(compiled.string, compiled.params)
    try:
        while rows := cursor.fetchmany(CHUNK_ROWS):
            yield rows
    finally:
        cursor.close()


def _stream(query: Select, header: list[str], readable: Callable[..., list],
            log_entry_id: int | None) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield BOM + buffer.getvalue()
    count = 0
    for rows in _driver_rows(query):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(map(readable, rows))
        count += len(rows)
        yield buffer.getvalue()
    if log_entry_id is not None:
        db.session.execute(update(ActivityLog).where(ActivityLog.id == log_entry_id)
                           .values(detail=ActivityLog.detail + f"; {plural(count, 'row')}"))


def log_export(viewer: User, options: ExportOptions, filter_query: str) -> int:
    """Every export is logged with who, when, what and which filters (category `export`)."""
    entry = ActivityLog(contact_id=None, actor_id=viewer.id, category="export", action="Exported CSV",
                        detail=f"{options.describe()}; filters: {filter_query or 'none'}")
    db.session.add(entry)
    db.session.flush()
    return entry.id


def recent_exports(limit: int = 20) -> list[ActivityLog]:
    """The export log for the broker (exports have no contact: the (contact, created) index serves it)."""
    return list(db.session.scalars(
        select(ActivityLog).where(ActivityLog.contact_id.is_(None), ActivityLog.category == "export")
        .order_by(ActivityLog.created_at.desc(), ActivityLog.id.desc()).limit(limit)))
