from flask import Blueprint

bp = Blueprint("contacts", __name__)

from crm.blueprints.contacts import routes  # noqa: E402,F401
