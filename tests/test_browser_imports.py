"""Browser test of the import: upload, map and preview, start, the live progress bar, undo."""
import pytest
from axe_playwright_python.sync_playwright import Axe
from import_files import FUB_HEADERS, csv_bytes, generated_rows

from crm.services import imports

pytestmark = pytest.mark.browser


def _no_serious_violations(page) -> None:
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], results.generate_report()


def test_upload_preview_start_watch_the_progress_and_undo(sign_in, page, users, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 50)
    rows = generated_rows(120)
    rows[3][2] = "not-an-email"
    source = tmp_path / "fub-export.csv"
    source.write_bytes(csv_bytes([FUB_HEADERS] + rows))
    sign_in("broker@demo.test", "/settings/import")
    _no_serious_violations(page)
    page.get_by_label("CSV or Excel file").set_input_files(str(source))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/settings/import/*")
    assert page.get_by_label("Email", exact=True).input_value() == "2"  # guessed from "Email 1"
    assert page.get_by_text("“not-an-email” is not an email address.").is_visible()
    page.get_by_label("Email", exact=True).select_option("")  # the preview follows the mapping (htmx)
    page.get_by_text("This row will be skipped.").first.wait_for(state="detached")
    page.get_by_label("Email", exact=True).select_option("2")
    page.get_by_text("“not-an-email” is not an email address.").wait_for()
    _no_serious_violations(page)
    page.get_by_label("New people go to").select_option(label="Alex Agent")
    page.get_by_role("button", name="Start import").click()
    page.get_by_role("heading", name="Queued").wait_for()
    assert page.locator("#rows-done").inner_text() == "0 of 120"

    imports._claim()
    imports.run_import(db_import_id(page), max_chunks=1)  # the worker is part way
    page.locator("#rows-done", has_text="50 of 120").wait_for()
    assert page.locator("#import-bar").get_attribute("value") == "50"
    assert page.get_by_role("button", name="Cancel import").is_visible()
    imports.run_import(db_import_id(page))
    page.get_by_role("heading", name="Done").wait_for()
    assert page.locator("#rows-skipped").inner_text() == "1"
    assert page.locator("#rows-created").inner_text() == "119"
    assert page.get_by_role("link", name="Download skipped rows (CSV)").is_visible()
    _no_serious_violations(page)
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Undo import").click()
    page.get_by_text("Import undone: removed 119 contacts and 119 leads it added.").wait_for()
    assert questions and questions[0].startswith("Undo the import of") and "119 contacts" in questions[0]


def db_import_id(page) -> int:
    return int(page.url.rstrip("/").rsplit("/", 1)[1])
