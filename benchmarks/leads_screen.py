"""Benchmark of the Leads screen and Contact Details (SPEC §7): p95 server time per query shape,
next to the time of the bare SQL of the same search.

    CRM_DATABASE_URL=... python benchmarks/leads_screen.py [--repeat 20]

Load data first: `flask --app crm demo --contacts 200000 --leads 1000000`.
"""
import argparse
import re
import statistics
import time

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from crm import clock, create_app
from crm.extensions import db
from crm.models import Contact, Lead, User
from crm.services import lead_search

QUERIES = [
    "",
    "priority=Hot&contact_type=Buyer",
    "contact_status=Assigned&contact_status=Pending&lead_status=Active",
    "inquiry_type=Showing Request",
    "inquiry_type=Saved Property&activity=Last 30 days",
    "activity=This week&sort=name&dir=asc",
    "interest_level=4&time_frame=0-3 Months&sort=interest_level",
    "keyword=smith",
    "keyword=t12345",
    "keyword=555-2",
    "action_plan=Late Task",
    "sort=owner&dir=asc&page=40",
    "sort=last_inquiry&dir=asc&page=200",
]


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def sign_in(client, email: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": email, "password": "demo1234", "csrf_token": token})


def time_call(call, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def bare_sql(app, viewer_id: int, query: str, repeat: int) -> list[float]:
    """The list query and the count, as the service builds them, without Flask or templates."""
    with app.app_context():
        viewer = db.session.get(User, viewer_id)
        filters = lead_search.LeadFilters.from_args(MultiDict(
            [pair.split("=", 1) for pair in query.split("&") if pair]), ["Broker", "Agent", "Realtor.com"], [])

        def run():
            lead_search.search(viewer, filters, 25)
            db.session.expire_all()
        return time_call(run, repeat)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        counts = (db.session.scalar(select(func.count(Contact.id))), db.session.scalar(select(func.count(Lead.id))))
        users = {u.role if u.email != "agent@demo.test" else "agent": u.id for u in db.session.scalars(
            select(User).where(User.email.in_(["broker@demo.test", "manager@demo.test", "agent@demo.test"])))}
        busiest = db.session.execute(select(Lead.contact_id, func.count()).group_by(Lead.contact_id)
                                     .order_by(func.count().desc()).limit(1)).first()
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}, "
          f"{counts[0]:,} contacts, {counts[1]:,} leads, now {clock.now():%Y-%m-%d}")
    print(f"{'role':8} {'query':60} {'p50 ms':>8} {'p95 ms':>8} {'sql p95':>8} {'ratio':>6}")
    worst = 0.0
    for role in ("broker", "manager", "agent"):
        client = app.test_client()
        sign_in(client, f"{role}@demo.test")
        for query in QUERIES:
            client.get(f"/contacts?{query}")  # warm up
            page = time_call(lambda: client.get(f"/contacts?{query}", headers={"HX-Request": "true"}), args.repeat)
            sql = bare_sql(app, users[role], query, args.repeat)
            p95, sql95 = percentile(page, 95), percentile(sql, 95)
            worst = max(worst, p95)
            print(f"{role:8} {query or '(no filter)':60} {statistics.median(page):8.1f} {p95:8.1f} "
                  f"{sql95:8.1f} {p95 / sql95:6.2f}")
    client = app.test_client()
    sign_in(client, "broker@demo.test")
    details = time_call(lambda: client.get(f"/contacts/{busiest[0]}"), args.repeat)
    print(f"Contact Details with {busiest[1]} leads: p50 {statistics.median(details):.1f} ms, "
          f"p95 {percentile(details, 95):.1f} ms")
    print(f"worst Leads p95: {worst:.1f} ms")


if __name__ == "__main__":
    main()
