from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/settings/import")

from crm.blueprints.imports import routes  # noqa: E402,F401
