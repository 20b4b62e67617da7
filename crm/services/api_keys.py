"""API keys of the events API (SPEC §5): shown once, stored as a SHA-256 hash, revocable,
with a per-key rate limit counted in the database so every process shares it."""
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crm import clock
from crm.extensions import db
from crm.models import ApiKey, ApiRateWindow, IdempotencyRecord

KEY_PREFIX = "crm_"
DEFAULT_RATE_LIMIT = 600  # requests per minute
RATE_WINDOWS_KEPT = timedelta(hours=1)
IDEMPOTENCY_RECORDS_KEPT = timedelta(days=7)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(name: str, rate_limit_per_minute: int = DEFAULT_RATE_LIMIT) -> tuple[ApiKey, str]:
    """A new key; the plain key is returned this once and never stored."""
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey(name=name.strip(), key_hash=hash_key(plain), prefix=plain[:12],
                     rate_limit_per_minute=rate_limit_per_minute)
    db.session.add(api_key)
    db.session.flush()
    return api_key, plain


# Built once: the events API runs these on every request, so they skip the ORM's per-call work.
_ACTIVE_KEY = (select(ApiKey.id, ApiKey.rate_limit_per_minute)
               .where(ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None)))
_COUNT_REQUEST = {
    dialect: (insert(ApiRateWindow)
              .values(api_key_id=bindparam("api_key_id"), window_start=bindparam("window_start"), count=1)
              .on_conflict_do_update(index_elements=["api_key_id", "window_start"],
                                     set_={"count": ApiRateWindow.count + 1})
              .returning(ApiRateWindow.count))
    for dialect, insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}


def authenticate(plain: str | None):
    """The active key's (id, rate_limit_per_minute), or None."""
    if not plain:
        return None
    return db.session.connection().execute(_ACTIVE_KEY, {"key_hash": hash_key(plain)}).first()


def revoke(api_key: ApiKey) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = clock.now()


def all_keys() -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc())))


def count_request(api_key_id: int, now: datetime) -> int:
    """Count one request in the key's current minute and return the count so far; the caller
    commits it at once, in a transaction of its own.

    One atomic upsert, so concurrent processes never lose a count. Every request of a key updates
    the same row, so on PostgreSQL this transaction does not wait for its commit to reach the disk
    (the row stays locked only for a moment; a crash can forget a few counts, never a lead)."""
    connection = db.session.connection()
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
    window = now.replace(second=0, microsecond=0)
    return connection.execute(_COUNT_REQUEST[dialect], {"api_key_id": api_key_id, "window_start": window}).scalar_one()


def seconds_to_next_window(now: datetime) -> int:
    return 60 - now.second


def purge_old_records() -> int:
    """Worker job: forget finished rate windows and old idempotency answers."""
    now = clock.now()
    windows = db.session.execute(delete(ApiRateWindow).where(ApiRateWindow.window_start < now - RATE_WINDOWS_KEPT))
    answers = db.session.execute(delete(IdempotencyRecord)
                                 .where(IdempotencyRecord.created_at < now - IDEMPOTENCY_RECORDS_KEPT))
    db.session.commit()
    return windows.rowcount + answers.rowcount
