"""Server-side sessions and sign-in throttling (docs/product.md#trust).

A session cookie carries the user's `session_version`; raising the version ends every session
signed in before. Failed sign-ins are rows in the database, so every process counts the same.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from crm import clock
from crm.extensions import db
from crm.models import SignInFailure, User

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


def end_sessions(user: User) -> None:
    """Every session of the user stops working (sign-out; a password change or reset)."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1)
                       .execution_options(synchronize_session=False))
    db.session.refresh(user, ["session_version"])


def end_other_sessions(user: User) -> None:
    """For a password change or reset: the user's other sessions end. The route then signs its own
    session in again (`flask_login.login_user(user)`) so that it carries the new version."""
    end_sessions(user)


def user_for_session(session_id: str) -> User | None:
    """The user of a session id `"<user id>:<session version>"`, if that version is still current."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()) or int(user_id) >= 2 ** 63:
        return None
    user = db.session.get(User, int(user_id))
    current = user is not None and user.session_version == int(version) and user.is_active_user
    return user if current else None


@cache
def _decoy_hash() -> str:
    return generate_password_hash("a password nobody has")


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password. An unknown email costs the same hash check
    as a known one, so the answer's timing does not tell which emails have accounts."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        check_password_hash(_decoy_hash(), password)
        return None
    return user if user.check_password(password) and user.is_active else None


def _email_key(email: str) -> str:
    return email.strip().lower()[:254]


def retry_after(email: str, address: str) -> datetime | None:
    """When sign-in may be tried again if this email or this address failed 5 times in 15 minutes."""
    since = clock.now() - FAILURE_WINDOW
    blocked_until = []
    for same_source in (SignInFailure.email == _email_key(email), SignInFailure.address == address[:64]):
        count, latest = db.session.execute(select(func.count(), func.max(SignInFailure.failed_at))
                                           .where(same_source, SignInFailure.failed_at > since)).one()
        if count >= MAX_FAILURES:
            blocked_until.append(latest + FAILURE_WINDOW)
    return max(blocked_until, default=None)


def record_failure(email: str, address: str) -> None:
    db.session.execute(delete(SignInFailure).where(SignInFailure.failed_at <= clock.now() - FAILURE_WINDOW))
    db.session.add(SignInFailure(email=_email_key(email), address=address[:64], failed_at=clock.now()))


@dataclass(frozen=True)
class SignIn:
    """A sign-in attempt: the user, or None (wrong email or password, or `blocked_until` is set)."""
    user: User | None = None
    blocked_until: datetime | None = None


def sign_in(email: str, password: str, address: str) -> SignIn:
    """Refused while the email or the address is blocked; a wrong password counts as a failure."""
    blocked_until = retry_after(email, address)
    if blocked_until:
        return SignIn(blocked_until=blocked_until)
    user = authenticate(email, password)
    if user is None:
        record_failure(email, address)
    return SignIn(user=user)


def seconds_until(moment: datetime) -> int:
    return max(1, int((moment - clock.now()).total_seconds()) + 1)
