"""Update requests (docs/product.md#lead-status): while a referral's Lead Status is `Active`, its owner is emailed for
an update when the referral status has not changed for the configured days (`update_request_days`),
and again every as many days while it stays unchanged. `Inactive` referrals are never asked about,
nor referrals outside the Active sub-tabs (won, lost, not workable: nothing left to update).

Several workers may run this at once: each batch is claimed by one UPDATE ... RETURNING whose WHERE
repeats the due condition, so a referral is asked about once per period whoever runs it. The
emails are written after the last batch: one per owner per run, however many batches there were.
"""
from datetime import datetime, timedelta
from itertools import groupby
from typing import cast

from flask import current_app
from sqlalchemy import CursorResult, and_, or_, select, update

from crm import clock
from crm.extensions import db
from crm.models import Contact, User
from crm.models.values import REFERRAL_TABS
from crm.services import local_time, outbox, settings
from crm.wording import plural

BATCH = 500
MAX_LISTED = 200  # an email lists at most this many; the rest are on the Referrals screen
ACTIVE_STATUSES = REFERRAL_TABS["Active Leads"] + REFERRAL_TABS["Active Appointments"]


def _due_condition(cutoff):
    return and_(Contact.lead_status == "Active", Contact.referral_status.in_(ACTIVE_STATUSES),
                Contact.referral_status_changed_at <= cutoff,
                or_(Contact.update_requested_at.is_(None), Contact.update_requested_at <= cutoff),
                Contact.owner_id.is_not(None), Contact.deleted_at.is_(None), Contact.archived_at.is_(None))


def send_update_requests() -> int:
    """Worker job: one email per owner listing their due referrals. Returns referrals asked about."""
    now, asked = clock.now(), 0
    while True:
        claimed = _claim_batch(now)
        asked += claimed
        if claimed < BATCH:
            break
    if asked:
        _email_owners(now)
    db.session.commit()
    return asked


def _claim_batch(now: datetime) -> int:
    due = _due_condition(now - timedelta(days=settings.get("update_request_days")))
    batch = select(Contact.id).where(due).limit(BATCH).scalar_subquery()
    stamp = (update(Contact).where(Contact.id.in_(batch), due)
             .values(update_requested_at=now, updated_at=Contact.updated_at)
             .execution_options(synchronize_session=False))
    return cast(CursorResult, db.session.execute(stamp)).rowcount


def _email_owners(stamped_at: datetime) -> None:
    """The referrals this run stamped, grouped by owner (rows come owner by owner)."""
    rows = db.session.execute(
        select(Contact.id, Contact.first_name, Contact.last_name, Contact.referral_status,
               Contact.referral_status_changed_at, User)
        .join(User, User.id == Contact.owner_id)
        .where(Contact.update_requested_at == stamped_at, User.is_active_user.is_(True))
        .order_by(Contact.owner_id, Contact.referral_status_changed_at, Contact.id))
    for owner, owner_rows in groupby(rows, key=lambda row: row[-1]):
        _email_owner(owner, [(contact_id, f"{first} {last}".strip(), status, since)
                             for contact_id, first, last, status, since, _owner in owner_rows])


def _email_owner(owner: User, referrals: list[tuple]) -> None:
    base_url, zone = current_app.config["BASE_URL"], local_time.zone_of(owner)
    lines = [f"Hello {owner.name},", "",
             "Please update the referral status of these referrals: it has not changed for a while.", ""]
    lines += [f"- {name}: {status} since {local_time.display_day(since, zone)} — {base_url}/referrals/{contact_id}"
              for contact_id, name, status, since in referrals[:MAX_LISTED]]
    if len(referrals) > MAX_LISTED:
        lines += ["", f"...and {plural(len(referrals) - MAX_LISTED, 'more referral')} under Referrals: "
                  f"{base_url}/referrals"]
    subject = (f"Update requested: {referrals[0][1]}" if len(referrals) == 1
               else f"Update requested: {plural(len(referrals), 'referral')}")
    outbox.enqueue_email(owner.email, subject, "\n".join(lines), kind="update_request", user=owner,
                         contact_id=referrals[0][0] if len(referrals) == 1 else None)
