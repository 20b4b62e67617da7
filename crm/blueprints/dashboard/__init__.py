from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from crm.blueprints.dashboard import routes  # noqa: E402,F401
