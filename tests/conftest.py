"""Test fixtures: the factory with a test config, a real database (SQLite, or PostgreSQL 15 when
CRM_TEST_DB=postgresql), CSRF left on, a live HTTP server and headless Chromium."""
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import sync_playwright
from sqlalchemy import text
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from crm import create_app
from crm.demo import PASSWORD
from crm.extensions import db
from crm.models import Contact, Office, User
from crm.services import contacts as contact_service

import markup

PG_BIN = Path("/usr/lib/postgresql/15/bin")
CHROMIUM = "/usr/bin/chromium"
_PASSWORD_HASH = generate_password_hash(PASSWORD)  # hashing is slow on purpose: do it once


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if os.environ.get("CRM_TEST_DB", "sqlite") != "postgresql":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    data_dir = Path(tempfile.mkdtemp(prefix="crm-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data_dir, "postgres", "postgres")
    port = _free_port()
    subprocess.run(_as_postgres_user([str(PG_BIN / "initdb"), "-D", str(data_dir), "-U", "postgres",
                                      "--auth=trust", "-E", "UTF8", "--no-sync"]),
                   check=True, capture_output=True)
    options = f"-p {port} -k {data_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    subprocess.run(_as_postgres_user([str(PG_BIN / "pg_ctl"), "-D", str(data_dir), "-o", options,
                                      "-l", str(data_dir / "log"), "-w", "start"]), check=True, capture_output=True)
    subprocess.run(_as_postgres_user([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                                      "-U", "postgres", "crm_test"]), check=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/crm_test"
    finally:
        subprocess.run(_as_postgres_user([str(PG_BIN / "pg_ctl"), "-D", str(data_dir), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "BASE_URL": "http://crm.test",
        "SMTP_URL": None,
        "SMS_URL": None,
    })
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
    return app


@pytest.fixture(autouse=True)
def clean_database(app):
    """Every test starts from empty tables (schema made once by the migrations)."""
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        tables = [table.name for table in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as connection:
            if db.engine.dialect.name == "postgresql":
                connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def make_user(app):
    def make(email: str, role: str = "agent", office: Office | None = None, name: str | None = None,
             **fields) -> User:
        user = User(email=email, name=name or email.split("@")[0].replace(".", " ").title(), role=role,
                    office=office, password_hash=_PASSWORD_HASH, **fields)
        db.session.add(user)
        db.session.commit()
        return user
    return make


@pytest.fixture
def users(make_user):
    """The demo roles of docs/product.md#commands in one office, plus an agent of another office."""
    downtown, westshore = Office(name="Downtown"), Office(name="Westshore")
    db.session.add_all([downtown, westshore])
    db.session.commit()
    return {
        "broker": make_user("broker@demo.test", "broker", downtown, "Brenda Broker"),
        "manager": make_user("manager@demo.test", "manager", downtown, "Marcus Manager"),
        "concierge": make_user("concierge@demo.test", "concierge", downtown, "Connie Concierge"),
        "agent": make_user("agent@demo.test", "agent", downtown, "Alex Agent"),
        "agent2": make_user("agent2@demo.test", "agent", downtown, "Avery Agent"),
        "west_agent": make_user("west@demo.test", "agent", westshore, "Wes West"),
        "west_manager": make_user("west.manager@demo.test", "manager", westshore, "Wendy West"),
    }


@pytest.fixture
def make_contact(app):
    """A contact with one lead; `inquiry` and `emails`/`phones` as given."""
    def make(owner: User | None, first_name="Ana", last_name="Ruiz", emails=(), phones=(),
             inquiry="Registration", created_by: User | None = None, **fields) -> Contact:
        contact = contact_service.create_contact(created_by, emails=emails, phones=phones, first_name=first_name,
                                                 last_name=last_name, owner_id=owner.id if owner else None,
                                                 **fields)
        contact_service.record_lead(contact, inquiry)
        db.session.commit()
        return contact
    return make


class WebClient:
    """A test client that behaves like a browser: it reads the CSRF token from the pages it gets.

    Each request runs in an app context of its own (fresh `g`, session and signed-in user), as in
    production; afterwards the test's session is expired so it reads what the request wrote."""

    def __init__(self, flask_client):
        self.http = flask_client
        self.csrf_token = None

    def _isolated(self, send, *args, **kwargs):
        with self.http.application.app_context():
            response = send(*args, **kwargs)
        db.session.expire_all()
        return response

    def _remember_token(self, response):
        if response.mimetype == "text/html":
            self.csrf_token = markup.parse(response).csrf_token() or self.csrf_token
        return response

    def get(self, url, htmx: bool = False, **kwargs):
        headers = kwargs.pop("headers", {})
        if htmx:
            headers["HX-Request"] = "true"
        return self._remember_token(self._isolated(self.http.get, url, headers=headers, **kwargs))

    def post(self, url, data=None, htmx: bool = False, **kwargs):
        if self.csrf_token is None:
            self.get("/login")
        headers = kwargs.pop("headers", {})
        if htmx:
            headers["HX-Request"] = "true"
            headers["X-CSRFToken"] = self.csrf_token
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token)
        return self._remember_token(self._isolated(self.http.post, url, data=data, headers=headers, **kwargs))

    def login(self, email: str, password: str = PASSWORD):
        self.get("/login")
        response = self.post("/login", {"email": email, "password": password})
        self.get("/contacts")
        return response


@pytest.fixture
def make_web(app):
    """A new browser-like client on each call, with cookies of its own (another browser, another process)."""
    return lambda: WebClient(app.test_client())


@pytest.fixture
def web(make_web):
    return make_web()


@pytest.fixture
def login_as(make_web):
    def login(user_or_email) -> WebClient:
        email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
        client = make_web()
        response = client.login(email)
        assert response.status_code == 302, f"sign-in of {email} failed"
        return client
    return login


@pytest.fixture(scope="session")
def live_server(app):
    """The app served over real HTTP on 127.0.0.1, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (bash .ci/run does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    # Playwright's wait_for_function evaluates its string with eval, which the app's CSP forbids;
    # tests/test_trust_web.py drives the app under its CSP.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900}, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def sign_in(page):
    """Sign in through the real login form, as a user would."""
    def sign_in_as(email: str, next_path: str = "/contacts"):
        return _sign_in_on(page, email, next_path)
    return sign_in_as


@pytest.fixture(scope="session")
def sign_in_on():
    """`sign_in_on(page, email, next_path)`: sign in on a page of one's own (a second browser context)."""
    return _sign_in_on


@pytest.fixture(scope="session")
def wait_until():
    """`wait_until(condition, timeout)`: poll until `condition()` is truthy (work done by other threads)."""
    return _wait_until


def _sign_in_on(page, email: str, next_path: str = "/contacts"):
    """Fill in the login form of `page` and wait to land on `next_path`."""
    page.goto(f"/login?next={quote(next_path, safe='/')}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: url.split("/", 3)[-1] == next_path.lstrip("/"))
    return page


def _wait_until(condition, timeout: float = 10.0, interval: float = 0.05):
    """Poll `condition` until it returns something truthy (for work done by other threads)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError("condition not met in time")
