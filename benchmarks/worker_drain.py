"""Benchmark of the worker's mail delivery: 10,000 queued emails sent into a local SMTP server
(aiosmtpd) by the worker's job, as `flask --app crm worker` runs it; messages per second.

    CRM_DATABASE_URL=... python benchmarks/worker_drain.py [--messages 10000] [--json out.json]

The benchmark's messages (kind `benchmark`) are deleted at the end.
"""
import argparse
import json
import socket
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import delete, func, insert, select

from crm import create_app
from crm.extensions import db
from crm.models import OutboxMessage
from crm.services import delivery

KIND = "benchmark"


class Counter:
    def __init__(self):
        self.received = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--json", help="Also write the figures to this file.")
    args = parser.parse_args()
    port, counter = free_port(), Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    app = create_app({"SMTP_URL": f"smtp://127.0.0.1:{port}"})
    try:
        with app.app_context():
            db.session.execute(insert(OutboxMessage), [
                dict(channel="email", kind=KIND, recipient=f"agent{n % 50}@demo.test", subject=f"Lead alert #{n}",
                     body_text="Ana Ruiz used Schedule Showing on a property.\n\nOpen the contact: http://127.0.0.1/",
                     body_html="<p>Ana Ruiz used Schedule Showing on a property.</p>") for n in range(args.messages)])
            db.session.commit()
            start, handled = time.perf_counter(), 0
            while db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == KIND,
                                                                             OutboxMessage.status == "queued")):
                handled += delivery.deliver_outbox()
            elapsed = time.perf_counter() - start
            sent = db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == KIND,
                                                                              OutboxMessage.status == "sent"))
            db.session.execute(delete(OutboxMessage).where(OutboxMessage.kind == KIND))
            db.session.commit()
    finally:
        controller.stop()
    figures = {"messages": args.messages, "sent": sent, "handled": handled, "received": counter.received,
               "seconds": elapsed, "messages_per_s": handled / elapsed}
    print(f"worker drained {sent:,} of {args.messages:,} queued emails into aiosmtpd, {handled:,} messages in all "
          f"(lead alerts queued before, rendered as they go, among them) in {elapsed:.1f} s = "
          f"{figures['messages_per_s']:.0f} messages/s ({counter.received:,} received)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures))


if __name__ == "__main__":
    main()
