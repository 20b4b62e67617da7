from flask import Blueprint

bp = Blueprint("concierge", __name__, url_prefix="/concierge")

from crm.blueprints.concierge import routes  # noqa: E402,F401
