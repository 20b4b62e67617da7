from flask import Blueprint

bp = Blueprint("preferences", __name__)

from crm.blueprints.preferences import routes  # noqa: E402,F401
