"""Logging: one key=value line per record, each carrying the id of the request it was written in.

Everything under the `crm` logger (the app's own `current_app.logger` and every module's
`logging.getLogger(__name__)`) goes to one handler at the level `CRM_LOG_LEVEL` names (INFO unless
set). A request takes its id from a sane incoming `X-Request-Id` (a proxy or load balancer may have
set one) or gets a new one, and answers with it in the same header, so a user's report can be
matched with the lines its request wrote. Extra fields go in `extra=`; they are written as keys.
"""
import json
import logging
import re
import uuid
from datetime import UTC, datetime
from typing import TextIO, cast

from flask import Flask, g, has_request_context, request
from flask.logging import wsgi_errors_stream

REQUEST_ID_HEADER = "X-Request-Id"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
BARE_VALUE = re.compile(r"[^\s\"=\\]+")
# The attributes every LogRecord has; anything else on a record came in through `extra=`.
RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}

_handler: logging.Handler | None = None


def init_app(app: Flask) -> None:
    global _handler
    _install_request_id_on_records()
    logger = logging.getLogger("crm")
    if _handler is None:  # one handler per process, however many apps the tests create
        # The server's error log inside a request (wsgi.errors), stderr outside one.
        _handler = logging.StreamHandler(cast(TextIO, wsgi_errors_stream))
        _handler.setFormatter(KeyValueFormatter())
        logger.addHandler(_handler)
    logger.setLevel(app.config["LOG_LEVEL"])
    app.before_request(_assign_request_id)
    app.after_request(_send_request_id)


def request_id() -> str | None:
    """The current request's id; None outside a request (the worker, a command)."""
    return g.get("request_id") if has_request_context() else None


def _assign_request_id() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def _send_request_id(response):
    if request_id():
        response.headers[REQUEST_ID_HEADER] = g.request_id
    return response


def _install_request_id_on_records() -> None:
    """Every record made during a request carries `request_id` (also for pytest's caplog)."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "adds_request_id", False):
        return

    def record_with_request_id(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        record.request_id = request_id()
        return record

    record_with_request_id.adds_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(record_with_request_id)


class KeyValueFormatter(logging.Formatter):
    """`ts=… level=INFO logger=crm.x request_id=… msg="…" key=value`, newlines escaped: one line per record."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None),
            "msg": record.getMessage(),
        }
        fields.update((key, value) for key, value in vars(record).items() if key not in RECORD_ATTRIBUTES)
        if record.exc_info:
            fields["exc"] = self.formatException(record.exc_info)
        return " ".join(f"{key}={_value(value)}" for key, value in fields.items() if value is not None)


def _value(value) -> str:
    text = str(value)
    return text if BARE_VALUE.fullmatch(text) else json.dumps(text, ensure_ascii=False)
