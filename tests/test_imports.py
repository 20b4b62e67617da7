"""Contact import (docs/product.md#import-contacts): upload, mapping and preview, the worker's import, dedupe,
routing, masking, resume, cancel, undo, the skipped-rows report, and bad input storing nothing."""
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from import_files import FUB_HEADERS, csv_bytes, generated_rows, start_import, upload_file, xlsx_bytes
from sqlalchemy import func, select

from crm import clock
from crm.extensions import db
from crm.models import Contact, ContactEmail, ContactImport, ImportedRecord, ImportMapping, Lead, LeadFlowRule
from crm.services import contacts as contact_service
from crm.services import imports

import markup


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def broker_web(users, login_as):
    return login_as(users["broker"])


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 100)


@pytest.fixture
def imports_folder(app):
    return Path(app.instance_path) / "imports"


def test_a_follow_up_boss_export_is_mapped_previewed_and_imported(users, broker_web, make_contact):
    existing = make_contact(users["agent2"], "Old", "Friend", emails=["old@example.com"])
    rows = [FUB_HEADERS,
            ["Ana", "Ruiz", "ana@example.com", "555-201-3344", "Zillow", "33602", "Wants a pool"],
            ["Old", "Friend", "OLD@example.com", "", "Realtor.com", "33602", ""],
            ["Ana", "Ruiz", "ana@example.com", "", "Zillow", "33602", "Second inquiry"],
            ["Bad", "Email", "not-an-email", "", "", "", ""],
            ["=HYPERLINK(\"http://evil\")", "Formula", "f@example.com", "", "", "", ""],
            ["", "", "", "", "Zillow", "", "nobody"]]
    response = upload_file(broker_web, csv_bytes(rows))
    assert response.status_code == 302
    page = broker_web.get(response.headers["Location"]).get_data(as_text=True)
    chosen = {(option.attributes["value"], option.text()) for option in markup.parse(page).select("option[selected]")}
    assert {("0", "Column 1: First Name"), ("2", "Column 3: Email 1")} <= chosen
    assert "“not-an-email” is not an email address" in page
    assert "looks like a spreadsheet formula" in page and "The row has no name, email or phone" in page

    stored, started = start_import(broker_web, response, assign_to=str(users["agent"].id))
    assert started.status_code == 302
    assert imports.run_imports() == 1
    db.session.refresh(stored)
    assert stored.error is None
    assert (stored.status, stored.rows_done, stored.rows_created, stored.rows_matched, stored.rows_skipped) == \
        ("Done", 6, 1, 2, 3)
    ana = db.session.scalars(select(Contact).where(Contact.first_name == "Ana")).one()
    assert ((ana.owner_id, ana.lead_count, ana.zip, ana.created_by_id)
            == (users["agent"].id, 2, "33602", users["broker"].id))
    db.session.refresh(existing)
    assert existing.owner_id == users["agent2"].id and existing.lead_count == 2  # matched: gets the lead, keeps owner
    assert _count(ImportedRecord) == 3

    report = broker_web.get(f"/settings/import/{stored.id}/skipped.csv").get_data(as_text=True).splitlines()
    assert report[0].startswith("Row,Problems,First Name")
    assert [line.split(",")[0] for line in report[1:]] == ["5", "6", "7"]
    assert "'=HYPERLINK" in report[2]  # written so a spreadsheet shows it rather than runs it


def test_new_people_are_routed_by_the_lead_flow_rules(users, broker_web):
    db.session.add(LeadFlowRule(source="Zillow", assign_to_id=users["agent2"].id, position=1))
    db.session.commit()
    response = upload_file(broker_web, csv_bytes([FUB_HEADERS] + generated_rows(6)))
    stored, _ = start_import(broker_web, response, assign_to="")
    imports.run_imports()
    owners = dict(db.session.execute(select(Contact.first_name, Contact.owner_id)).all())
    assert owners["First0"] == owners["First3"] == users["agent2"].id  # source Zillow
    round_robin = {owners[f"First{n}"] for n in (1, 2, 4, 5)}
    assert len(round_robin) == 3 and round_robin == {users[a].id for a in ("agent", "agent2", "west_agent")}
    routed = db.session.scalars(select(Lead.source).order_by(Lead.id)).all()
    assert routed[0] == "Zillow"


def test_agents_see_imported_people_masked(users, broker_web, login_as):
    response = upload_file(broker_web, csv_bytes([FUB_HEADERS, ["Ana", "Ruiz", "ana@example.com", "555-201-3344",
                                                            "", "33602", ""]]))
    start_import(broker_web, response, assign_to=str(users["agent"].id))
    imports.run_imports()
    contact = db.session.scalars(select(Contact)).one()
    page = login_as(users["agent"]).get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert "Ana" in page and "ana@example.com" not in page and "555-201-3344" not in page and "XXX" in page


def test_an_interrupted_import_resumes_without_doubles(users, broker_web, small_chunks):
    response = upload_file(broker_web, csv_bytes([FUB_HEADERS] + generated_rows(250)))
    with clock.frozen_at(clock.now()):
        stored, _ = start_import(broker_web, response, assign_to=str(users["agent"].id))
        assert imports._claim() == stored.id
        imports.run_import(stored.id, max_chunks=1)  # the worker dies after one chunk
        db.session.refresh(stored)
        assert (stored.status, stored.rows_done) == ("Running", imports.CHUNK_ROWS)
        assert imports.run_imports() == 0  # its lease still holds
        clock.advance(imports.LEASE + timedelta(seconds=1))
        assert imports.run_imports() == 1
    db.session.refresh(stored)
    assert (stored.status, stored.rows_done, stored.rows_created) == ("Done", 250, 250)
    assert _count(Contact) == 250 and _count(Lead) == 250


def test_cancel_stops_between_chunks_and_undo_removes_exactly_what_it_added(users, broker_web, make_contact,
                                                                          small_chunks):
    existing = make_contact(users["agent"], "First5", "Last5", emails=["person5@example.com"])
    response = upload_file(broker_web, csv_bytes([FUB_HEADERS] + generated_rows(250)))
    stored, _ = start_import(broker_web, response, assign_to=str(users["agent"].id))
    imports._claim()
    imports.run_import(stored.id, max_chunks=1)
    assert broker_web.post(f"/settings/import/{stored.id}/cancel").status_code == 302
    with clock.frozen_at(clock.now() + imports.LEASE * 2):
        imports.run_imports()
    db.session.refresh(stored)
    assert (stored.status, stored.rows_done, stored.rows_created, stored.rows_matched) == ("Cancelled", 200, 199, 1)
    assert _count(Contact) == 200
    page = broker_web.get(f"/settings/import/{stored.id}").get_data(as_text=True)
    assert "Undo import" in page and any(
        question.startswith("Undo the import of people.csv? It deletes the 199 contacts")
        for question in markup.parse(page).attrs("[hx-confirm]", "hx-confirm"))

    asked = broker_web.post(f"/settings/import/{stored.id}/undo")  # without JavaScript: a confirmation step
    assert asked.status_code == 200 and markup.parse(asked).attr("input[name=confirmed]", "value") == "1"
    assert _count(Contact) == 200
    assert broker_web.post(f"/settings/import/{stored.id}/undo", {"confirmed": "1"}).status_code == 302
    db.session.refresh(existing)
    assert _count(Contact) == 1 and _count(Lead) == 1 and existing.lead_count == 1
    assert db.session.get(ContactImport, stored.id).status == "Undone"


def test_undo_is_refused_after_seven_days(users, broker_web):
    response = upload_file(broker_web, csv_bytes([FUB_HEADERS] + generated_rows(2)))
    stored, _ = start_import(broker_web, response, assign_to=str(users["agent"].id))
    imports.run_imports()
    with clock.frozen_at(clock.now() + timedelta(days=8)):
        page = broker_web.get(f"/settings/import/{stored.id}").get_data(as_text=True)
        assert "Undo import" not in page
        broker_web.post(f"/settings/import/{stored.id}/undo", {"confirmed": "1"})
    assert _count(Contact) == 2


def test_an_excel_workbook_with_numbers_and_a_kvcore_layout(users, broker_web):
    rows = [["First Name", "Last Name", "Email", "Cell Phone", "Zip", "Lead Type", "Date Added"],
            ["Kim", "Vo", "kim@example.com", 5552013344, 33602, "Seller", "2026-11-01"]]
    response = upload_file(broker_web, xlsx_bytes(rows), "kvcore.xlsx")
    assert response.status_code == 302
    start_import(broker_web, response, assign_to=str(users["agent"].id))
    imports.run_imports()
    kim = db.session.scalars(select(Contact)).one()
    assert (kim.zip, kim.contact_type, [p.value for p in kim.phones]) == ("33602", "Seller", ["5552013344"])
    assert db.session.scalars(select(Lead.occurred_at)).one().date().isoformat() == "2026-11-01"


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_windows_1252_and_utf8_with_bom(users, broker_web, encoding):
    response = upload_file(broker_web, csv_bytes([FUB_HEADERS, ["José", "Peña", "jose@example.com", "", "", "", ""]],
                                             encoding))
    stored, _ = start_import(broker_web, response, assign_to=str(users["agent"].id))
    imports.run_imports()
    assert db.session.scalars(select(Contact.last_name)).one() == "Peña"
    assert stored.encoding == encoding


@pytest.mark.parametrize("content, filename, message", [
    (b"", "empty.csv", "The file is empty (0 bytes)."),
    (b"%PDF-1.4 binary\x00\x01", "people.pdf", "Upload a CSV file (.csv) or an Excel workbook (.xlsx)."),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "people.csv", "Upload a CSV file (.csv) or an Excel workbook (.xlsx)."),
    (b"PK\x03\x04 not really a workbook", "people.xlsx", "The file cannot be read"),
    (",".join(FUB_HEADERS).encode() + b"\r\n", "header-only.csv", "The file has a header row but no data rows."),
    (b"\r\n\r\n", "blank.csv", "The file is empty: it has no header row."),
])
def test_bad_files_say_why_and_store_nothing(users, broker_web, imports_folder, content, filename, message):
    before = set(imports_folder.glob("*")) if imports_folder.exists() else set()
    response = upload_file(broker_web, content, filename)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count(ContactImport) == 0
    assert set(imports_folder.glob("*")) == before


def test_a_mapping_without_name_email_or_phone_is_refused(users, broker_web):
    response = upload_file(broker_web, csv_bytes([["Favorite Color", "Shoe Size"], ["blue", "9"]]))
    page = broker_web.get(response.headers["Location"]).get_data(as_text=True)
    assert "Map at least one name, email or phone column." in page
    stored, started = start_import(broker_web, response, assign_to=str(users["agent"].id))
    assert started.status_code == 422 and db.session.get(ContactImport, stored.id).status == "Uploaded"


def test_progress_is_polled_by_htmx(users, broker_web):
    response = upload_file(broker_web, csv_bytes([FUB_HEADERS] + generated_rows(3)))
    stored, _ = start_import(broker_web, response, assign_to=str(users["agent"].id))
    fragment = broker_web.get(f"/settings/import/{stored.id}/progress", htmx=True).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="import-progress"')
    assert markup.parse(fragment).attr("#import-progress", "hx-trigger") == "every 1s"
    imports.run_imports()
    fragment = broker_web.get(f"/settings/import/{stored.id}/progress", htmx=True).get_data(as_text=True)
    assert "every 1s" not in fragment and markup.parse(fragment).text("dd#rows-done") == "3 of 3"


def test_managers_import_for_an_agent_of_their_office_and_see_only_their_imports(users, login_as, broker_web):
    manager = login_as(users["manager"])
    response = upload_file(manager, csv_bytes([FUB_HEADERS] + generated_rows(2)))
    stored, refused = start_import(manager, response, assign_to=str(users["west_agent"].id))
    assert refused.status_code == 422
    stored, started = start_import(manager, response, assign_to=str(users["agent2"].id))
    assert started.status_code == 302
    assert login_as(users["west_manager"]).get(f"/settings/import/{stored.id}").status_code == 404
    assert login_as(users["agent"]).get("/settings/import").status_code == 403
    assert broker_web.get(f"/settings/import/{stored.id}").status_code == 200


def test_emails_found_by_the_import_match_case_insensitively(users, broker_web):
    contact = contact_service.create_contact(None, first_name="Ann", last_name="Lee", owner_id=users["agent"].id,
                                             emails=["ann@example.com"])
    db.session.commit()
    response = upload_file(broker_web, csv_bytes([["Name", "Email"], ["Ann Lee", "ANN@Example.com"]]))
    stored, _ = start_import(broker_web, response, assign_to=str(users["agent2"].id))
    imports.run_imports()
    assert _count(Contact) == 1 and _count(ContactEmail) == 1 and db.session.get(Contact, contact.id).lead_count == 1


def _route_one(routing, source, zip_code):
    """One contact as the events API routes it: the matching rule, else round robin."""
    rule = routing.matching_rule(source, zip_code)
    return routing.route_new_contact(source, zip_code, (rule.source, rule.zip, rule.assign_to) if rule else None,
                                     zip_code)


def test_routing_many_at_once_picks_as_one_by_one(users):
    from crm.models import ServiceZip
    from crm.services import routing
    db.session.add_all([ServiceZip(user_id=users["agent2"].id, zip="33602"),
                        ServiceZip(user_id=users["west_agent"].id, zip="33602"),
                        LeadFlowRule(source="Zillow", assign_to_id=users["agent"].id, position=1)])
    db.session.commit()
    requests = [("Zillow", "33602"), (None, "33602"), (None, "33602"), (None, "99999"), (None, None),
                (None, "33602"), ("zillow", None), (None, "99999"), (None, None), (None, "99999")]
    together = [(d.agent.id, d.why) for d in routing.route_new_contacts(requests)]
    db.session.rollback()
    one_by_one = [(d.agent.id, d.why) for d in (_route_one(routing, *r) for r in requests)]
    assert together == one_by_one
    assert together[0][0] == users["agent"].id and {agent for agent, _ in together[1:3]} == \
        {users["agent2"].id, users["west_agent"].id}


def test_an_upload_without_the_csrf_token_is_refused(users, broker_web):
    broker_web.get("/settings/import")
    response = broker_web.http.post("/settings/import", data={"file": (io.BytesIO(b"Name,Email\nA B,a@b.co\n"),
                                                                        "people.csv")},
                                    content_type="multipart/form-data")
    assert response.status_code == 400 and _count(ContactImport) == 0


def _mapping_form(web, stored, **changes) -> dict:
    mapping = json.loads(db.session.get(ContactImport, stored.id).mapping)
    return {**{f"map_{name}": str(index) for name, index in mapping.items()}, "assign_to": "", **changes}


def test_a_named_mapping_is_saved_and_reused_on_a_later_upload(users, broker_web):
    response = upload_file(broker_web, csv_bytes([FUB_HEADERS] + generated_rows(3)))
    first = db.session.scalars(select(ContactImport)).one()
    broker_web.get(response.headers["Location"])
    form = _mapping_form(broker_web, first, map_message="", mapping_name="  Follow   Up Boss  ")
    saved = broker_web.post(f"/settings/import/{first.id}/mappings", form)
    assert saved.status_code == 302
    stored = db.session.scalars(select(ImportMapping)).one()
    assert stored.name == "Follow Up Boss" and "message" not in json.loads(stored.mapping)

    reordered = [FUB_HEADERS[::-1]] + [row[::-1] for row in generated_rows(3)]
    response = upload_file(broker_web, csv_bytes(reordered), "later.csv")
    later = db.session.scalars(select(ContactImport).order_by(ContactImport.id.desc())).first()
    page = broker_web.get(response.headers["Location"]).get_data(as_text=True)
    assert markup.parse(page).texts(f'select[name=saved_mapping] option[value="{stored.id}"]') == ["Follow Up Boss"]
    used = broker_web.post(f"/settings/import/{later.id}/mappings/use", {"saved_mapping": str(stored.id)})
    assert used.status_code == 302
    mapping = json.loads(db.session.get(ContactImport, later.id).mapping)
    assert {name: FUB_HEADERS[::-1][index] for name, index in mapping.items()} == json.loads(stored.mapping)


@pytest.mark.parametrize("name, message", [
    ("", "Give the mapping a name to save it."),
    ("x" * 61, "A mapping name has at most 60 characters."),
    ("follow up boss", "Your office already has a mapping named “follow up boss”; choose another name."),
])
def test_a_mapping_name_must_be_given_short_and_new_in_the_office(users, broker_web, name, message):
    db.session.add(ImportMapping(office_id=users["broker"].office_id, name="Follow Up Boss", mapping="{}",
                                 created_by_id=users["broker"].id))
    db.session.commit()
    response = upload_file(broker_web, csv_bytes([FUB_HEADERS] + generated_rows(2)))
    stored = db.session.scalars(select(ContactImport)).one()
    broker_web.get(response.headers["Location"])
    refused = broker_web.post(f"/settings/import/{stored.id}/mappings", _mapping_form(broker_web, stored,
                                                                                       mapping_name=name))
    assert refused.status_code == 422 and message in refused.get_data(as_text=True)
    assert _count(ImportMapping) == 1


def test_saved_mappings_belong_to_the_office(users, login_as):
    downtown = ImportMapping(office_id=users["manager"].office_id, name="Downtown CSV",
                             mapping=json.dumps({"email": FUB_HEADERS[2]}), created_by_id=users["manager"].id)
    db.session.add(downtown)
    db.session.commit()
    west = login_as(users["west_manager"])
    response = upload_file(west, csv_bytes([FUB_HEADERS] + generated_rows(2)))
    stored = db.session.scalars(select(ContactImport)).one()
    assert "Downtown CSV" not in west.get(response.headers["Location"]).get_data(as_text=True)
    before = db.session.get(ContactImport, stored.id).mapping
    refused = west.post(f"/settings/import/{stored.id}/mappings/use", {"saved_mapping": str(downtown.id)})
    assert refused.status_code == 302
    assert "Choose one of your office’s saved mappings" in west.get(refused.headers["Location"]).get_data(as_text=True)
    assert db.session.get(ContactImport, stored.id).mapping == before
