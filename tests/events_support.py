"""Helpers shared by the events API, alerts and delivery tests: an events API client, a real SMTP
server (aiosmtpd) that keeps what it receives, and a sample event body."""
import base64
import copy
import email
import email.policy
import socket
import threading
from contextlib import contextmanager

from aiosmtpd.controller import Controller

from crm.extensions import db

SHOWING_REQUEST = {
    "source": "smithandassociates.com", "system": "IDX", "type": "Showing Request",
    "message": "Can I see it Saturday?", "occurredAt": "2026-11-21T18:02:00Z",
    "person": {"firstName": "Ana", "lastName": "Ruiz", "emails": [{"value": "ana@example.com"}],
               "phones": [{"value": "555-201-3344"}], "tags": ["idx"]},
    "property": {"street": "12 Oak St", "city": "Tampa", "state": "FL", "code": "33602",
                 "mlsNumber": "T123456", "price": 450000, "url": "https://smithandassociates.com/t123456",
                 "type": "Single Family", "bedrooms": 3, "bathrooms": 2, "area": 1800},
    "propertySearch": {"city": "Tampa", "code": ["33602"], "minPrice": 300000, "maxPrice": 500000,
                       "minBedrooms": 3},
    "campaign": {"source": "google", "medium": "cpc"}, "pageUrl": "https://smithandassociates.com/t123456",
}


def event(**changes) -> dict:
    """The sample event with top-level fields replaced (None removes one); `person=` replaces
    fields of the person (`person=None` removes the person)."""
    body = copy.deepcopy(SHOWING_REQUEST)
    person_changes = changes.pop("person", {})
    if person_changes is None:
        del body["person"]
    else:
        body["person"].update(person_changes)
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def person(first: str, last: str, email_address: str | None = None, phone: str | None = None) -> dict:
    return {"firstName": first, "lastName": last,
            "emails": [{"value": email_address}] if email_address else [],
            "phones": [{"value": phone}] if phone else []}


def basic_auth(key: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


class EventsApi:
    """POSTs to /api/v1/events through the Flask test client, each request in its own app context."""

    def __init__(self, app, key: str):
        self.app, self.key = app, key
        self.http = app.test_client()

    def post(self, body=None, key: str | None = "default", headers: dict | None = None, data=None,
             content_type: str = "application/json"):
        headers = dict(headers or {})
        if key is not None:
            headers.update(basic_auth(self.key if key == "default" else key))
        with self.app.app_context():
            if data is None:
                response = self.http.post("/api/v1/events", json=body, headers=headers)
            else:
                response = self.http.post("/api/v1/events", data=data, headers=headers, content_type=content_type)
        db.session.expire_all()
        return response


class Mailbox:
    """An aiosmtpd handler keeping every message it accepts; `refuse` makes it answer 550."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = False
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "550 5.7.1 Mailbox unavailable"
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list:
        return [message for message in self.messages if message["To"] == address]

    def outbox_ids(self) -> list[int]:
        return [int(message["X-CRM-Outbox-Id"]) for message in self.messages]


@contextmanager
def smtp_server(port: int):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


def text_part(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
