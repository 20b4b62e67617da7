"""`make bench`: the figures of docs/product.md#scale at 10k, 100k and 1M leads on SQLite and PostgreSQL, each printed
beside its target, and a plot of latency against size in docs/performance.png.

    python benchmarks/run_all.py [--sizes 10000,100000,1000000] [--databases sqlite,postgresql]
                                 [--seconds 60] [--messages 10000] [--skip-csv-below 1000000]
                                 [--only events_cost,events_api,contact_details,worker_drain,leads_screen,export_csv]

Databases are made once under instance/bench/ (one per size; PostgreSQL in a private cluster
started for the run) and reused by later runs. The demo load itself is timed when it happens
(wall clock and peak RSS). Figures go to instance/bench/results.json.
"""
import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "instance" / "bench"
PYTHON = str(REPO / ".venv" / "bin" / "python")
FLASK = [str(REPO / ".venv" / "bin" / "flask"), "--app", "crm"]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
LEADS_PER_CONTACT = 5


def run(command: list[str], url: str, check: bool = True) -> str:
    result = subprocess.run(command, cwd=REPO / "benchmarks", env={**os.environ, "CRM_DATABASE_URL": url},
                            capture_output=True, text=True)
    if check and result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgresql_cluster():
    """A private PostgreSQL 15 on a free port, its data kept in instance/bench/pg between runs."""
    data = BENCH / "pg"
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(data, "postgres", "postgres")
        subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                                     "-E", "UTF8"]), check=True, capture_output=True)
    with socket.socket() as probe:  # a free port: other clusters (tests, other checkouts) may be running
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(data / "log"), "-w", "-o",
                                 f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c max_connections=100",
                                 "start"]), check=True, capture_output=True)
    try:
        yield port
    finally:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                       capture_output=True)


def database_url(database: str, leads: int, pg_port: int | None) -> str:
    if database == "sqlite":
        return f"sqlite:///{BENCH / f'crm-{leads}.sqlite3'}"
    name = f"crm_{leads}"
    subprocess.run(_as_postgres([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres",
                                 name]), capture_output=True)
    return f"postgresql+psycopg://postgres@127.0.0.1:{pg_port}/{name}"


def prepare(url: str, leads: int) -> dict:
    """Upgrade and load the demo at this size unless it is there; the load's time and peak RSS."""
    run(FLASK + ["db", "upgrade"], url)
    count = run([PYTHON, "-c", "from crm import create_app; from crm.extensions import db; from sqlalchemy import "
                 "text; app = create_app(); app.app_context().push(); "
                 "print(db.session.scalar(text('SELECT count(*) FROM leads')))"], url).strip()
    if int(count or 0) >= leads:
        return {}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run(FLASK + ["demo", "--contacts", str(leads // LEADS_PER_CONTACT), "--leads", str(leads)], url)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"demo_load_s": time.perf_counter() - start, "demo_cpu_s": cpu,
            "demo_peak_rss_mb": max(after.ru_maxrss, before.ru_maxrss) / 1024, "demo_load_average": os.getloadavg()}


MEASUREMENTS = ("events_cost", "events_api", "contact_details", "worker_drain", "leads_screen", "export_csv")


def measure(url: str, seconds: float, messages: int, csv: bool, only: set[str]) -> dict:
    figures = {}
    for script, extra in (("events_cost", []), ("events_api", ["--seconds", str(seconds)]),
                          ("contact_details", []), ("worker_drain", ["--messages", str(messages)])):
        if script not in only:
            continue
        out = BENCH / "figures.json"
        print(run([PYTHON, f"{script}.py", "--json", str(out), *extra], url), end="", flush=True)
        figures[script] = json.loads(out.read_text())
    if "leads_screen" in only:
        leads_screen = run([PYTHON, "leads_screen.py", "--repeat", "10"], url, check=False)
        print(leads_screen, end="", flush=True)
        worst = [line for line in leads_screen.splitlines() if line.startswith("worst Leads p95:")]
        if worst:
            figures["leads_screen_worst_p95_ms"] = float(worst[0].split(":")[1].split()[0])
    if csv and "export_csv" in only:
        print(run([PYTHON, "export_csv.py", "--rows", "lead"], url), end="", flush=True)
    return figures


def plot(results: dict) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 4.5))
    series = [("events_api", "p99_ms", "events API p99"), ("contact_details", "page_p95_ms", "Contact Details p95")]
    for database, by_size in results.items():
        sizes = sorted(int(size) for size in by_size)
        for group, key, label in series:
            points = [(size, by_size[str(size)][group][key]) for size in sizes if group in by_size[str(size)]]
            if points:
                axis.plot(*zip(*points, strict=True), marker="o", label=f"{label} ({database})")
    axis.axhline(100, color="grey", linestyle=":", label="events p99 target")
    axis.axhline(50, color="grey", linestyle="--", label="Contact Details p95 target")
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("leads in the database")
    axis.set_ylabel("ms")
    axis.set_title("Latency against database size")
    axis.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(REPO / "docs" / "performance.png", dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=60, help="Length of each events API run.")
    parser.add_argument("--messages", type=int, default=10_000, help="Queued emails the worker drains.")
    parser.add_argument("--skip-csv-below", type=int, default=1_000_000, help="CSV download only at this size up.")
    parser.add_argument("--only", default=",".join(MEASUREMENTS), help="The measurements to take (default: all).")
    args = parser.parse_args()
    BENCH.mkdir(parents=True, exist_ok=True)
    results_file = BENCH / "results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    databases = args.databases.split(",")
    with postgresql_cluster() if "postgresql" in databases else _nothing() as pg_port:
        for database in databases:
            for leads in (int(size) for size in args.sizes.split(",")):
                print(f"\n=== {database}, {leads:,} leads ===", flush=True)
                url = database_url(database, leads, pg_port)
                figures = prepare(url, leads)
                if figures:
                    print(f"demo load: {figures['demo_load_s']:.0f} s (target < 120 s at 1M leads; "
                          f"{figures['demo_cpu_s']:.0f} s of CPU in the loading process, load average "
                          f"{figures['demo_load_average'][0]:.1f}), peak RSS {figures['demo_peak_rss_mb']:.0f} MB "
                          "(target < 400 MB)", flush=True)
                figures.update(measure(url, args.seconds, args.messages, leads >= args.skip_csv_below,
                                        set(args.only.split(","))))
                results.setdefault(database, {}).setdefault(str(leads), {}).update(figures)
                results_file.write_text(json.dumps(results, indent=2))
    plot(results)
    print(f"\nfigures: {results_file}, plot: docs/performance.png")


@contextmanager
def _nothing():
    yield None


if __name__ == "__main__":
    sys.exit(main())
