"""`make run` serves through gunicorn (docs/product.md#commands) and takes a burst of concurrent events on the
embedded database without stalling (docs/product.md#trust): every one of 50 simultaneous posts succeeds."""
import json
import os
import signal
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest

from crm.extensions import db
from crm.services import api_keys

from events_support import basic_auth, event, free_port, person

REPO = Path(__file__).resolve().parent.parent
BURST = 50


@pytest.fixture
def make_run_server(app, users, database_url, tmp_path, wait_until):
    """The real `make run` on a free port against the test database (which has users, so no demo load)."""
    port = free_port()
    env = {**os.environ, "CRM_DATABASE_URL": database_url, "CRM_BIND": f"127.0.0.1:{port}",
           "CRM_SECRET_KEY": "test-secret", "CRM_BASE_URL": f"http://127.0.0.1:{port}"}
    env.pop("CRM_SMTP_URL", None)
    log = (tmp_path / "make-run.log").open("w")
    server = subprocess.Popen(["make", "-C", str(REPO), "run"], env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: _answers(url + "/api/v1/openapi.json"), timeout=120), \
            (tmp_path / "make-run.log").read_text()
        yield url, (tmp_path / "make-run.log")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _post(url: str, key: str, body: dict) -> int:
    request = urllib.request.Request(url + "/api/v1/events", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **basic_auth(key)})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_make_run_serves_with_gunicorn_and_every_event_of_a_burst_succeeds(make_run_server):
    url, log = make_run_server
    _key, plain = api_keys.create_key("burst.example", rate_limit_per_minute=10_000)
    db.session.commit()
    start = threading.Barrier(BURST)
    statuses: list[int] = []

    def send(number: int) -> None:
        body = event(person=person("Burst", f"Person{number}", f"burst{number}@example.com"))
        start.wait()
        statuses.append(_post(url, plain, body))

    threads = [threading.Thread(target=send, args=(number,)) for number in range(BURST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201] * BURST
    assert "gunicorn" in log.read_text().lower()
