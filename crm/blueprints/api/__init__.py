"""The events API for websites (docs/product.md#events-api): JSON in and out, HTTP Basic with API keys, no CSRF."""
from flask import Blueprint

from crm.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

from crm.blueprints.api import routes  # noqa: E402,F401
