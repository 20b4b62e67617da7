"""Benchmark of the contact import (docs/product.md#import-contacts; target: 100,000 rows in under 2 minutes on SQLite,
memory flat): a generated Follow Up Boss-style CSV imported by the worker's own job, into a fresh
database in a temporary folder (or CRM_DATABASE_URL's, which must be empty).

    python benchmarks/import_contacts.py [--rows 100000] [--assign routing|agent]

Prints the rows/s, the total time beside its target, and the RSS after each worker pass (flat
memory means the later samples stay near the first).
"""
import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

from werkzeug.datastructures import FileStorage

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))

from import_files import FUB_HEADERS, generated_rows  # noqa: E402

from crm import create_app  # noqa: E402
from crm.extensions import db  # noqa: E402
from crm.models import ContactImport, Office, User  # noqa: E402
from crm.services import imports  # noqa: E402

TARGET_SECONDS = 120


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(FUB_HEADERS)
        for start in range(0, rows, 10_000):
            writer.writerows(generated_rows(min(10_000, rows - start), start))


def set_up_people() -> tuple[User, User]:
    office = Office(name="Bench Office")
    broker = User(email="bench.broker@example.com", name="Bench Broker", role="broker", office=office,
                  password_hash="-")
    agents = [User(email=f"bench.agent{n}@example.com", name=f"Bench Agent {n}", role="agent", office=office,
                   password_hash="-") for n in range(20)]
    db.session.add_all([office, broker, *agents])
    db.session.commit()
    return broker, agents[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--assign", choices=("routing", "agent"), default="routing")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="crm-import-bench-"))
    url = os.environ.get("CRM_DATABASE_URL", f"sqlite:///{folder / 'bench.sqlite3'}")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        broker, agent = set_up_people()
        source = folder / "people.csv"
        write_csv(source, args.rows)
        with source.open("rb") as stream:
            stored = imports.upload(broker, FileStorage(stream, filename="people.csv"), folder / "uploads")
        db.session.commit()
        mapping = {name: int(index) for name, index in __import__("json").loads(stored.mapping).items()}
        imports.start(stored, broker, mapping, agent.id if args.assign == "agent" else None)
        db.session.commit()
        print(f"database: {db.engine.dialect.name}  rows: {args.rows:,}  new people: {args.assign}  "
              f"file: {source.stat().st_size / 1e6:.1f} MB")
        samples, started = [], time.perf_counter()
        while db.session.get(ContactImport, stored.id).status in ("Queued", "Running"):
            imports.run_imports(seconds=imports.PASS_SECONDS)  # one worker pass
            samples.append((db.session.get(ContactImport, stored.id).rows_done, rss_mb()))
        elapsed = time.perf_counter() - started
        stored = db.session.get(ContactImport, stored.id)
        print(f"status {stored.status}: {stored.rows_created:,} created, {stored.rows_matched:,} matched, "
              f"{stored.rows_skipped:,} skipped")
        verdict = "OK" if elapsed < TARGET_SECONDS else "MISSED"
        print(f"time: {elapsed:.1f} s (target < {TARGET_SECONDS} s: {verdict})  "
              f"rate: {args.rows / elapsed:,.0f} rows/s")
        print("RSS by rows done: " + ", ".join(f"{done:,}: {mb:.0f} MB" for done, mb in samples))


if __name__ == "__main__":
    main()
