"""Benchmark of the events API (SPEC §7: at least 300 events/s on SQLite, 500 on PostgreSQL,
p99 under 100 ms): real HTTP against the app served on 127.0.0.1 by one or more processes.

    CRM_DATABASE_URL=... python benchmarks/events_api.py [--requests 4000] [--concurrency 8] [--processes 2]

The database must be upgraded and hold agents (load data with `flask --app crm demo`, e.g.
`--contacts 200000 --leads 1000000` for the scale of SPEC §7). The run is bounded by --requests;
it creates one API key (revoked at the end) and the contacts and leads its events make: about
a third are new people, the rest return to someone seen before (matched by email or phone).
The server processes share one listening socket, as a pre-forking server's workers do.
"""
import argparse
import base64
import http.client
import json
import logging
import multiprocessing
import random
import socket
import statistics
import threading
import time
from collections import Counter

from sqlalchemy import func, select

from crm import create_app
from crm.extensions import db
from crm.models import ApiKey, Contact, User
from crm.services import api_keys
from crm.services.events import EVENT_TYPES

ZIPS = ["33602", "33603", "33604", "33606", "33609", "33611", "33612", "33614", "33618", "33629"]


def serve(listening_fd: int, port: int) -> None:
    """One server process: the app on the inherited socket, many threads, no request log."""
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    make_server("127.0.0.1", port, create_app(), threaded=True, fd=listening_fd).serve_forever()


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

    def __init__(self, port: int, key: str, total: int, seed: int):
        self.port, self.total = port, total
        self.auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
        self.rng = random.Random(seed)
        self.people_base = int(time.time())  # new names on every run
        self.sent = 0
        self.people = 0
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: Counter = Counter()

    def _next_body(self) -> bytes | None:
        with self.lock:
            if self.sent >= self.total:
                return None
            self.sent += 1
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
    parser.add_argument("--requests", type=int, default=4000, help="Events to send (the run stops after them).")
    parser.add_argument("--concurrency", type=int, default=8, help="Client connections sending at once.")
    parser.add_argument("--processes", type=int, default=1, help="Server processes sharing the socket.")
    parser.add_argument("--warmup", type=int, default=100, help="Events sent first and not measured.")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    app = create_app()
    with app.app_context():
        if not db.session.scalar(select(func.count()).select_from(User).where(User.role == "agent")):
            raise SystemExit("No agents: load data first with `flask --app crm demo`.")
        api_key, key = api_keys.create_key("benchmark", rate_limit_per_minute=10_000_000)
        db.session.commit()
        key_id, dialect = api_key.id, db.engine.dialect.name
        contacts_before = db.session.scalar(select(func.count()).select_from(Contact))
        db.engine.dispose()  # the forked servers open their own connections

    listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
    port = listener.getsockname()[1]
    context = multiprocessing.get_context("fork")
    servers = [context.Process(target=serve, args=(listener.fileno(), port), daemon=True)
               for _ in range(args.processes)]
    for server in servers:
        server.start()
    try:
        Load(port, key, args.warmup, args.seed + 1).run(min(args.concurrency, 4))
        load = Load(port, key, args.requests, args.seed)
        elapsed = load.run(args.concurrency)
    finally:
        for server in servers:
            server.terminate()
        with app.app_context():
            api_keys.revoke(db.session.get(ApiKey, key_id))
            db.session.commit()

    latencies = load.latencies
    print(f"events API on {dialect} ({contacts_before:,} contacts before the run), {args.processes} server "
          f"process(es), {args.concurrency} connections, {args.requests} events")
    print(f"  throughput: {len(latencies) / elapsed:.0f} events/s ({elapsed:.1f} s)")
    print(f"  latency ms: p50 {percentile(latencies, 50):.1f}, p95 {percentile(latencies, 95):.1f}, "
          f"p99 {percentile(latencies, 99):.1f}, max {max(latencies):.1f}, mean {statistics.mean(latencies):.1f}")
    print(f"  statuses: {dict(sorted(load.statuses.items()))}")


if __name__ == "__main__":
    main()
