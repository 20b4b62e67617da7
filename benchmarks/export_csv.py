"""Benchmark of the CSV download (docs/product.md#scale: 1,000,000 leads at 50,000 rows/s or more, the server under
200 MB): the real route, streamed through the WSGI app in this process, the file discarded as it comes.

    CRM_DATABASE_URL=... python benchmarks/export_csv.py [--email broker@demo.test] [--rows lead]

Load data first: `flask --app crm demo --contacts 200000 --leads 1000000`. Reports rows/s (by the
clock, and per CPU second of this process: on SQLite the query runs in it too, so that figure is what
a machine with a free core gives), the time to the first byte, the file's size and the peak RSS.
"""
import argparse
import re
import resource
import time

from crm import create_app

COLUMNS = ["name", "email", "phone", "contact_status", "contact_type", "priority", "owner", "action_plan",
           "inquiry_type", "lead_date", "lead_source", "mls_number", "price"]


def sign_in(client, email: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": email, "password": "demo1234", "csrf_token": token})


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(client, rows: str, columns: list[str], extra: str = "") -> dict:
    if rows == "contact":
        columns = [column for column in columns if column not in
                   ("inquiry_type", "lead_date", "lead_source", "mls_number", "price")]
    query = "&".join([f"column={column}" for column in columns] + [f"rows={rows}", "order_by=lead_date"])
    start, cpu_start = time.perf_counter(), time.process_time()
    response = client.get(f"/contacts/export.csv?{query}{extra}", buffered=False)
    assert response.status_code == 200, response.status_code
    first_byte, size, lines = None, 0, 0
    for chunk in response.response:
        if first_byte is None:
            first_byte = time.perf_counter() - start
        size += len(chunk)
        lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
    response.close()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    data_rows = lines - 1
    return {"rows": data_rows, "seconds": elapsed, "rows_per_s": data_rows / elapsed, "cpu_rows_per_s": data_rows / cpu,
            "first_byte_ms": (first_byte or 0) * 1000, "mb": size / 1e6, "peak_rss_mb": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--email", default="broker@demo.test", help="who downloads (visibility and masking)")
    parser.add_argument("--rows", choices=("lead", "contact", "both"), default="both")
    args = parser.parse_args()
    app = create_app()
    client = app.test_client()
    sign_in(client, args.email)
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}  viewer: {args.email}  "
          f"peak RSS before: {peak_rss_mb():.0f} MB")
    for rows in (("lead", "contact") if args.rows == "both" else (args.rows,)):
        result = run(client, rows, COLUMNS)
        print(f"one row per {rows:<7} {result['rows']:>9,} rows in {result['seconds']:6.2f} s = "
              f"{result['rows_per_s']:>9,.0f} rows/s ({result['cpu_rows_per_s']:,.0f} per CPU second of this "
              f"process), first byte {result['first_byte_ms']:.0f} ms, "
              f"{result['mb']:.0f} MB of CSV, peak RSS {result['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
