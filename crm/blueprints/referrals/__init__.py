from flask import Blueprint

bp = Blueprint("referrals", __name__)

from crm.blueprints.referrals import routes  # noqa: E402,F401
