"""Brokerage settings (SPEC §3.8) with their defaults; stored as JSON in the settings table."""
import json
from typing import Any

from crm.extensions import db
from crm.models import Setting
from crm.models.values import BUSINESS_SOURCES, CONTACT_SOURCES

DEFAULTS: dict[str, Any] = {
    "claim_window_minutes": 30,
    "days_allowed_ignored": 7,
    "update_request_days": 7,
    "plan_in_use_id": None,
    "completed_plans_to_id": None,
    "roles_may_delete": ["manager", "broker"],
    "roles_may_archive": ["manager", "broker"],
    "roles_may_reset_plan": ["manager", "broker"],
    "roles_may_rebroadcast": ["manager", "broker"],
    "roles_may_export": ["manager", "broker"],  # SPEC §1: export and hand-off are managers' and the broker's
    "roles_may_convert": ["agent", "manager", "broker"],
    "roles_may_hand_off": ["manager", "broker"],
    "roles_may_share": ["agent", "manager", "broker"],
    "contact_sources": list(CONTACT_SOURCES),
    "business_sources": list(BUSINESS_SOURCES),
}


def get(key: str) -> Any:
    row = db.session.get(Setting, key)
    return json.loads(row.value) if row else DEFAULTS[key]


def put(key: str, value: Any) -> None:
    if key not in DEFAULTS:
        raise KeyError(key)
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=json.dumps(value)))
    else:
        row.value = json.dumps(value)
