"""The background worker (`flask --app crm worker [--once]`): each pass runs every periodic job once.

Jobs are plain service functions that commit their own work and are safe to run in several
worker processes at once (they claim rows in the database, never in memory).
"""
import logging
import time

import click

from crm.extensions import db
from crm.services import alerts, api_keys, dashboard_rollup, delivery, imports, offers, trash, update_requests

log = logging.getLogger(__name__)


def periodic_jobs() -> list:
    """The jobs of one pass, in order. Each area appends its job here."""
    return [
        trash.purge_expired,
        alerts.send_digests,
        api_keys.purge_old_records,
        offers.expire_offers,  # offers move on without anyone visiting a page
        update_requests.send_update_requests,
        imports.run_imports,
        dashboard_rollup.fold_changes,  # after the imports, so their counts are folded in this pass
        delivery.deliver_outbox,  # sends what the jobs before it queued in this same pass
    ]


def run_once() -> dict[str, int]:
    done = {}
    for job in periodic_jobs():
        try:
            done[job.__name__] = job() or 0
        except Exception:  # one failing job must not stop the others or the loop
            db.session.rollback()
            log.exception("worker job %s failed", job.__name__)
    return done


@click.command("worker")
@click.option("--once", is_flag=True, help="Run every job once and exit.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between passes.")
def worker_command(once: bool, interval: float) -> None:
    """Send queued messages and run the periodic jobs."""
    while True:
        done = run_once()
        if once:
            click.echo(", ".join(f"{name}: {count}" for name, count in done.items()) or "nothing to do")
            return
        time.sleep(interval)
