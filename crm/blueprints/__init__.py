"""Blueprint registration: one package per area. Every page needs a signed-in user but these."""
from flask import Flask, request
from flask_login import current_user

from crm.extensions import login_manager

PUBLIC_ENDPOINTS = {"auth.login", "auth.forgot_password", "auth.set_password", "static"}
PUBLIC_BLUEPRINTS = {"api"}  # the events API authenticates with API keys


def require_login():
    if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if request.blueprint in PUBLIC_BLUEPRINTS or current_user.is_authenticated:
        return None
    return login_manager.unauthorized()


def register_blueprints(app: Flask) -> None:
    from crm.blueprints.api import bp as api_bp
    from crm.blueprints.auth import bp as auth_bp
    from crm.blueprints.concierge import bp as concierge_bp
    from crm.blueprints.contacts import bp as contacts_bp
    from crm.blueprints.dashboard import bp as dashboard_bp
    from crm.blueprints.export import bp as export_bp
    from crm.blueprints.imports import bp as imports_bp
    from crm.blueprints.manage import bp as manage_bp
    from crm.blueprints.offers import bp as offers_bp
    from crm.blueprints.preferences import bp as preferences_bp
    from crm.blueprints.referrals import bp as referrals_bp
    from crm.blueprints.requests import bp as requests_bp
    from crm.blueprints.settings import bp as settings_bp
    from crm.blueprints.webhooks import bp as webhooks_bp

    app.before_request(require_login)
    app.register_blueprint(auth_bp)
    app.register_blueprint(contacts_bp)
    app.register_blueprint(settings_bp)
    app.register_blueprint(requests_bp)
    app.register_blueprint(manage_bp)
    app.register_blueprint(export_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(preferences_bp)
    app.register_blueprint(referrals_bp)
    app.register_blueprint(concierge_bp)
    app.register_blueprint(offers_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(imports_bp)
