"""API keys of the events API (docs/product.md#events-api): shown once, stored as a SHA-256 hash, revocable,
with a per-key rate limit counted in the database so every process shares it."""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    ColumnClause,
    CursorResult,
    DateTime,
    bindparam,
    delete,
    func,
    literal,
    literal_column,
    null,
    select,
    true,
)
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


@dataclass
class Claim:
    """A request counted against its key: the count this minute, the key's limit, and the stored
    answer when its Idempotency-Key was seen before."""
    api_key_id: int
    count: int
    limit: int
    replay_status: int | None
    replay_body: str | None


@cache
def _claim_statement(dialect: str, with_idempotency_key: bool):
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    key = select(ApiKey.id, bindparam("window_start", type_=DateTime), literal(1)).where(
        ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None))
    if dialect == "postgresql":  # SET LOCAL synchronous_commit = off, as part of this statement
        no_flush_wait = select(func.set_config("synchronous_commit", "off", True).label("setting")).cte("no_flush_wait")
        key = key.join_from(ApiKey, no_flush_wait, true())
    # the upserted row's (no FROM of its own)
    counted_key: ColumnClause[Any] = literal_column("api_rate_windows.api_key_id")
    limit = select(ApiKey.rate_limit_per_minute).where(ApiKey.id == counted_key)
    replay = [select(column).where(IdempotencyRecord.api_key_id == counted_key,
                                   IdempotencyRecord.key == bindparam("idempotency_key")).scalar_subquery()
              if with_idempotency_key else null()
              for column in (IdempotencyRecord.status_code, IdempotencyRecord.response_body)]
    return (insert(ApiRateWindow).from_select(["api_key_id", "window_start", "count"], key)
            .on_conflict_do_update(index_elements=["api_key_id", "window_start"],
                                   set_={"count": ApiRateWindow.count + 1})
            .returning(ApiRateWindow.api_key_id, ApiRateWindow.count, limit.scalar_subquery(), *replay))


def revoke(api_key: ApiKey) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = clock.now()


def all_keys() -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc())))


def claim_request(plain: str | None, idempotency_key: str | None, now: datetime) -> Claim | None:
    """Authenticate the key, count this request in its current minute and find the stored answer
    for its Idempotency-Key, in one atomic upsert (concurrent processes never lose a count); None
    for a missing, wrong or revoked key.

    Every request of a key updates the same row, so on PostgreSQL the caller commits the count at
    once, in a transaction that does not wait for its commit to reach the disk (the row stays locked
    only for a moment; a crash can forget a few counts, never a lead). On SQLite it is the first
    write of the event's own transaction, which then holds the database's write lock."""
    if not plain:
        return None
    connection = db.session.connection()
    row = connection.execute(_claim_statement(db.engine.dialect.name, idempotency_key is not None), {
        "key_hash": hash_key(plain), "window_start": now.replace(second=0, microsecond=0),
        "idempotency_key": idempotency_key}).first()
    return None if row is None else Claim(*row)


def seconds_to_next_window(now: datetime) -> int:
    return 60 - now.second


def purge_old_records() -> int:
    """Worker job: forget finished rate windows and old idempotency answers."""
    now = clock.now()
    windows = cast(CursorResult, db.session.execute(
        delete(ApiRateWindow).where(ApiRateWindow.window_start < now - RATE_WINDOWS_KEPT)))
    answers = cast(CursorResult, db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - IDEMPOTENCY_RECORDS_KEPT)))
    db.session.commit()
    return windows.rowcount + answers.rowcount
