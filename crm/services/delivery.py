"""Delivery of the outbox (docs/product.md#delivery): the worker claims due messages, sends them and records
the result; a failure is retried with exponential backoff (30 s doubling, at most an hour apart) for
three days, so a mail server that is down delays mail and loses none. Only then is a message
`failed`; the notification log says so at once and the broker gets an email once mail works again.

Delivery is at-least-once: a worker killed between sending and recording the result leaves the
message to be sent again when its lease (about one send long) runs out. Every attempt carries the
same Message-ID, so receiving mail systems can drop the duplicate.

Claiming is one UPDATE that marks rows `sending` with a lease: on PostgreSQL its subquery skips
rows another worker has locked (FOR UPDATE SKIP LOCKED); on SQLite the statement runs under the
database's single write lock. Either way no two workers hold the same message, and a worker
that died mid-send gives its messages back when the lease runs out.

Without CRM_SMTP_URL (CRM_SMS_URL) messages are written to the log, whole, and marked `logged`.
"""
import contextlib
import json
import logging
import smtplib
import ssl
import urllib.request
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from typing import cast
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import CursorResult, Table, and_, bindparam, func, or_, select, update

from crm import clock
from crm.extensions import db
from crm.models import OutboxMessage, User
from crm.models.values import OutboxStatus
from crm.services import alerts, outbox, paging, webhooks

log = logging.getLogger(__name__)

RETRYABLE = (OutboxStatus.QUEUED, OutboxStatus.FAILED)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
KEEP_TRYING = timedelta(days=3)  # then the message is `failed` and the broker is told (docs/product.md#delivery)
BATCH_SIZE = 20
MAX_BATCHES_PER_PASS = 50
SMTP_TIMEOUT = 30
SMS_TIMEOUT = 10
# How long a claimed message stays ours: one send (a connect and a send, each within the timeout)
# and a margin. A batch is leased again whenever less than one send is left, so it may take longer.
ONE_SEND = timedelta(seconds=2 * SMTP_TIMEOUT)
LEASE = ONE_SEND + timedelta(seconds=30)


class DeliveryError(Exception):
    pass


def backoff(attempts: int) -> timedelta:
    """30 s after the first failure, doubling each time, at most an hour."""
    return min(BACKOFF_BASE * 2 ** min(max(attempts - 1, 0), 20), BACKOFF_MAX)


def attempts_in(period: timedelta) -> int:
    """How many attempts the backoff makes within `period` (about 78 in three days)."""
    attempts, elapsed = 1, timedelta(0)
    while elapsed + backoff(attempts) <= period:
        elapsed += backoff(attempts)
        attempts += 1
    return attempts


ATTEMPTS_BEFORE_FAILING = attempts_in(KEEP_TRYING)


def claim_batch(limit: int = BATCH_SIZE) -> list[int]:
    """Mark up to `limit` due messages as ours (status `sending`, a lease) and commit."""
    now = clock.now()
    due = or_(and_(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now),
              and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.locked_until < now))
    candidates = (select(OutboxMessage.id).where(due)
                  .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    claim = (update(OutboxMessage).where(OutboxMessage.id.in_(candidates))
             .values(status=OutboxStatus.SENDING, locked_until=now + LEASE, attempts=OutboxMessage.attempts + 1)
             .returning(OutboxMessage.id).execution_options(synchronize_session=False))
    claimed = list(db.session.execute(claim).scalars())
    db.session.commit()
    return sorted(claimed)


@dataclass
class Outcome:
    """How one attempt went, recorded with the rest of its batch."""
    message: OutboxMessage
    channel: str
    status: OutboxStatus
    last_error: str | None = None
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None


def _failure(message: OutboxMessage, error: str) -> Outcome:
    """Retry with backoff until the message has waited KEEP_TRYING, then `failed`."""
    now = clock.now()
    if now - message.created_at >= KEEP_TRYING:
        return Outcome(message, message.channel, OutboxStatus.FAILED, last_error=error)
    return Outcome(message, message.channel, OutboxStatus.QUEUED, last_error=error,
                   next_attempt_at=now + backoff(message.attempts))


OUTBOX = cast(Table, OutboxMessage.__table__)
_RECORD_OUTCOME = (
    update(OUTBOX)
    .where(OutboxMessage.id == bindparam("message_id"), OutboxMessage.status == OutboxStatus.SENDING,
           OutboxMessage.locked_until == bindparam("lease"))
    .values(status=bindparam("new_status"), last_error=bindparam("new_last_error"),
            sent_at=bindparam("new_sent_at"), next_attempt_at=bindparam("new_next_attempt_at"), locked_until=None))


def _record(outcomes: list[Outcome]) -> None:
    """The outcomes of a batch in one commit, each unless our lease ran out and another worker took
    the message over."""
    if outcomes:
        db.session.connection().execute(_RECORD_OUTCOME, [dict(
            message_id=outcome.message.id, lease=outcome.message.locked_until, new_status=outcome.status,
            new_last_error=outcome.last_error, new_sent_at=outcome.sent_at,
            new_next_attempt_at=outcome.next_attempt_at or outcome.message.next_attempt_at) for outcome in outcomes])
    db.session.commit()


def _renew_leases(messages: list[OutboxMessage]) -> list[OutboxMessage]:
    """A batch still unsent when its lease runs short gets a new one; those another worker took
    over are dropped."""
    renewed_until = clock.now() + LEASE
    kept = []
    for message in messages:
        renewed = cast(CursorResult, db.session.connection().execute(
            update(OUTBOX)
            .where(OutboxMessage.id == message.id, OutboxMessage.status == OutboxStatus.SENDING,
                   OutboxMessage.locked_until == message.locked_until)
            .values(locked_until=renewed_until)))
        if renewed.rowcount == 1:
            message.locked_until = renewed_until
            kept.append(message)
    db.session.commit()
    return kept


def _single_line(value: str) -> str:
    return " ".join(value.split())


def build_email(message: OutboxMessage) -> EmailMessage:
    sender = current_app.config["MAIL_FROM"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "crm.local"
    email = EmailMessage()
    email["From"] = sender
    email["To"] = _single_line(message.recipient)
    email["Subject"] = _single_line(message.subject)
    # The same Message-ID on every attempt lets a mail system drop a copy re-sent after a crash.
    email["Message-ID"] = f"<outbox-{message.id}.{message.created_at:%Y%m%d%H%M%S}@{domain}>"
    email["X-CRM-Outbox-Id"] = str(message.id)
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


@dataclass
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool

    @classmethod
    def from_url(cls, url: str) -> "SmtpSettings":
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise DeliveryError(f"CRM_SMTP_URL must look like smtp://user:pass@host:port, not {parts.scheme}://…")
        return cls(host=parts.hostname, port=parts.port or (465 if parts.scheme == "smtps" else 25),
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None,
                   implicit_tls=parts.scheme == "smtps")


class SmtpSender:
    """One connection for a pass, opened on first use. After a failed send the next one reconnects;
    after a failed connect the pass sends no more mail (each message fails fast with that error)."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.connection: smtplib.SMTP | None = None
        self.connect_error: Exception | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        connection: smtplib.SMTP
        if s.implicit_tls:
            connection = smtplib.SMTP_SSL(s.host, s.port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(s.host, s.port, timeout=SMTP_TIMEOUT)
            connection.ehlo()
            if connection.has_extn("starttls"):
                connection.starttls(context=ssl.create_default_context())
                connection.ehlo()
        if s.username:
            connection.login(s.username, s.password or "")
        return connection

    def _connection(self) -> smtplib.SMTP:
        if self.connect_error is not None:
            raise self.connect_error
        if self.connection is None:
            try:
                self.connection = self._connect()
            except Exception as error:
                self.connect_error = error
                raise
        return self.connection

    def send(self, email: EmailMessage) -> None:
        connection = self._connection()
        try:
            connection.send_message(email)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # closing a broken connection: nothing left to do
                self.connection.quit()
            self.connection = None


def _log_instead_of_sending(message: OutboxMessage) -> None:
    """With no server configured the message goes to the log, whole, so a developer can read it there."""
    setting = "CRM_SMTP_URL" if message.channel == "email" else "CRM_SMS_URL"
    log.info("outbox message logged: no %s configured", setting, extra={
        "channel": message.channel, "outbox_id": message.id, "to": message.recipient,
        "subject": message.subject, "body": message.body_text})


def send_sms(url: str, message: OutboxMessage) -> None:
    body = json.dumps({"to": message.recipient, "body": message.body_text, "id": message.id}).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=SMS_TIMEOUT) as response:
        if not 200 <= response.status < 300:
            raise DeliveryError(f"the SMS endpoint answered {response.status}")


def _transport(message: OutboxMessage, smtp: SmtpSender | None):
    """How to send this message, or None when its channel has no endpoint configured."""
    if message.channel == webhooks.CHANNEL:
        return lambda: webhooks.send(message)
    if message.channel == "sms":
        url = current_app.config.get("SMS_URL")
        return (lambda: send_sms(url, message)) if url else None
    return (lambda: smtp.send(build_email(message))) if smtp is not None else None


def _attempt(message: OutboxMessage, smtp: SmtpSender | None) -> Outcome:
    """Send one claimed message (or log it for want of an endpoint) and say how it went."""
    send = _transport(message, smtp)
    if send is None:
        _log_instead_of_sending(message)
        return Outcome(message, message.channel, OutboxStatus.LOGGED, sent_at=clock.now())
    try:
        send()
    except Exception as error:  # any failure of one message is recorded on it and retried later
        log.warning("outbox message failed: %s", error, extra={
            "outbox_id": message.id, "to": message.recipient, "attempt": message.attempts})
        return _failure(message, f"{type(error).__name__}: {error}"[:2000])
    return Outcome(message, message.channel, OutboxStatus.SENT, sent_at=clock.now())


def _lease_short(message: OutboxMessage) -> bool:
    """Whether the lease might run out during one more send."""
    return message.locked_until is None or clock.now() + ONE_SEND >= message.locked_until


def _claimed_messages(ids: list[int]) -> list[OutboxMessage]:
    """The claimed rows, with lead alerts rendered now (stored with them in one commit first)."""
    query = select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
    messages = list(db.session.scalars(query))
    to_render = [message for message in messages if alerts.needs_rendering(message)]
    if to_render:
        alerts.render_alerts(to_render)
        db.session.commit()
        messages = list(db.session.scalars(query))  # one read instead of one per expired row
    return messages


def _send_batch(messages: list[OutboxMessage], smtp: SmtpSender | None) -> list[Outcome]:
    """Send a claimed batch over the pass's one SMTP connection; the outcomes are committed together
    at the end, or sooner when the lease runs short (then the rest is leased again)."""
    recorded: list[Outcome] = []
    outcomes: list[Outcome] = []
    pending = deque(messages)
    while pending:
        if _lease_short(pending[0]):
            _record(outcomes)
            recorded, outcomes = recorded + outcomes, []
            pending = deque(_renew_leases(list(pending)))
            continue
        outcomes.append(_attempt(pending.popleft(), smtp))
    _record(outcomes)
    return recorded + outcomes


def failed_count() -> int:
    """Messages given up on (the notification log's banner)."""
    return db.session.execute(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)).scalar_one()


def report_failures() -> int:
    """Once mail works again: email the broker(s) which messages were given up on, once each."""
    failed = list(db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.failure_reported_at.is_(None))
        .order_by(OutboxMessage.id).limit(500)))
    if not failed:
        return 0
    lines = [f"#{message.id} {message.channel} to {message.recipient}: {message.subject or message.body_text[:60]}"
             f" ({message.last_error})" for message in failed]
    body = (f"{len(failed)} message(s) could not be sent for {KEEP_TRYING.days} days and were given up on:\n\n"
            + "\n".join(lines) + "\n\nThe notification log in Settings has each one, with Retry.")
    brokers = db.session.scalars(select(User).where(User.runs_settings, User.is_active_user.is_(True)))
    for broker in brokers:
        outbox.enqueue_email(broker.email, f"{len(failed)} message(s) could not be sent", body,
                             kind="delivery_failure", user=broker)
    now = clock.now()
    for message in failed:
        message.failure_reported_at = now
    db.session.commit()
    return len(failed)


def _smtp_sender() -> SmtpSender | None:
    url = current_app.config.get("SMTP_URL")
    return SmtpSender(SmtpSettings.from_url(url)) if url else None


def deliver_outbox(batch_size: int = BATCH_SIZE) -> int:
    """Worker job: send every due message (bounded per pass); returns how many were handled."""
    smtp = _smtp_sender()
    handled, mail_works = 0, False
    try:
        for _ in range(MAX_BATCHES_PER_PASS):
            ids = claim_batch(batch_size)
            if not ids:
                break
            outcomes = _send_batch(_claimed_messages(ids), smtp)
            mail_works = mail_works or any(outcome.status == OutboxStatus.SENT and outcome.channel == "email"
                                           for outcome in outcomes)
            handled += len(ids)
    finally:
        if smtp is not None:
            smtp.close()
    if mail_works:
        report_failures()
    return handled


def retry(message: OutboxMessage) -> bool:
    """The notification log's Retry: send again at the next worker pass, with a fresh set of attempts."""
    if message.status not in RETRYABLE:
        return False
    message.status, message.attempts, message.next_attempt_at = OutboxStatus.QUEUED, 0, clock.now()
    return True


def log_page(status: str | None, page: int, page_size: int) -> tuple[list[OutboxMessage], bool]:
    """The notification log, newest first; returns the page's messages and whether more follow."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status:
        query = query.where(OutboxMessage.status == status)
    return paging.offset_page(query, page, page_size)
