"""Logging (crm/logs.py): one key=value line per record, the request id on every line a request
writes and in its answer, the CSV export's audit line at the default level, CRM_LOG_LEVEL."""
import logging

import pytest

from crm import create_app, logs
from crm.extensions import db
from crm.services import settings

EXPORT = "/contacts/export.csv?column=name"


@pytest.fixture
def exporter(login_as, users):
    settings.put("roles_may_export", ["agent", "manager", "broker"])
    db.session.commit()
    return login_as(users["agent"])


def _download(client, **kwargs):
    """The whole file read, as a browser does: the streamed answer ends and its request context with it."""
    response = client.get(EXPORT, **kwargs)
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("\ufeffName")
    return response


def _export_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "crm.blueprints.export.routes"]


def test_the_export_audit_line_is_written_at_the_default_level_with_the_request_id(exporter, caplog):
    response = _download(exporter)

    request_id = response.headers["X-Request-Id"]
    [line] = _export_lines(caplog)
    assert line.levelno == logging.INFO and line.getMessage() == "CSV export by agent@demo.test"
    assert line.request_id == request_id
    formatted = logs.KeyValueFormatter().format(line)
    assert f"request_id={request_id} " in formatted and "\n" not in formatted
    assert 'msg="CSV export by agent@demo.test"' in formatted
    assert 'choices="One row per lead; columns: Name;' in formatted


def test_each_request_gets_its_own_id_and_a_sane_incoming_one_is_kept(exporter, caplog):
    first, second = _download(exporter), _download(exporter)
    kept = _download(exporter, headers={"X-Request-Id": "edge-7f3a.42:1"})

    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]
    assert kept.headers["X-Request-Id"] == "edge-7f3a.42:1"
    assert [line.request_id for line in _export_lines(caplog)] == [
        first.headers["X-Request-Id"], second.headers["X-Request-Id"], "edge-7f3a.42:1"]


@pytest.mark.parametrize("incoming", ["two words", "id\u00e9", "-starts-with-a-dash", "x" * 129, ""])
def test_an_insane_incoming_id_is_replaced(web, incoming):
    answered = web.get("/login", headers={"X-Request-Id": incoming}).headers["X-Request-Id"]

    assert answered != incoming and logs.SANE_REQUEST_ID.fullmatch(answered)


def test_lines_outside_a_request_have_no_request_id_and_extras_become_keys(caplog):
    logging.getLogger("crm.worker").warning("job %s failed", "digests",
                                            extra={"body": 'Hello "Ana",\nsee you = soon', "attempt": 3})

    [record] = caplog.records
    line = logs.KeyValueFormatter().format(record)

    assert record.request_id is None and "request_id" not in line
    assert line.endswith('level=WARNING logger=crm.worker msg="job digests failed" '
                         'body="Hello \\"Ana\\",\\nsee you = soon" attempt=3')


def test_crm_log_level_sets_the_level(app, monkeypatch):
    monkeypatch.setenv("CRM_LOG_LEVEL", "warning")
    try:
        create_app({"SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
        assert logging.getLogger("crm").level == logging.WARNING
        assert not logging.getLogger("crm.blueprints.export.routes").isEnabledFor(logging.INFO)
    finally:
        logging.getLogger("crm").setLevel(app.config["LOG_LEVEL"])
    assert logging.getLogger("crm").level == logging.INFO
