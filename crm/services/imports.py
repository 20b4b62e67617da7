"""Contact import (docs/product.md#import-contacts): a CSV or Excel file from another CRM becomes contacts and leads.

The upload is checked whole before anything is stored (format, encoding, a header and data rows);
columns are mapped by guesses from the headers (Follow Up Boss and kvCORE exports are known); the
preview shows each row's problems; the worker imports in chunks, each committed with the count of
rows done, so a stopped worker resumes where it stopped and a cancel takes effect between chunks.
People are matched as the events API matches them (`events.find_person`); new ones are routed by
the lead-flow rules or given to the chosen agent. Every lead added is recorded with its import, so
`Undo import` removes exactly that (and the contacts it created, unless they have other leads).
"""
import codecs
import contextlib
import csv
import io
import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook
from sqlalchemy import delete, exists, func, select, text, update
from sqlalchemy.orm import aliased

from crm import clock, policy
from crm.extensions import db
from crm.models import Contact, ContactImport, ImportedRecord, ImportMapping, ImportSkippedRow, Lead, User
from crm.models.values import CONTACT_TYPES, INQUIRY_TYPES, ImportStatus
from crm.services import contacts, events
from crm.services.errors import FieldError
from crm.services.import_rows import ChunkWriter
from crm.validation import is_email, is_phone

MAX_BYTES = 100 * 1024 * 1024
UNDO_DAYS = 7
CHUNK_ROWS = 1000
LEASE = timedelta(minutes=5)
PASS_SECONDS = 10
PREVIEW_ROWS = 10
ZIP_MAGIC = b"PK\x03\x04"
FORMULA_START = re.compile(r"^(=|@|[+-](?![\d(\s]))")

# CRM field -> (label, header names it is guessed from: ours, Follow Up Boss's and kvCORE's exports)
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("Full name", ("name", "full name", "contact name", "lead name")),
    "first_name": ("First name", ("first name", "firstname", "first")),
    "last_name": ("Last name", ("last name", "lastname", "last", "surname")),
    "email": ("Email", ("email", "email 1", "email address", "primary email", "e-mail")),
    "email_2": ("Second email", ("email 2", "secondary email", "alternate email", "email2")),
    "phone": ("Phone", ("phone", "phone 1", "cell phone", "mobile", "mobile phone", "primary phone",
                        "phone number")),
    "phone_2": ("Second phone", ("phone 2", "home phone", "work phone", "secondary phone", "phone2")),
    "street": ("Street", ("street", "address", "address 1 - street", "street address", "address line 1")),
    "city": ("City", ("city", "address 1 - city")),
    "state": ("State", ("state", "address 1 - state", "province")),
    "zip": ("Zip", ("zip", "zip code", "postal code", "address 1 - zip", "zipcode")),
    "contact_type": ("Contact Type", ("contact type", "type", "lead type", "deal type")),
    "source": ("Contact Source", ("source", "lead source", "contact source")),
    "inquiry_type": ("Inquiry Type", ("inquiry type", "inquiry")),
    "message": ("Message", ("message", "background", "notes", "note", "comments")),
    "created": ("Lead date", ("created", "date added", "created date", "created at", "registered")),
}
IDENTITY_FIELDS = ("name", "first_name", "last_name", "email", "phone")
LIMITS = {"name": 160, "first_name": 80, "last_name": 80, "email": 254, "email_2": 254, "phone": 40,
          "phone_2": 40, "street": 200, "city": 80, "state": 2, "zip": 10, "source": 60, "message": 10_000}
CONTACT_TYPE_ALIASES = {"buyer/seller": "Buyer-Seller", "buyer & seller": "Buyer-Seller", "renter": "Rental",
                        "lead": "Buyer"}


class ImportProblem(FieldError):
    """Bad input: the message is shown to the user; nothing was stored."""


# --- Reading files -------------------------------------------------------------------------------

def _sniff_format(filename: str, head: bytes) -> str:
    extension = Path(filename or "").suffix.lower()
    if extension == ".xlsx" and head.startswith(ZIP_MAGIC):
        return "xlsx"
    if extension in (".csv", ".txt") and not head.startswith(ZIP_MAGIC) and b"\x00" not in head:
        return "csv"
    raise ImportProblem("Upload a CSV file (.csv) or an Excel workbook (.xlsx).", "file")


def _detect_encoding(path: Path) -> str:
    """UTF-8 (with or without its BOM) when the whole file decodes as such, else Windows-1252."""
    with path.open("rb") as file:
        if file.read(3) == b"\xef\xbb\xbf":
            return "utf-8-sig"
        file.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := file.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    try:
        with path.open(encoding="cp1252") as text:
            while text.read(1 << 20):
                pass
    except UnicodeDecodeError:
        raise ImportProblem("The file is neither UTF-8 nor Windows-1252 text; save it as CSV UTF-8 and upload "
                            "it again.", "file") from None
    return "cp1252"


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps phone numbers and zips as numbers
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(str(value).replace("\x00", "").split())


def _raw_rows(stored: ContactImport) -> Iterator[list]:
    path = Path(stored.stored_path)
    if stored.file_format == "xlsx":
        yield from CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows()
        return
    with path.open(encoding=stored.encoding, newline="") as text:
        yield from csv.reader(text)


def _is_blank(row: list) -> bool:
    return all(value is None or value == "" for value in row)


def data_rows(stored: ContactImport, skip: int = 0) -> Iterator[tuple[int, list[str]]]:
    """(row number as a spreadsheet shows it, cells as text) of the data rows, blank rows left out;
    the first `skip` of them are passed over unread (a resumed import)."""
    rows = _raw_rows(stored)
    next(rows, None)  # the header
    for number, row in enumerate(rows, start=2):
        if _is_blank(row):
            continue
        if skip:
            skip -= 1
            continue
        yield number, [_cell_text(value) for value in row]


def headers_of(stored: ContactImport) -> list[str]:
    return [_cell_text(value) for value in next(_raw_rows(stored), [])]


# --- Upload --------------------------------------------------------------------------------------

def guess_mapping(headers: list[str]) -> dict[str, int]:
    """CRM field -> column index, from the header names (each column used once)."""
    normalized = [" ".join(header.lower().replace("_", " ").split()) for header in headers]
    mapping: dict[str, int] = {}
    for name, (_label, aliases) in FIELDS.items():
        for alias in aliases:
            if alias in normalized and normalized.index(alias) not in mapping.values():
                mapping[name] = normalized.index(alias)
                break
    return mapping


def _saved_mapping(headers: list[str]) -> dict[str, int] | None:
    """The mapping of the latest import of a file with exactly these headers."""
    previous = db.session.scalar(select(ContactImport.mapping).where(
        ContactImport.headers == json.dumps(headers), ContactImport.status != ImportStatus.UPLOADED)
        .order_by(ContactImport.id.desc()).limit(1))
    return json.loads(previous) if previous else None


def _check_contents(stored: ContactImport) -> list[str]:
    try:
        headers = headers_of(stored)
        rows = _raw_rows(stored)
        next(rows, None)
        total = sum(1 for row in rows if not _is_blank(row))
    except (CalamineError, csv.Error, ValueError, OSError) as error:
        raise ImportProblem(f"The file cannot be read ({error}).", "file") from None
    if not any(headers):
        raise ImportProblem("The file is empty: it has no header row.", "file")
    if total == 0:
        raise ImportProblem("The file has a header row but no data rows.", "file")
    stored.total_rows = total
    return headers


def upload(user: User, file, folder: Path) -> ContactImport:
    """Store and check an uploaded file (a werkzeug FileStorage); ImportProblem leaves nothing behind."""
    if file is None or not file.filename:
        raise ImportProblem("Choose a file to upload.", "file")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.upload"
    file.save(path)
    try:
        size = path.stat().st_size
        if size == 0:
            raise ImportProblem("The file is empty (0 bytes).", "file")
        if size > MAX_BYTES:
            raise ImportProblem("The file is over 100 MB; split it and import the parts.", "file")
        with path.open("rb") as head:
            file_format = _sniff_format(file.filename, head.read(4096))
        stored = ContactImport(created_by_id=user.id, filename=Path(file.filename).name[:255],
                               stored_path=str(path), file_format=file_format,
                               encoding=_detect_encoding(path) if file_format == "csv" else None)
        headers = _check_contents(stored)
    except Exception:
        path.unlink(missing_ok=True)
        raise
    stored.headers = json.dumps(headers)
    stored.mapping = json.dumps(_saved_mapping(headers) or guess_mapping(headers))
    db.session.add(stored)
    return stored


# --- Rows ----------------------------------------------------------------------------------------

@dataclass
class RowData:
    person: events.PersonData
    contact_type: str | None = None
    source: str | None = None
    inquiry_type: str = "Manual Entry"
    message: str | None = None
    occurred_at: datetime | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)


def _parse_date(raw: str) -> datetime | None:
    for parse in (datetime.fromisoformat, lambda value: datetime.strptime(value, "%m/%d/%Y"),
                  lambda value: datetime.strptime(value, "%m/%d/%Y %H:%M"),
                  lambda value: datetime.strptime(value, "%m/%d/%Y %I:%M %p")):
        try:
            moment = parse(raw)
        except ValueError:
            continue
        return moment.replace(tzinfo=None) if moment.year >= 1900 else None
    return None


def _values(cells: list[str], mapping: dict[str, int], problems: list) -> dict[str, str]:
    values = {}
    for name, index in mapping.items():
        value = cells[index] if index < len(cells) else ""
        if not value:
            continue
        label = FIELDS[name][0]
        if FORMULA_START.match(value):
            problems.append((label, f"{label} looks like a spreadsheet formula ({value[:20]}); "
                                    "it is not imported."))
        elif len(value) > LIMITS.get(name, 100):
            problems.append((label, f"{label} is longer than {LIMITS.get(name, 100)} characters."))
        else:
            values[name] = value
    return values


def parse_row(cells: list[str], mapping: dict[str, int], today: datetime) -> RowData:
    problems: list[tuple[str, str]] = []
    values = _values(cells, mapping, problems)
    first, last = values.get("first_name", ""), values.get("last_name", "")
    if not first and not last and values.get("name"):
        first, last = contacts.split_name(values["name"])
    emails = [values[name].lower() for name in ("email", "email_2") if values.get(name)]
    phones = [values[name] for name in ("phone", "phone_2") if values.get(name)]
    for email in emails:
        if not is_email(email):
            problems.append(("Email", f"Email “{email}” is not an email address."))
    for phone in phones:
        if not is_phone(phone):
            problems.append(("Phone", f"Phone “{phone}” is not a phone number."))
    if not (first or last or emails or phones):
        problems.append(("Name", "The row has no name, email or phone."))
    elif not (emails or phones):
        problems.append(("Email", "The row has no email or phone to find the person by."))
    row = RowData(events.PersonData(first[:80], last[:80], list(dict.fromkeys(emails)), phones,
                                    {"street": values.get("street"), "city": values.get("city"),
                                     "state": (values.get("state") or "").upper() or None, "zip": values.get("zip")}),
                  source=values.get("source"), message=values.get("message"), problems=problems)
    _read_choices(row, values, today)
    return row


def _read_choices(row: RowData, values: dict[str, str], today: datetime) -> None:
    kind = values.get("contact_type", "")
    known_types = {name.lower(): name for name in CONTACT_TYPES}
    row.contact_type = known_types.get(kind.lower()) or CONTACT_TYPE_ALIASES.get(kind.lower())
    inquiry = {name.lower(): name for name in INQUIRY_TYPES}.get(values.get("inquiry_type", "").lower())
    row.inquiry_type = inquiry or "Manual Entry"
    if values.get("created"):
        row.occurred_at = _parse_date(values["created"])
        if row.occurred_at is None:
            row.problems.append(("Lead date", f"Lead date “{values['created']}” is not a date (use 2026-11-21)."))
        elif row.occurred_at > today + timedelta(days=1):
            row.problems.append(("Lead date", "Lead date is in the future."))


def read_mapping(form: dict[str, str], column_count: int) -> dict[str, int]:
    """The mapping chosen in the form (`map_<field>` = column index or empty)."""
    mapping = {}
    for name in FIELDS:
        raw = form.get(f"map_{name}", "")
        if raw.isdigit() and int(raw) < column_count:
            mapping[name] = int(raw)
    if not any(name in mapping for name in IDENTITY_FIELDS):
        raise ImportProblem("Map at least one name, email or phone column.", "mapping")
    return mapping


# --- Named mappings (an office's, for its later uploads) -------------------------------------------

MAPPING_NAME_MAX = 60


def office_mappings(user: User) -> list[ImportMapping]:
    return list(db.session.scalars(select(ImportMapping).where(ImportMapping.office_id == user.office_id)
                                   .order_by(func.lower(ImportMapping.name))))


def save_mapping(user: User, name: str | None, mapping: dict[str, int], headers: list[str]) -> ImportMapping:
    """The mapping under `name` for the user's office, by header name (a later file may order its
    columns differently)."""
    name = " ".join((name or "").split())
    if not name:
        raise ImportProblem("Give the mapping a name to save it.", "mapping_name")
    if len(name) > MAPPING_NAME_MAX:
        raise ImportProblem(f"A mapping name has at most {MAPPING_NAME_MAX} characters.", "mapping_name")
    if db.session.scalar(select(ImportMapping.id).where(ImportMapping.office_id == user.office_id,
                                                        func.lower(ImportMapping.name) == name.lower())):
        raise ImportProblem(f"Your office already has a mapping named “{name}”; choose another name.",
                            "mapping_name")
    saved = ImportMapping(office_id=user.office_id, name=name, created_by_id=user.id,
                          mapping=json.dumps({field: headers[index] for field, index in mapping.items()}))
    db.session.add(saved)
    return saved


def use_mapping(stored: ContactImport, saved: ImportMapping) -> list[str]:
    """Map the upload's columns as `saved` does; returns the labels of fields whose column this
    file lacks (left unmapped)."""
    position = {header: index for index, header in reversed(list(enumerate(json.loads(stored.headers))))}
    wanted = json.loads(saved.mapping)
    stored.mapping = json.dumps({field: position[header] for field, header in wanted.items() if header in position})
    return [FIELDS[field][0] for field, header in wanted.items() if header not in position and field in FIELDS]


@dataclass
class PreviewRow:
    number: int
    cells: list[str]
    problems: list[tuple[str, str]]


def preview(stored: ContactImport, mapping: dict[str, int]) -> list[PreviewRow]:
    today = clock.now()
    rows = []
    for number, cells in data_rows(stored):
        rows.append(PreviewRow(number, cells, parse_row(cells, mapping, today).problems))
        if len(rows) == PREVIEW_ROWS:
            break
    return rows


def agents_to_assign(user: User) -> list[User]:
    query = select(User).where(User.is_agent, User.is_active_user.is_(True)).order_by(User.name)
    if not policy.acts_for_every_office(user):
        query = query.where(User.office_id == user.office_id)
    return list(db.session.scalars(query))


def start(stored: ContactImport, user: User, mapping: dict[str, int], assign_to_id: int | None) -> None:
    """Queue the import for the worker. Managers give the people to an agent of their office."""
    agents = {agent.id for agent in agents_to_assign(user)}
    if assign_to_id is not None and assign_to_id not in agents:
        raise ImportProblem("Choose one of the agents listed.", "assign_to")
    if assign_to_id is None and not policy.acts_for_every_office(user):
        raise ImportProblem("Choose the agent of your office who gets the new people.", "assign_to")
    stored.mapping, stored.assign_to_id, stored.status = json.dumps(mapping), assign_to_id, ImportStatus.QUEUED


# --- The worker's job ------------------------------------------------------------------------------

def _claim() -> int | None:
    now = clock.now()
    due = (select(ContactImport.id)
           .where(ContactImport.status.in_((ImportStatus.QUEUED, ImportStatus.RUNNING)),
                  (ContactImport.locked_until.is_(None)) | (ContactImport.locked_until < now))
           .order_by(ContactImport.id).limit(1))
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = db.session.execute(
        update(ContactImport).where(ContactImport.id == due.scalar_subquery())
        .values(status=ImportStatus.RUNNING, locked_until=now + LEASE,
                started_at=func.coalesce(ContactImport.started_at, now))
        .returning(ContactImport.id).execution_options(synchronize_session=False)).scalar()
    db.session.commit()
    return claimed


def _skip(stored: ContactImport, number: int, cells: list[str], problems: list[tuple[str, str]]) -> None:
    db.session.add(ImportSkippedRow(import_id=stored.id, row_number=number,
                                    problems="; ".join(message for _field, message in problems),
                                    values=json.dumps(cells)))
    stored.rows_skipped += 1


def _begin_writing() -> None:
    """SQLite: take the write lock before the chunk's first read, so no other writer can slip in
    between its reads and writes (WAL would refuse the late upgrade rather than wait)."""
    if db.engine.dialect.name == "sqlite" and not db.session.connection().connection.dbapi_connection.in_transaction:
        db.session.execute(text("BEGIN IMMEDIATE"))


def _run_chunk(stored: ContactImport, rows: Iterator[tuple[int, list[str]]], mapping: dict[str, int]) -> bool:
    """Import up to CHUNK_ROWS rows and commit them with the progress; False when the file is done."""
    _begin_writing()
    now = clock.now()
    done, good = 0, []
    for number, cells in rows:
        row = parse_row(cells, mapping, now)
        if row.problems:
            _skip(stored, number, cells, row.problems)
        else:
            good.append(row)
        done += 1
        if done == CHUNK_ROWS:
            break
    if good:
        writer = ChunkWriter(stored, now)
        writer.add_all(good)
        created, matched = writer.write()
        stored.rows_created += created
        stored.rows_matched += matched
    stored.rows_done += done
    stored.locked_until = clock.now() + LEASE
    db.session.refresh(stored, ["cancel_requested"])
    more = done == CHUNK_ROWS and not stored.cancel_requested
    if not more:
        stored.status = ImportStatus.CANCELLED if stored.cancel_requested else ImportStatus.DONE
        stored.finished_at, stored.locked_until = clock.now(), None
    db.session.commit()
    return more


def _fail(import_id: int, error: Exception) -> None:
    db.session.rollback()
    stored = db.session.get(ContactImport, import_id)
    stored.status, stored.finished_at, stored.locked_until = ImportStatus.FAILED, clock.now(), None
    stored.error = f"{type(error).__name__}: {error}"[:2000]
    db.session.commit()


def run_import(import_id: int, seconds: float | None = None, max_chunks: int | None = None) -> None:
    """Import from where the import stands (rows done) until the file ends or it is cancelled.
    After `seconds` it hands the import back (the worker's other jobs get their turn, the next pass
    goes on); after `max_chunks` it just stops, as a worker that dies would (the lease runs out)."""
    stored = db.session.get(ContactImport, import_id)
    mapping = {name: int(index) for name, index in json.loads(stored.mapping).items()}
    rows = data_rows(stored, skip=stored.rows_done)
    deadline = time.monotonic() + seconds if seconds is not None else None
    chunks = 0
    while _run_chunk(stored, rows, mapping):
        chunks += 1
        if max_chunks is not None and chunks >= max_chunks:
            return
        if deadline is not None and time.monotonic() > deadline:
            stored.locked_until = None
            db.session.commit()
            return
    remove_file(stored)


def run_imports(seconds: float = PASS_SECONDS) -> int:
    """Worker job: work on the queued (or abandoned) imports for about `seconds`; returns how many."""
    handled = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (import_id := _claim()) is not None:
        try:
            run_import(import_id, seconds=deadline - time.monotonic())
        except Exception as error:  # a broken file must not stop the worker; the import says why
            _fail(import_id, error)
        handled += 1
    return handled


# --- After the import --------------------------------------------------------------------------------

def request_cancel(stored: ContactImport) -> None:
    if stored.status == ImportStatus.QUEUED:
        stored.status, stored.finished_at = ImportStatus.CANCELLED, clock.now()
    elif stored.status == ImportStatus.RUNNING:
        stored.cancel_requested = True


def can_undo(stored: ContactImport, now: datetime) -> bool:
    finished = stored.status in (ImportStatus.DONE, ImportStatus.CANCELLED, ImportStatus.FAILED)
    return (finished and stored.finished_at is not None
            and now - stored.finished_at <= timedelta(days=UNDO_DAYS) and stored.rows_done > 0)


def undo(stored: ContactImport) -> tuple[int, int]:
    """Remove the leads the import added and the contacts it created that have no other leads.
    Returns (contacts removed, leads removed)."""
    if not can_undo(stored, clock.now()):
        raise ImportProblem(f"An import can be undone for {UNDO_DAYS} days after it finished.")
    records = select(ImportedRecord).where(ImportedRecord.import_id == stored.id).subquery()
    other = aliased(Lead)
    has_other_leads = exists().where(other.contact_id == records.c.contact_id,
                                     ~other.id.in_(select(records.c.lead_id)))
    removable = select(records.c.contact_id).where(records.c.created_contact.is_(True), ~has_other_leads)
    removed_leads = db.session.scalar(select(func.count()).select_from(Lead).where(
        Lead.id.in_(select(records.c.lead_id))))
    # Deleting a contact deletes its records too (cascade): the records left are the matched people's.
    removed_contacts = db.session.execute(delete(Contact).where(Contact.id.in_(removable))
                                          .execution_options(synchronize_session=False)).rowcount
    db.session.execute(delete(Lead).where(Lead.id.in_(select(records.c.lead_id)))
                       .execution_options(synchronize_session=False))
    _refresh_lead_columns(select(records.c.contact_id))
    db.session.expire_all()  # the bulk deletes bypassed the objects in the session
    stored.status, stored.undone_at = ImportStatus.UNDONE, clock.now()
    return removed_contacts, removed_leads


def _refresh_lead_columns(contact_ids) -> None:
    """The Leads list's denormalised columns of the contacts that kept some leads."""
    latest = (select(Lead).where(Lead.contact_id == Contact.id)
              .order_by(Lead.occurred_at.desc(), Lead.id.desc()).limit(1))
    db.session.execute(update(Contact).where(Contact.id.in_(contact_ids)).values(
        lead_count=select(func.count()).where(Lead.contact_id == Contact.id).scalar_subquery(),
        last_inquiry_at=latest.with_only_columns(Lead.occurred_at).scalar_subquery(),
        last_inquiry_type=latest.with_only_columns(Lead.inquiry_type).scalar_subquery(),
    ).execution_options(synchronize_session=False))


def skipped_rows_csv(stored: ContactImport) -> Iterator[str]:
    """The report of skipped rows: row number, problems, then the row's own cells."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Row", "Problems", *json.loads(stored.headers or "[]")])
    query = (select(ImportSkippedRow).where(ImportSkippedRow.import_id == stored.id)
             .order_by(ImportSkippedRow.row_number).execution_options(yield_per=1000))
    for skipped in db.session.scalars(query):
        writer.writerow([skipped.row_number, skipped.problems,
                         *[_neutralized(cell) for cell in json.loads(skipped.values)]])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()


def _neutralized(cell: str) -> str:
    """A formula cell is written so that a spreadsheet shows it as text rather than running it."""
    return f"'{cell}" if FORMULA_START.match(cell) else cell


@dataclass
class Progress:
    done: int
    total: int
    skipped: int
    per_second: float | None
    seconds_left: float | None

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 100


def progress(stored: ContactImport, now: datetime) -> Progress:
    rate = None
    if stored.started_at and stored.rows_done:
        elapsed = ((stored.finished_at or now) - stored.started_at).total_seconds()
        rate = stored.rows_done / elapsed if elapsed > 0 else None
    left = (stored.total_rows - stored.rows_done) / rate if rate and stored.status == ImportStatus.RUNNING else None
    return Progress(stored.rows_done, stored.total_rows, stored.rows_skipped, rate, left)


def remove_file(stored: ContactImport) -> None:
    """The upload is kept until the import ends (a resumed import reads it again)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(stored.stored_path)
