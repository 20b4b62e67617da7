"""Benchmark of the events API (docs/product.md#scale: at least 300 events/s on SQLite, 500 on PostgreSQL,
p99 under 100 ms, zero errors): real HTTP against the production server of `make run` (gunicorn
with gunicorn.conf.py: a worker per core, threads), 16 connections for 60 s by default. The load
comes from wrk (a C load generator, two threads) running events_wrk.lua on the same machine.

    CRM_DATABASE_URL=... python benchmarks/events_api.py [--seconds 60] [--concurrency 16] [--json out.json]

The database must be upgraded and hold agents (load data with `flask --app crm demo`, e.g.
`--contacts 200000 --leads 1000000` for the scale of docs/product.md#scale). It creates one API key (revoked at
the end) and the contacts and leads its events make: about a third are new people, the rest return
to someone seen before (matched by email or phone).
"""
import argparse
import base64
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import time
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
        deadline = time.monotonic() + 120
        while not _answers(port):  # every worker has loaded the app once the first one answers a few
            if time.monotonic() > deadline:
                raise SystemExit("The server did not start: " + server.stderr.read().decode())
            time.sleep(0.2)
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/api/v1/openapi.json")
        return connection.getresponse().status == 200
    except OSError:
        return False


def make_event(rng: random.Random, person_number: int) -> dict:
    """An event like the ones events_wrk.lua sends (for in-process benchmarks)."""
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


def run_wrk(port: int, key: str, seconds: float, connections: int) -> dict:
    """wrk (C, two threads, so the load generator takes little of the machine's CPU) with
    events_wrk.lua; its figures and a count of every status."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is needed (Debian/Ubuntu: apt-get install wrk).")
    authorization = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    people_base = int(time.time()) % 100_000 * 100_000_000  # new people on every run
    command = [wrk, "-t", "2", "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "30s",
               "-s", str(Path(__file__).with_name("events_wrk.lua")), f"http://127.0.0.1:{port}",
               "--", authorization, str(people_base), *EVENT_TYPES]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return json.loads(result.removeprefix("RESULT "))


def _cpu_seconds(pid: int) -> float:
    """User and system CPU of a process and its children (gunicorn's workers), from /proc."""
    total = 0.0
    for process in [pid, *_children(pid)]:
        fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        total += sum(int(value) for value in fields[11:13])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="How long the clients send.")
    parser.add_argument("--concurrency", type=int, default=16, help="Client connections sending at once.")
    parser.add_argument("--warmup", type=float, default=3, help="Seconds of events sent first and not measured.")
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
        with production_server(port) as server:
            run_wrk(port, key, args.warmup, min(args.concurrency, 4))
            server_cpu = _cpu_seconds(server.pid)
            run = run_wrk(port, key, args.seconds, args.concurrency)
            server_cpu = _cpu_seconds(server.pid) - server_cpu
    finally:
        with app.app_context():
            api_keys.revoke(db.session.get(ApiKey, key_id))
            db.session.commit()

    statuses = {int(status): count for status, count in run["statuses"].items()}
    events = sum(statuses.values())
    errors = run["socket_errors"] + sum(count for status, count in statuses.items() if status not in (200, 201))
    figures = {"database": dialect, "contacts_before": contacts_before, "concurrency": args.concurrency,
               "client": "wrk", "seconds": run["seconds"], "events": events,
               "events_per_s": events / run["seconds"], "p50_ms": run["p50_ms"], "p95_ms": run["p95_ms"],
               "p99_ms": run["p99_ms"], "max_ms": run["max_ms"], "errors": errors,
               "server_cpu_ms_per_event": 1000 * server_cpu / max(events, 1), "load_average": os.getloadavg()}
    target = 500 if dialect == "postgresql" else 300
    print(f"events API on {dialect} through gunicorn ({contacts_before:,} contacts before the run), "
          f"{args.concurrency} wrk connections for {run['seconds']:.0f} s (wrk on the same machine)")
    print(f"  throughput: {figures['events_per_s']:.0f} events/s (target >= {target})")
    print(f"  latency ms: p50 {figures['p50_ms']:.1f}, p95 {figures['p95_ms']:.1f}, p99 {figures['p99_ms']:.1f} "
          f"(target < 100), max {figures['max_ms']:.1f}, mean {run['mean_ms']:.1f}")
    print(f"  statuses: {dict(sorted(statuses.items()))}, socket errors {run['socket_errors']} (target: no errors)")
    print(f"  server CPU {figures['server_cpu_ms_per_event']:.2f} ms per event (gunicorn and its workers), "
          f"load average {figures['load_average'][0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures))


if __name__ == "__main__":
    main()
