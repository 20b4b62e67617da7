"""Passwords by email (docs/product.md#settings): invitation and reset links, password rules, Change password.

A link carries a random secret signed with the app's key (itsdangerous, stamped by the app clock);
only the secret's SHA-256 is stored, with its expiry and when it was used, so a link works once,
until it expires, and a stolen database holds no usable link.
"""
import hashlib
import secrets
from datetime import UTC, timedelta
from typing import cast

from flask import current_app, render_template
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import CursorResult, select, update

from crm import clock
from crm.extensions import db
from crm.models import AccountToken, User
from crm.services import activity, outbox, sessions
from crm.services.errors import FieldError
from crm.wording import plural

LINK_LIFETIMES = {"invitation": timedelta(days=7), "reset": timedelta(hours=2)}
MIN_LENGTH = 10
LINK_REFUSED = "This link has expired or was already used. Ask for a new one with Forgot password?"


class ClockSigner(TimestampSigner):
    """Timestamps from the app clock, so expiry follows `clock` (and tests can move time)."""

    def get_timestamp(self) -> int:
        return int(clock.now().replace(tzinfo=UTC).timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="account-link", signer=ClockSigner)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_link(user: User, purpose: str) -> str:
    secret = secrets.token_urlsafe(32)
    db.session.add(AccountToken(user_id=user.id, purpose=purpose, token_hash=_digest(secret),
                                expires_at=clock.now() + LINK_LIFETIMES[purpose]))
    token = _serializer().dumps({"p": purpose, "s": secret})
    return f"{current_app.config['BASE_URL']}/set-password/{token}"


def _email(user: User, purpose: str, subject: str) -> None:
    lifetime = LINK_LIFETIMES[purpose]
    valid_for = plural(lifetime.days, "day") if lifetime.days else plural(lifetime.seconds // 3600, "hour")
    context = dict(user=user, link=_new_link(user, purpose), valid_for=valid_for)
    outbox.enqueue_email(user.email, subject, render_template(f"emails/{purpose}.txt", **context),
                         kind=purpose, user=user)


def send_invitation(user: User) -> None:
    _email(user, "invitation", "You are invited to the lead CRM: choose your password")


def send_reset_link(email: str) -> None:
    """A reset link to an active user with this email; nothing for an unknown one (the page says
    the same either way, so it does not tell who has an account)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is not None and user.is_active_user:
        _email(user, "reset", "Reset your lead CRM password")


def link_token(token: str) -> AccountToken:
    """The unused, unexpired link behind `token`, or FieldError."""
    purpose = "invitation"
    try:
        payload = _serializer().loads(token, max_age=int(max(LINK_LIFETIMES.values()).total_seconds()))
        purpose = payload["p"]
        row = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == _digest(payload["s"]),
                                                           AccountToken.purpose == purpose))
    except (BadSignature, SignatureExpired, KeyError, TypeError):
        row = None
    if row is None or row.used_at is not None or row.expires_at <= clock.now() or not row.user.is_active_user:
        raise FieldError(LINK_REFUSED)
    return row


def check_new_password(user: User, password: str, confirmation: str) -> None:
    if len(password) < MIN_LENGTH:
        raise FieldError(f"Use at least {MIN_LENGTH} characters.", "new_password")
    if password.strip().lower() == user.email.lower():
        raise FieldError("Your password must not be your email address.", "new_password")
    if password != confirmation:
        raise FieldError("The two passwords differ: type the same password twice.", "confirm_password")


def set_password_with_link(token: str, password: str, confirmation: str) -> User:
    """Use the link once: a second request with it (even at the same moment) is refused."""
    row = link_token(token)
    check_new_password(row.user, password, confirmation)
    used = cast(CursorResult, db.session.execute(
        update(AccountToken).where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=clock.now()).execution_options(synchronize_session=False)))
    if used.rowcount != 1:
        raise FieldError(LINK_REFUSED)
    _set_password(row.user, password, "Password set" if row.purpose == "invitation" else "Password reset")
    return row.user


def change_password(user: User, current: str, password: str, confirmation: str) -> None:
    if not user.check_password(current):
        raise FieldError("That is not your current password.", "current_password")
    check_new_password(user, password, confirmation)
    _set_password(user, password, "Password changed")


def _set_password(user: User, password: str, action: str) -> None:
    user.set_password(password)
    activity.log(None, user, action, user.email, category="account")
    sessions.end_other_sessions(user)  # the route signs its own session in again
