from flask import Blueprint

bp = Blueprint("manage", __name__)

from crm.blueprints.manage import routes  # noqa: E402,F401
