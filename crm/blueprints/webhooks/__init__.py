from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/settings/webhooks")

from crm.blueprints.webhooks import routes  # noqa: E402,F401
