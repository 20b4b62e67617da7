"""Settings (docs/product.md#settings), broker only. Each area adds its own module of routes below."""
from flask import Blueprint, render_template

from crm import policy
from crm.blueprints.guards import roles_required

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.before_request
@roles_required(policy.runs_settings)
def broker_only():
    return None


@bp.route("/")
def index():
    return render_template("settings/index.html")


from crm.blueprints.settings import (  # noqa: E402,F401  (events API, routing, outbox)
    accounts,  # noqa: E402,F401  (users, offices, source values)
    api_keys,
    controls,  # noqa: E402,F401  (action plans, permissions, trash)
    delivery,  # noqa: E402,F401  (the notification log: what crm/services/delivery.py sent)
    lead_flow,
    territories,  # noqa: E402,F401  (zips, sponsorships, claim window)
)
