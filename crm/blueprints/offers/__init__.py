from flask import Blueprint

bp = Blueprint("offers", __name__, url_prefix="/offers")

from crm.blueprints.offers import routes  # noqa: E402,F401
