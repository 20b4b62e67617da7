"""Benchmark of the Leads screen (docs/product.md#scale): for the broker, a manager and an agent, over many query
shapes, the p95 server time of the htmx request beside the p95 of its bare SQL: the very statements
the search ran, replayed through the database driver's cursor (no ORM, no template).

    CRM_DATABASE_URL=... python benchmarks/leads_screen.py [--repeat 20]

Load data first: `flask --app crm demo --contacts 200000 --leads 1000000`.
Targets: p95 under 50 ms, and at most 2x the bare SQL.
"""
import argparse
import os
import re
import statistics
import time

from sqlalchemy import event, func, inspect, select
from werkzeug.datastructures import MultiDict

from crm import clock, create_app
from crm.extensions import db
from crm.models import Contact, Lead, User
from crm.services import lead_search

QUERIES = [
    "",
    "contact_status=Assigned&contact_status=Pending",
    "contact_type=Buyer&contact_type=Seller",
    "contact_source=Realtor.com",
    "business_source=Website&business_source=Referral",
    "priority=Hot&priority=Warm",
    "time_frame=0-3 Months",
    "lead_status=Inactive",
    "lead_type=Appointment",
    "action_plan=Late Task",
    "interest_level=4",
    "inquiry_type=Showing Request&activity=Last 30 days",
    "keyword=smith",
    "keyword=33602",
    "keyword=T12345",
    "keyword=555-2",
    *(f"sort={sort}&dir={direction}" for sort in lead_search.SORTS for direction in ("asc", "desc")),
    "page=40",
    "page=400",
    "sort=name&dir=asc&page=40",
    "group=contact",
    "group=contact&inquiry_type=Showing Request",
    "office=1",
]
# agent2@demo.test is the demo's agent with contacts shared with them (their query takes another path).
ROLES = {"broker": "broker@demo.test", "manager": "manager@demo.test", "agent": "agent@demo.test",
         "shared": "agent2@demo.test"}


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def sign_in(client, email: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": email, "password": "demo1234", "csrf_token": token})


def answered(response):
    """A timed page must be the page, not an error."""
    if response.status_code != 200:
        raise SystemExit(f"{response.request.url} answered {response.status_code}")
    return response


def load_average() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


CPU_MS: list[float] = []  # this process's CPU time of each timed call (the app and, for SQLite, the database)


def time_call(call, repeat: int) -> list[float]:
    samples = []
    CPU_MS.clear()
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        call()
        samples.append((time.perf_counter() - start) * 1000)
        CPU_MS.append((time.process_time() - cpu) * 1000)
    return samples


def captured_statements(app, email: str, query: str) -> list[tuple[str, object]]:
    """The SQL text and parameters that one search sends to the database."""
    statements = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        statements.append((statement, parameters))

    with app.app_context():
        viewer = db.session.scalar(select(User).where(User.email == email))
        filters = lead_search.read_filters(viewer, MultiDict([pair.split("=", 1) for pair in query.split("&") if pair]))
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            lead_search.search(viewer, filters, app.config["PAGE_SIZE"])
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
    return statements


def bare_sql(app, statements: list[tuple[str, object]], repeat: int) -> list[float]:
    """The same statements through the driver's cursor, every row fetched."""
    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            def run():
                cursor = connection.cursor()
                for statement, parameters in statements:
                    cursor.execute(statement, parameters)
                    cursor.fetchall()
                cursor.close()
            run()  # warm up
            return time_call(run, repeat)
        finally:
            connection.close()


def indexes_used(app, statements: list[tuple[str, object]]) -> set[str]:
    """The indexes the database's plans of `statements` name (EXPLAIN QUERY PLAN / EXPLAIN)."""
    used = set()
    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            explain = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
            for statement, parameters in statements:
                cursor.execute(explain + statement, parameters)
                used |= set(re.findall(r"\b(ix_\w+|pk_\w+)", " ".join(str(row) for row in cursor.fetchall())))
        finally:
            connection.close()
    return used


def lead_indexes(app) -> set[str]:
    with app.app_context():
        return {index["name"] for index in inspect(db.engine).get_indexes("leads")}


def print_plans(app, roles: list[str], match: str) -> None:
    """Which indexes each shape's statements use, and the `leads` indexes no shape uses."""
    used_anywhere: set[str] = set()
    for role in roles:
        for query in (query for query in QUERIES if match in query):
            used = indexes_used(app, captured_statements(app, ROLES[role], query))
            used_anywhere |= used
            print(f"{role:8} {query or '(no filter)':52} {' '.join(sorted(used))}")
    unused = sorted(lead_indexes(app) - used_anywhere)
    print(f"leads indexes no shape uses ({len(unused)}): {' '.join(unused)}")


def contact_details(app, repeat: int) -> None:
    with app.app_context():
        busiest = db.session.execute(select(Lead.contact_id, func.count()).group_by(Lead.contact_id)
                                     .order_by(func.count().desc()).limit(1)).first()
    client = app.test_client()
    sign_in(client, ROLES["broker"])
    details = time_call(lambda: client.get(f"/contacts/{busiest[0]}"), repeat)
    print(f"Contact Details with {busiest[1]} leads: p50 {statistics.median(details):.1f} ms, "
          f"p95 {percentile(details, 95):.1f} ms (target < 50)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--roles", default=",".join(ROLES), help="e.g. agent,manager")
    parser.add_argument("--match", default="", help="only the query shapes containing this text")
    parser.add_argument("--plans", action="store_true", help="print the indexes each shape uses instead of timing")
    args = parser.parse_args()
    if args.plans:
        print_plans(create_app(), [role for role in args.roles.split(",") if role in ROLES], args.match)
        return
    started_cpu, started_wall = time.process_time(), time.perf_counter()
    print(f"load average at start: {load_average()}")
    app = create_app()
    with app.app_context():
        counts = (db.session.scalar(select(func.count(Contact.id))), db.session.scalar(select(func.count(Lead.id))))
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}, "
          f"{counts[0]:,} contacts, {counts[1]:,} leads, now {clock.now():%Y-%m-%d}")
    print(f"{'role':8} {'query':52} {'p50 ms':>7} {'p95 ms':>7} {'cpu p50':>7} {'sql p95':>8} {'ratio':>6}  "
          "target: p95 < 50, ratio <= 2")
    worst, worst_ratio, misses = 0.0, 0.0, 0
    roles = [role for role in args.roles.split(",") if role in ROLES]
    for role in roles:
        email = ROLES[role]
        client = app.test_client()
        sign_in(client, email)
        for query in (query for query in QUERIES if args.match in query):
            url = f"/contacts?{query}"
            client.get(url, headers={"HX-Request": "true"})  # warm up
            page = time_call(lambda client=client, url=url: answered(client.get(url, headers={"HX-Request": "true"})),
                             args.repeat)
            page_cpu = statistics.median(CPU_MS)
            sql = bare_sql(app, captured_statements(app, email, query), args.repeat)
            p95, sql95 = percentile(page, 95), percentile(sql, 95)
            ratio = p95 / sql95 if sql95 else float("inf")
            worst, worst_ratio = max(worst, p95), max(worst_ratio, ratio)
            miss = p95 >= 50 or ratio > 2
            misses += miss
            print(f"{role:8} {query or '(no filter)':52} {statistics.median(page):7.1f} {p95:7.1f} "
                  f"{page_cpu:7.1f} {sql95:8.1f} {ratio:6.2f}{'  MISS' if miss else ''}")
    contact_details(app, args.repeat)
    print(f"benchmark process: {time.process_time() - started_cpu:.1f} s CPU in "
          f"{time.perf_counter() - started_wall:.1f} s wall; load average at end: {load_average()}")
    print(f"worst Leads p95: {worst:.1f} ms (target < 50); worst ratio to bare SQL: {worst_ratio:.2f} (target <= 2); "
          f"{misses} shapes miss a target")


if __name__ == "__main__":
    main()
