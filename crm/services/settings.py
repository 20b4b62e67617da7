"""Brokerage settings (docs/product.md#settings) with their defaults; stored as JSON in the settings table.

A request reads all settings with one query the first time it asks for any of them and keeps them
until it ends; a change made by another process is seen by the next request (nothing is cached
across requests or processes). Outside a request (the worker, commands) every read is fresh."""
import json
from typing import Any

from flask import g, has_request_context
from sqlalchemy import select

from crm.extensions import db
from crm.models import Setting
from crm.models.values import BUSINESS_SOURCES, CONTACT_SOURCES
from crm.policy import Role

DEFAULTS: dict[str, Any] = {
    "claim_window_minutes": 30,
    "days_allowed_ignored": 7,
    "update_request_days": 7,
    "plan_in_use_id": None,
    "completed_plans_to_id": None,
    "roles_may_delete": [Role.MANAGER, Role.BROKER],
    "roles_may_archive": [Role.MANAGER, Role.BROKER],
    "roles_may_reset_plan": [Role.MANAGER, Role.BROKER],
    "roles_may_rebroadcast": [Role.MANAGER, Role.BROKER],
    "roles_may_export": [Role.MANAGER, Role.BROKER],  # managers' and the broker's by default: docs/product.md#roles
    "roles_may_convert": [Role.AGENT, Role.MANAGER, Role.BROKER],
    "roles_may_hand_off": [Role.MANAGER, Role.BROKER],
    "roles_may_share": [Role.AGENT, Role.MANAGER, Role.BROKER],
    "contact_sources": list(CONTACT_SOURCES),
    "business_sources": list(BUSINESS_SOURCES),
}


def _read() -> dict[str, Any]:
    return {key: json.loads(value) for key, value in db.session.execute(select(Setting.key, Setting.value))}


def _stored() -> dict[str, Any]:
    """The stored settings, read once per request."""
    if not has_request_context():
        return _read()
    if "settings" not in g:
        g.settings = _read()
    return g.settings


def get(key: str) -> Any:
    stored = _stored()
    return stored[key] if key in stored else DEFAULTS[key]


def stored_value(key: str):
    """Scalar subquery of a setting's stored JSON (NULL when unset), for statements that read it
    beside other things; `decode` turns it into the value."""
    return select(Setting.value).where(Setting.key == key).scalar_subquery()


def decode(key: str, stored: str | None) -> Any:
    return DEFAULTS[key] if stored is None else json.loads(stored)


def put(key: str, value: Any) -> None:
    if key not in DEFAULTS:
        raise KeyError(key)
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=json.dumps(value)))
    else:
        row.value = json.dumps(value)
    if has_request_context() and "settings" in g:
        g.settings[key] = value
