"""The CRM application factory."""
from pathlib import Path

from flask import Flask, jsonify, render_template, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException

from crm import config as crm_config
from crm import fulltext, logs, web_security
from crm.extensions import csrf, db, htmx, login_manager, migrate
from crm.hx import add_vary_header


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(crm_config.from_environment(app.instance_path))
    if config:
        app.config.from_mapping(config)
    logs.init_app(app)  # first, so that every request has its id before anything else runs

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"),
                    render_as_batch=True, compare_type=True, include_object=fulltext.include_object)
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    _configure_sqlite(app)
    web_security.init_app(app)

    from crm import models  # noqa: F401  (registers the tables)
    from crm.blueprints import register_blueprints
    from crm.cli import register_commands
    from crm.services import lead_rows  # noqa: F401  (its flush hook keeps lead rows in step)
    from crm.template_helpers import register_template_helpers

    register_blueprints(app)
    register_commands(app)
    register_template_helpers(app)
    app.after_request(add_vary_header)
    app.register_error_handler(HTTPException, _http_error)
    return app


def _http_error(error: HTTPException):
    """JSON for the API (websites read it), our own pages for 403 and 404, Werkzeug's for the rest."""
    if request.path.startswith("/api/"):
        return jsonify(errors=[{"field": "", "message": error.description}]), error.code
    if error.code in (403, 404):
        return render_template(f"errors/{error.code}.html"), error.code
    return error


def _configure_sqlite(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("connect_args", {"timeout": 30})


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL and a busy timeout let the web server and the worker share one SQLite file."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL's recommended level: no fsync per commit, still safe
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
