"""The CSV download (docs/product.md#download): columns, filters, sort, masking, neutralised formulas, permission, log,
and memory that stays flat for 100,000 rows."""
import csv
import io
import tracemalloc
from datetime import datetime, timedelta

from crm.extensions import db
from crm.models import ActivityLog, Contact, Lead
from crm.services import contacts as contact_service
from crm.services import export, lead_search, settings

import markup

BOM = "\ufeff"


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    text = response.get_data(as_text=True)
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM):])))


def _query(*columns, **options) -> str:
    params = [f"column={column}" for column in columns] + [f"{key}={value}" for key, value in options.items()]
    return "&".join(params)


def _agents_may_export() -> None:
    """Export is managers' and the broker's by default (docs/product.md#roles); these tests grant it to agents."""
    settings.put("roles_may_export", ["agent", "manager", "broker"])
    db.session.commit()


def test_the_file_has_a_bom_the_chosen_columns_and_excel_friendly_headers(login_as, users, make_contact):
    make_contact(users["agent"], "Zoë", "Ñúñez", emails=["zoe@example.com"], phones=["555-201-3344"], priority="Hot")
    response = login_as(users["manager"]).get(f"/contacts/export.csv?{_query('name', 'email', 'phone', 'priority')}")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="leads-')
    assert _rows(response) == [["Name", "Email", "Phone", "Priority"],
                               ["Zoë Ñúñez", "zoe@example.com", "555-201-3344", "Hot"]]


def test_the_file_follows_the_current_filters_and_the_chosen_sort(login_as, users, make_contact):
    for first, priority in (("Bea", "Hot"), ("Al", "Cold"), ("Cy", "Hot"), ("Di", "Warm")):
        make_contact(users["agent"], first, "Test", priority=priority)
    manager = login_as(users["manager"])
    hot = _rows(manager.get(f"/contacts/export.csv?priority=Hot&{_query('first_name', order_by='name', order='asc')}"))
    assert hot == [["First Name"], ["Bea"], ["Cy"]]
    everyone = _rows(manager.get(f"/contacts/export.csv?{_query('first_name', order_by='priority', order='desc')}"))
    assert [row[0] for row in everyone[1:]] == ["Al", "Di", "Cy", "Bea"]
    by_keyword = _rows(manager.get(f"/contacts/export.csv?keyword=bea&{_query('first_name')}"))
    assert by_keyword == [["First Name"], ["Bea"]]


def test_an_agent_exports_only_visible_contacts_with_xxx_where_the_screen_masks(login_as, users, make_contact):
    _agents_may_export()
    masked = make_contact(users["agent"], "Masked", "Mary", emails=["mary@example.com"], phones=["555-111-2222"],
                          loan_officer_email="lo@bank.example")
    make_contact(users["agent"], "Own", "Olga", emails=["olga@example.com"], created_by=users["agent"])
    make_contact(users["agent2"], "Other", "Agent", emails=["other@example.com"])
    archived = make_contact(users["agent"], "Archived", "Arlo")
    archived.archived_at = datetime(2026, 1, 1)
    db.session.commit()
    agent = login_as(users["agent"])
    assert "XXX" in agent.get(f"/contacts/{masked.id}").get_data(as_text=True)

    query = _query("name", "email", "phone", "loan_officer_email", order_by="name", order="asc")
    response = agent.get(f"/contacts/export.csv?{query}")
    body = response.get_data(as_text=True)
    assert _rows(response) == [["Name", "Email", "Phone", "Loan Officer Email"],
                               ["Masked Mary", "XXX", "XXX", "XXX"],
                               ["Own Olga", "olga@example.com", "", ""]]
    for secret in ("mary@example.com", "555-111-2222", "5551112222", "lo@bank.example", "other@example.com"):
        assert secret not in body


def test_a_masked_rows_message_loses_the_phone_and_email_the_consumer_typed(login_as, users, make_contact):
    _agents_may_export()
    masked = make_contact(users["agent"], "Masked", "Mary", phones=["555-111-2222"])
    own = make_contact(users["agent"], "Own", "Olga", created_by=users["agent"])
    for contact in (masked, own):
        contact_service.record_lead(contact, "General Inquiry", message="Call 555-111-2222 or mail me@example.com")
    db.session.commit()
    rows = _rows(login_as(users["agent"]).get(
        f"/contacts/export.csv?{_query('name', 'message', rows='lead', order_by='name', order='asc')}"))
    messages = {name: message for name, message in rows[1:] if message}
    assert messages == {"Masked Mary": "Call XXX or mail XXX",
                        "Own Olga": "Call 555-111-2222 or mail me@example.com"}


def test_cells_that_would_run_as_formulas_are_neutralised(login_as, users, make_contact):
    contact = make_contact(users["agent"], '=HYPERLINK("http://evil.example","x")', "+SUM(A1)", street="-2+3",
                           city="@cmd", zip="12345", emails=["=1+2@example.com"], interest_level=3,
                           lender_name="\rReturned", loan_officer_name="\tTabbed")
    contact_service.record_lead(contact, "Property Inquiry", message="=1+1 call me", price=-5)
    db.session.commit()
    columns = ("first_name", "last_name", "street", "city", "zip", "email", "lender_name", "loan_officer_name",
               "message", "interest_level", "price", "lead_count")
    rows = _rows(login_as(users["manager"]).get(
        f"/contacts/export.csv?{_query(*columns, rows='lead', order_by='lead_date', order='desc')}"))
    assert rows[1] == ["'=HYPERLINK(\"http://evil.example\",\"x\")", "'+SUM(A1)", "'-2+3", "'@cmd", "12345",
                       "'=1+2@example.com", "'\rReturned", "'\tTabbed", "'=1+1 call me", "3", "-5.00", "2"]
    assert rows[2][8] == "" and rows[2][10] == ""  # the other lead: no message, no price


def test_one_row_per_lead_within_the_date_range(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Lena", "Leads")
    for day, inquiry in ((1, "Saved Property"), (10, "Showing Request"), (20, "Property Inquiry")):
        contact_service.record_lead(contact, inquiry, occurred_at=datetime(2026, 2, day, 12), mls_number=f"T{day}")
    db.session.commit()
    rows = _rows(login_as(users["manager"]).get(
        "/contacts/export.csv?"
        + _query("name", "inquiry_type", "lead_date", "mls_number", rows="lead", order_by="lead_date", order="asc")
        + "&from=2026-02-05&to=2026-02-20"))
    assert rows == [["Name", "Inquiry Type", "Lead Date", "MLS Number"],
                    ["Lena Leads", "Showing Request", "Feb 10, 2026 7:00 AM EST", "T10"],  # the viewer's zone
                    ["Lena Leads", "Property Inquiry", "Feb 20, 2026 7:00 AM EST", "T20"]]
    contact_rows = _rows(login_as(users["manager"]).get(
        f"/contacts/export.csv?{_query('name', 'lead_count')}&from=2026-02-05&to=2026-02-06"))
    assert contact_rows == [["Name", "Leads"]]


def test_bad_choices_come_back_with_a_message_and_no_file(login_as, users, make_contact):
    make_contact(users["agent"], "Any", "One")
    manager = login_as(users["manager"])
    cases = [
        (_query("name", "bogus"), "Unknown column: bogus."),
        ("rows=contact", "Choose at least one column."),
        (_query("name") + "&from=2026-03-10&to=2026-03-01", "The end date is before the start date."),
        (_query("name") + "&from=03/01/2026", "Enter a date as YYYY-MM-DD."),
        (_query("name", "inquiry_type", rows="contact"),
         "Lead columns (Inquiry Type, Lead Date, …) need one row per lead."),
        (_query("name", order_by="password"), "Choose a sort field from the list."),
        (_query("name", order="sideways"), "Choose Ascending or Descending."),
    ]
    for query, message in cases:
        for htmx in (False, True):
            response = manager.get(f"/contacts/export.csv?{query}", htmx=htmx)
            assert response.status_code == 422, query
            assert "text/html" in response.headers["Content-Type"]
            assert message in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(ActivityLog.id)).where(ActivityLog.category == "export")) == 0


def test_the_dialog_keeps_the_filters_and_a_valid_htmx_check_redirects_to_the_download(login_as, users):
    manager = login_as(users["manager"])
    leads = markup.parse(manager.get("/contacts?priority=Hot"))
    assert leads.texts('a[hx-get="/contacts/export?priority=Hot"]') == ["Dl CSV"]
    dialog = manager.get("/contacts/export?priority=Hot&page=3", htmx=True).get_data(as_text=True)
    assert dialog.lstrip().startswith("<dialog")
    form = markup.parse(dialog)
    assert form.attrs("input[type=hidden][name=priority]", "value") == ["Hot"] and not form.has("[name=page]")
    assert "email" in form.attrs("input[checked]", "value") and "Download" in form.texts("button")
    checked = manager.get(f"/contacts/export.csv?priority=Hot&{_query('name')}", htmx=True)
    assert checked.status_code == 200
    assert checked.headers["HX-Redirect"] == f"/contacts/export.csv?priority=Hot&{_query('name')}"
    assert checked.headers["HX-Trigger"] == "exportstarted"


def test_export_is_a_permission_per_role_and_every_export_is_logged(login_as, users, make_contact):
    _agents_may_export()
    make_contact(users["agent"], "Logged", "Lou")
    agent = login_as(users["agent"])
    assert _rows(agent.get(f"/contacts/export.csv?priority=Hot&{_query('name')}")) == [["Name"]]
    assert _rows(agent.get(f"/contacts/export.csv?{_query('name')}")) == [["Name"], ["Logged Lou"]]
    entries = db.session.scalars(db.select(ActivityLog).where(ActivityLog.category == "export")
                                 .order_by(ActivityLog.id)).all()
    assert [(e.actor_id, e.action) for e in entries] == [(users["agent"].id, "Exported CSV")] * 2
    assert "filters: priority=Hot" in entries[0].detail and entries[0].detail.endswith("; 0 rows")
    assert entries[1].detail.endswith("; 1 row") and "columns: Name" in entries[1].detail

    exports_page = login_as(users["broker"]).get("/settings/permissions").get_data(as_text=True)
    assert "Alex Agent · One row per lead; columns: Name" in exports_page
    assert "filters: priority=Hot" in exports_page
    settings.put("roles_may_export", ["manager", "broker"])
    db.session.commit()
    assert "Dl CSV" not in markup.parse(agent.get("/contacts")).texts("a")
    assert agent.get(f"/contacts/export.csv?{_query('name')}").status_code == 403
    assert agent.get("/contacts/export", htmx=True).status_code == 403
    assert login_as(users["manager"]).get(f"/contacts/export.csv?{_query('name')}").status_code == 200


def _many_leads(contacts: list[Contact], count: int) -> None:
    """Bulk rows through Core (the ORM's per-row work would dominate the test's time)."""
    first = datetime(2025, 1, 1)
    rows = [dict(contact_id=contacts[n % len(contacts)].id, inquiry_type="Viewed Property", source="website",
                 occurred_at=first + timedelta(minutes=n), created_at=first, digest_pending=False,
                 mls_number=f"T{n:06d}", property_street=f"{n} Oak St") for n in range(count)]
    db.session.execute(Lead.__table__.insert(), rows)
    db.session.commit()


def _peak_bytes_of_export(viewer) -> tuple[int, int]:
    options = export.ExportOptions(columns=["name", "email", "phone", "contact_status", "owner", "action_plan",
                                            "inquiry_type", "lead_date", "mls_number", "property_street"],
                                   rows="lead")
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in export.csv_chunks(viewer, lead_search.LeadFilters(), options))
        return tracemalloc.get_traced_memory()[1], size
    finally:
        tracemalloc.stop()


def test_exporting_100000_rows_keeps_memory_flat(users, make_contact):
    contacts = [make_contact(users["agent"], "Bulk", str(n), emails=[f"bulk{n}@example.com"], phones=["555-201-3344"])
                for n in range(10)]
    _many_leads(contacts, 10_000 - len(contacts))
    small_peak, small_size = _peak_bytes_of_export(users["manager"])
    _many_leads(contacts, 90_000)
    large_peak, large_size = _peak_bytes_of_export(users["manager"])
    assert large_size > 9 * small_size  # ten times the rows really went through (~10 MB of CSV)
    assert large_peak < 8 * 1024 * 1024  # the file is never held whole
    assert large_peak < small_peak + 1024 * 1024  # ten times the rows, about the same memory
