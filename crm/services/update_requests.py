"""Update requests (SPEC §4.6): while a referral's Lead Status is `Active`, its owner is emailed for
an update when the referral status has not changed for the configured days (`update_request_days`),
and again every as many days while it stays unchanged. `Inactive` referrals are never asked about.

Several workers may run this at once: each batch is claimed by one UPDATE ... RETURNING whose WHERE
repeats the due condition, so a referral is asked about once per period whoever runs it.
"""
from collections import defaultdict
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from crm import clock
from crm.extensions import db
from crm.models import Contact, User
from crm.services import outbox, settings

BATCH = 500


def _due_condition(cutoff):
    return and_(Contact.lead_status == "Active", Contact.referral_status_changed_at <= cutoff,
                or_(Contact.update_requested_at.is_(None), Contact.update_requested_at <= cutoff),
                Contact.owner_id.is_not(None), Contact.deleted_at.is_(None), Contact.archived_at.is_(None))


def send_update_requests() -> int:
    """Worker job: one email per owner listing their due referrals. Returns referrals asked about."""
    asked = 0
    while True:
        claimed = _claim_batch()
        if claimed:
            _email_owners(claimed)
        db.session.commit()
        asked += len(claimed)
        if len(claimed) < BATCH:
            return asked


def _claim_batch() -> list[int]:
    now = clock.now()
    due = _due_condition(now - timedelta(days=settings.get("update_request_days")))
    batch = select(Contact.id).where(due).limit(BATCH).scalar_subquery()
    stamp = (update(Contact).where(Contact.id.in_(batch), due)
             .values(update_requested_at=now, updated_at=Contact.updated_at)
             .returning(Contact.id).execution_options(synchronize_session=False))
    return list(db.session.scalars(stamp))


def _email_owners(contact_ids: list[int]) -> None:
    rows = db.session.execute(
        select(Contact.id, Contact.first_name, Contact.last_name, Contact.referral_status,
               Contact.referral_status_changed_at, User)
        .join(User, User.id == Contact.owner_id)
        .where(Contact.id.in_(contact_ids), User.is_active_user.is_(True))
        .order_by(Contact.referral_status_changed_at, Contact.id))
    by_owner = defaultdict(list)
    for contact_id, first, last, status, since, owner in rows:
        by_owner[owner].append((contact_id, f"{first} {last}".strip(), status, since))
    base_url = current_app.config["BASE_URL"]
    for owner, referrals in by_owner.items():
        lines = [f"Hello {owner.name},", "",
                 "Please update the referral status of these referrals: it has not changed for a while.", ""]
        lines += [f"- {name}: {status} since {since:%b %d, %Y} — {base_url}/referrals/{contact_id}"
                  for contact_id, name, status, since in referrals]
        subject = (f"Update requested: {referrals[0][1]}" if len(referrals) == 1
                   else f"Update requested: {len(referrals)} referrals")
        outbox.enqueue_email(owner.email, subject, "\n".join(lines), kind="update_request", user=owner,
                             contact_id=referrals[0][0] if len(referrals) == 1 else None)
