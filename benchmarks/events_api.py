"""Benchmark of the events API (SPEC §7: at least 300 events/s on SQLite, 500 on PostgreSQL,
p99 under 100 ms, zero errors): real HTTP against the production server of `make run` (gunicorn
with gunicorn.conf.py: a worker per core, threads), 16 clients for 60 s by default.

    CRM_DATABASE_URL=... python benchmarks/events_api.py [--seconds 60] [--concurrency 16] [--json out.json]

The database must be upgraded and hold agents (load data with `flask --app crm demo`, e.g.
`--contacts 200000 --leads 1000000` for the scale of SPEC §7). It creates one API key (revoked at
the end) and the contacts and leads its events make: about a third are new people, the rest return
to someone seen before (matched by email or phone).
"""
import argparse
import base64
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select

from crm import create_app
from crm.extensions import db
from crm.models import ApiKey, Contact, User
from crm.services import api_keys
from crm.services.events import EVENT_TYPES

ZIPS = ["33602", "33603", "33604", "33606", "33609", "33611", "33612", "33614", "33618", "33629"]


REPO = Path(__file__).resolve().parent.parent


@contextmanager
def production_server(port: int):
    """`make run`'s server (gunicorn.conf.py) on `port`, for the database of CRM_DATABASE_URL."""
    server = subprocess.Popen([str(REPO / ".venv" / "bin" / "gunicorn"), "--config", str(REPO / "gunicorn.conf.py")],
                              cwd=REPO, env={**os.environ, "CRM_BIND": f"127.0.0.1:{port}"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def make_event(rng: random.Random, person_number: int) -> dict:
    inquiry = rng.choice(EVENT_TYPES)
    zip_code = rng.choice(ZIPS)
    body = {
        "source": rng.choice(["smithandassociates.com", "Realtor.com", "agent site"]), "system": "benchmark",
        "type": inquiry, "message": "Is this still available? I would like to see it this weekend.",
        "person": {"firstName": "Bench", "lastName": f"Person{person_number}",
                   "emails": [{"value": f"bench.person{person_number}@example.com"}],
                   "phones": [{"value": f"555-{person_number // 10000 % 1000:03d}-{person_number % 10000:04d}"}]},
        "property": {"street": f"{rng.randint(1, 9999)} Oak St", "city": "Tampa", "state": "FL", "code": zip_code,
                     "mlsNumber": f"T{rng.randint(100000, 999999)}", "price": rng.randrange(150_000, 1_500_000, 5000),
                     "bedrooms": rng.randint(1, 6), "bathrooms": rng.choice([1, 1.5, 2, 2.5, 3]), "area": 1800},
    }
    if inquiry in ("Property Search", "Saved Property Search"):
        body["propertySearch"] = {"city": "Tampa", "code": [zip_code], "minPrice": 300000, "maxPrice": 500000}
    return body


class Load:
    """Client threads sending a bounded number of events, each over its own keep-alive connection."""

    def __init__(self, port: int, key: str, seconds: float, seed: int):
        self.port, self.seconds = port, seconds
        self.deadline = 0.0
        self.auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
        self.rng = random.Random(seed)
        self.people_base = int(time.time())  # new names on every run
        self.people = 0
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: Counter = Counter()

    def _next_body(self) -> bytes | None:
        with self.lock:
            if time.perf_counter() >= self.deadline:
                return None
            if self.people == 0 or self.rng.random() < 1 / 3:
                self.people += 1
                person = self.people
            else:
                person = self.rng.randint(1, self.people)
            return json.dumps(make_event(self.rng, self.people_base * 100_000 + person)).encode()

    def client(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": "application/json", "Authorization": self.auth}
        while (body := self._next_body()) is not None:
            start = time.perf_counter()
            connection.request("POST", "/api/v1/events", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            elapsed = (time.perf_counter() - start) * 1000
            with self.lock:
                self.latencies.append(elapsed)
                self.statuses[response.status] += 1
        connection.close()

    def run(self, concurrency: int) -> float:
        threads = [threading.Thread(target=self.client) for _ in range(concurrency)]
        start = time.perf_counter()
        self.deadline = start + self.seconds
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - start


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="How long the clients send.")
    parser.add_argument("--concurrency", type=int, default=16, help="Client connections sending at once.")
    parser.add_argument("--warmup", type=float, default=3, help="Seconds of events sent first and not measured.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="Also write the figures to this file.")
    args = parser.parse_args()

    app = create_app()
    with app.app_context():
        if not db.session.scalar(select(func.count()).select_from(User).where(User.role == "agent")):
            raise SystemExit("No agents: load data first with `flask --app crm demo`.")
        api_key, key = api_keys.create_key("benchmark", rate_limit_per_minute=10_000_000)
        db.session.commit()
        key_id, dialect = api_key.id, db.engine.dialect.name
        contacts_before = db.session.scalar(select(func.count()).select_from(Contact))
        db.engine.dispose()

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    try:
        with production_server(port):
            Load(port, key, args.warmup, args.seed + 1).run(min(args.concurrency, 4))
            load = Load(port, key, args.seconds, args.seed)
            elapsed = load.run(args.concurrency)
    finally:
        with app.app_context():
            api_keys.revoke(db.session.get(ApiKey, key_id))
            db.session.commit()

    latencies = load.latencies
    errors = sum(count for status, count in load.statuses.items() if status not in (200, 201))
    figures = {"database": dialect, "contacts_before": contacts_before, "concurrency": args.concurrency,
               "seconds": elapsed, "events": len(latencies), "events_per_s": len(latencies) / elapsed,
               "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
               "p99_ms": percentile(latencies, 99), "max_ms": max(latencies), "errors": errors}
    target = 500 if dialect == "postgresql" else 300
    print(f"events API on {dialect} through gunicorn ({contacts_before:,} contacts before the run), "
          f"{args.concurrency} clients for {elapsed:.0f} s")
    print(f"  throughput: {figures['events_per_s']:.0f} events/s (target >= {target})")
    print(f"  latency ms: p50 {figures['p50_ms']:.1f}, p95 {figures['p95_ms']:.1f}, p99 {figures['p99_ms']:.1f} "
          f"(target < 100), max {figures['max_ms']:.1f}, mean {statistics.mean(latencies):.1f}")
    print(f"  statuses: {dict(sorted(load.statuses.items()))} (target: no errors)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures))


if __name__ == "__main__":
    main()
