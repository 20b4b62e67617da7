"""Benchmark of the dashboard (docs/product.md#dashboard; target: p95 under 200 ms at 1,000,000 leads): the real
route, for the broker (all offices and one), a manager and an agent, over the last 30 and 90 days and a year.

    CRM_DATABASE_URL=... python benchmarks/dashboard.py [--repeat 20] [--days 30 90 365] [--parts]

`--parts` also prints each chart's share (wall / CPU ms, p50) of the page.

Load data first: `flask --app crm demo --contacts 200000 --leads 1000000`.
"""
import argparse
import os
import re
import statistics
import time
from datetime import timedelta

from sqlalchemy import func, select

from crm import clock, create_app
from crm.extensions import db
from crm.models import Lead, Office
from crm.services import dashboard

PARTS = ("speed_to_lead", "leads_by_source", "leads_by_inquiry_type", "referrals_by_tab", "compliance")

TARGET_MS = 200


def sign_in(client, email: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": email, "password": "demo1234", "csrf_token": token})


def p95(samples: list[float]) -> float:
    return sorted(samples)[max(0, round(0.95 * len(samples)) - 1)]


def timed_parts() -> dict[str, list[tuple[float, float]]]:
    """Wrap the dashboard service's chart functions to record (wall, CPU) ms per call."""
    spent: dict[str, list[tuple[float, float]]] = {name: [] for name in PARTS}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            started, started_cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name].append(((time.perf_counter() - started) * 1000, (time.process_time() - started_cpu) * 1000))
        return wrapper

    for name in PARTS:
        setattr(dashboard, name, timed(name, getattr(dashboard, name)))
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--days", type=int, nargs="+", default=[30, 90, 365])
    parser.add_argument("--parts", action="store_true", help="time each chart's numbers too")
    args = parser.parse_args()
    parts = timed_parts() if args.parts else {}
    app = create_app()
    with app.app_context():
        leads = db.session.scalar(select(func.count(Lead.id)))
        office_id = db.session.scalar(select(Office.id).order_by(Office.id).limit(1))
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}, {leads:,} leads")
    print(f"load average before: {' '.join(f'{n:.2f}' for n in os.getloadavg())}")
    print(f"{'viewer':10} {'query':28} {'p50 ms':>8} {'p95 ms':>8} {'CPU p50':>8} {'CPU p95':>8}  "
          f"target < {TARGET_MS} ms")
    worst = 0.0
    today = clock.now().date()
    for role in ("broker", "manager", "agent"):
        client = app.test_client()
        sign_in(client, f"{role}@demo.test")
        for query in [""] + ([f"office={office_id}"] if role == "broker" else []):
            for days in args.days:
                url = f"/dashboard?{query}&start={today - timedelta(days=days - 1)}&end={today}"
                client.get(url)  # warm up
                for calls in parts.values():
                    calls.clear()
                samples, cpu = [], []
                for _ in range(args.repeat):
                    started, started_cpu = time.perf_counter(), time.process_time()
                    assert client.get(url).status_code == 200
                    samples.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - started_cpu) * 1000)
                worst = max(worst, p95(samples))
                print(f"{role:10} {(query or 'all') + f', {days} days':28} {statistics.median(samples):8.1f} "
                      f"{p95(samples):8.1f} {statistics.median(cpu):8.1f} {p95(cpu):8.1f}")
                if parts:
                    print("    wall/CPU ms: " + ", ".join(
                        f"{name} {statistics.median(w for w, _c in calls):.0f}/"
                        f"{statistics.median(c for _w, c in calls):.0f}" for name, calls in parts.items()))
    print(f"worst p95: {worst:.1f} ms ({'OK' if worst < TARGET_MS else 'MISSED'}); "
          f"load average after: {' '.join(f'{n:.2f}' for n in os.getloadavg())}")


if __name__ == "__main__":
    main()
