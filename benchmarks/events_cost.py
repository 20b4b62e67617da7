"""The cost of one event in the server, without HTTP or other load: SQL statements and CPU ms per
event, posted one after another through the WSGI app in this process (docs/performance.md: the cost must not
grow with the data; compare a small and a large database).

    CRM_DATABASE_URL=... python benchmarks/events_cost.py [--events 400] [--json out.json]
"""
import argparse
import base64
import json
import random
import time
from pathlib import Path

from events_api import make_event
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import func, select

from crm import create_app
from crm.extensions import db
from crm.models import ApiKey, Contact
from crm.services import api_keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--json", help="Also write the figures to this file.")
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        api_key, key = api_keys.create_key("cost benchmark", rate_limit_per_minute=10**9)
        db.session.commit()
        key_id = api_key.id
        contacts = db.session.scalar(select(func.count(Contact.id)))
        engine = db.engine
    statements = []
    sqlalchemy_event.listen(engine, "before_cursor_execute", lambda *_args: statements.append(1))
    client, rng = app.test_client(), random.Random(7)
    auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    people = int(time.time()) * 100_000

    def post(count: int) -> None:
        for number in range(count):
            person = people + (number if number == 0 or rng.random() < 1 / 3 else rng.randint(0, number))
            response = client.post("/api/v1/events", json=make_event(rng, person), headers=auth)
            assert response.status_code in (200, 201), response.status_code

    post(50)  # warm up: statements compiled, caches filled
    statements.clear()
    wall, cpu = time.perf_counter(), time.process_time()
    post(args.events)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    with app.app_context():
        api_keys.revoke(db.session.get(ApiKey, key_id))
        db.session.commit()
    figures = {"contacts": contacts, "events": args.events, "statements_per_event": len(statements) / args.events,
               "cpu_ms_per_event": 1000 * cpu / args.events, "wall_ms_per_event": 1000 * wall / args.events}
    print(f"one event at {contacts:,} contacts: {figures['statements_per_event']:.1f} SQL statements (target <= 10), "
          f"{figures['cpu_ms_per_event']:.2f} ms CPU, {figures['wall_ms_per_event']:.2f} ms wall, one at a time")
    if args.json:
        Path(args.json).write_text(json.dumps(figures))


if __name__ == "__main__":
    main()
