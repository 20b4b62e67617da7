"""POST /api/v1/events and its OpenAPI document. One request is one transaction: any failure
stores nothing (only the key's request count, which has to outlive the request)."""
import json

from flask import Response, jsonify, request
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from crm import clock
from crm.blueprints.api import bp
from crm.blueprints.api.openapi import openapi_document
from crm.extensions import db
from crm.models import IdempotencyRecord
from crm.services import alerts, api_keys, events
from crm.services.events import InvalidEvent, NotJson
from crm.validation import event_input_errors

MAX_BODY_BYTES = 64 * 1024
MAX_IDEMPOTENCY_KEY = 200
JSON = "application/json"
STORE_ANSWER = insert(IdempotencyRecord.__table__)


def _json(body: dict, status: int, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype=JSON, headers=headers)


def _errors(status: int, errors: list[dict[str, str]], headers: dict | None = None) -> Response:
    return _json({"errors": errors}, status, headers)


def _error(status: int, field: str, message: str, headers: dict | None = None) -> Response:
    return _errors(status, [{"field": field, "message": message}], headers)


def _api_key() -> str | None:
    """HTTP Basic with the key as the user name; the password is ignored (an empty one is expected)."""
    credentials = request.authorization
    return credentials.username if credentials and credentials.type == "basic" else None


def _read_body() -> bytes | None:
    """The body, or None when it is over the limit (a missing Content-Length is read up to the limit)."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return None
    body = request.stream.read(MAX_BODY_BYTES + 1)
    return None if len(body) > MAX_BODY_BYTES else body


def _replay(status: int, body: str) -> Response:
    return Response(body, status=status, mimetype=JSON, headers={"Idempotent-Replayed": "true"})


def _stored_answer(api_key_id: int, key: str) -> Response | None:
    record = db.session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.api_key_id == api_key_id,
                                                               IdempotencyRecord.key == key))
    return None if record is None else _replay(record.status_code, record.response_body)


def _person(result: events.EventResult) -> dict:
    owner = result.owner
    return {"id": result.contact_id, "firstName": result.first_name, "lastName": result.last_name,
            "leadId": result.lead_id, "type": result.inquiry_type, "created": result.created,
            "assignedUserId": owner.id if owner else None, "assignedTo": owner.name if owner else None,
            "url": alerts.contact_url(result.contact_id)}


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 0 < len(key.strip()) <= MAX_IDEMPOTENCY_KEY:
        raise InvalidEvent([{"field": "Idempotency-Key",
                             "message": f"Idempotency-Key must have 1 to {MAX_IDEMPOTENCY_KEY} characters."}])
    return key.strip() if key else None


def _store(event: events.EventData, api_key_id: int, idempotency_key: str | None) -> Response:
    """Record the event and its answer in one transaction; a concurrent twin with the same
    Idempotency-Key loses on the unique key and answers with the winner's response."""
    try:
        result = events.record_event(event)
        status, body = (201 if result.created else 200), json.dumps(_person(result))
        if idempotency_key:
            db.session.connection().execute(STORE_ANSWER, dict(api_key_id=api_key_id, key=idempotency_key,
                                                               status_code=status, response_body=body))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        replay = _stored_answer(api_key_id, idempotency_key) if idempotency_key else None
        if replay is None:
            raise
        return replay
    except Exception:
        db.session.rollback()
        raise
    return Response(body, status=status, mimetype=JSON)


class Refused(Exception):
    """A request answered with an error before anything is stored."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


def _read_event() -> tuple[events.EventData, str | None]:
    """The checked event and its Idempotency-Key, read before any database lock is taken (a slow
    upload must not hold up other requests)."""
    body = _read_body()
    if body is None:
        raise Refused(_error(413, "body", f"The body may be at most {MAX_BODY_BYTES // 1024} KiB."))
    if not request.is_json:
        raise Refused(_error(415, "Content-Type", "Send the event as JSON with Content-Type: application/json."))
    try:
        data = events.load_json(body)
        refused = event_input_errors(data)
        if refused:
            raise Refused(_errors(400, refused))
        return events.parse_event(data), _idempotency_key()
    except NotJson as error:
        raise Refused(_error(415, "body", f"The body is not valid JSON: {error}")) from None
    except InvalidEvent as invalid:
        raise Refused(_errors(400, invalid.errors)) from None


def _rate_limited(claim: api_keys.Claim, now) -> Response:
    wait = api_keys.seconds_to_next_window(now)
    return _error(429, "Authorization", f"Rate limit of {claim.limit} requests per minute "
                  f"exceeded; retry in {wait} s.", {"Retry-After": str(wait)})


def _answer(claim: api_keys.Claim, now, refused: Refused | None, event, idempotency_key) -> Response:
    """Anything but a stored event keeps only the request's count."""
    if refused is not None or claim.count > claim.limit or claim.replay_status is not None:
        db.session.commit()
        if refused is not None:
            return refused.response
        if claim.count > claim.limit:
            return _rate_limited(claim, now)
        return _replay(claim.replay_status, claim.replay_body)
    return _store(event, claim.api_key_id, idempotency_key)


@bp.post("/events")
def post_event():
    """Read and check the event first (no database work while a slow client uploads), then count it
    against the key and store it, in the writers' turn."""
    event = idempotency_key = refused = None
    try:
        event, idempotency_key = _read_event()
    except Refused as error:
        refused = error
    now = clock.now()
    with events.writes_in_turn():
        claim = api_keys.claim_request(_api_key(), request.headers.get("Idempotency-Key", "").strip() or None, now)
        if claim is None:
            db.session.rollback()
            return _error(401, "Authorization", "Send an API key as the user name of HTTP Basic authentication.",
                          {"WWW-Authenticate": 'Basic realm="CRM events API"'})
        if db.engine.dialect.name == "postgresql":
            db.session.commit()  # see api_keys.claim_request: the key's count row must not stay locked
        return _answer(claim, now, refused, event, idempotency_key)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
