"""`flask --app crm demo`: bulk rows streamed in batches (COPY on PostgreSQL), their list columns
true, ids that later inserts continue from, and the named demo content of docs/product.md#commands at the end."""
from sqlalchemy import func, or_, select

from crm import demo
from crm.extensions import db
from crm.models import (
    AppointmentOffer,
    Contact,
    ContactEmail,
    ContactImport,
    ContactPhone,
    ContactShare,
    DashboardCount,
    DashboardCountChange,
    Lead,
    SmartList,
    User,
    WebhookDelivery,
)
from crm.services import contacts as contact_service
from crm.services import dashboard, dashboard_rollup, lead_rows


def _leads_counted_per_dimension() -> dict[str, int]:
    counted: dict[str, int] = {}
    for table in (DashboardCount, DashboardCountChange):
        per_dimension = select(table.dimension, func.sum(table.leads)).group_by(table.dimension)
        for dimension, leads in db.session.execute(per_dimension):
            counted[dimension] = counted.get(dimension, 0) + leads
    return counted


def test_the_demo_loads_in_batches_with_true_list_columns(app, monkeypatch):
    monkeypatch.setattr(demo, "CHUNK", 70)  # several batches
    result = app.test_cli_runner().invoke(args=["demo", "--contacts", "300", "--leads", "1000", "--seed", "3"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()

    generated = select(Contact.id).where(Contact.search_text.not_like("%bayshore%"))
    assert db.session.scalar(select(func.count()).select_from(generated.subquery())) >= 300
    assert db.session.scalar(select(func.count(ContactEmail.id))) == db.session.scalar(select(func.count(Contact.id)))
    assert db.session.scalar(select(func.count(ContactPhone.id))) >= 300
    mismatched = (select(Contact.id).join(Lead, Lead.contact_id == Contact.id).group_by(Contact.id)
                  .having((func.count(Lead.id) != Contact.lead_count)
                          | (func.max(Lead.occurred_at) != Contact.last_inquiry_at)))
    assert db.session.scalars(mismatched).all() == []
    differs = [getattr(Lead, name).is_distinct_from(copy) for name, copy in lead_rows.COPIED_COLUMNS.items()]
    stale = select(func.count()).select_from(Lead).join(Contact, Contact.id == Lead.contact_id).where(or_(*differs))
    assert db.session.scalar(stale) == 0  # every lead carries its contact's copies, whichever demo step made it
    assert db.session.scalar(select(func.count(Lead.id))) >= 1000
    assert db.session.scalar(select(User.id).where(User.email == "agent@demo.test")) is not None
    # the end-of-load content: the named referrals, the website visitor and the plan in use
    assert db.session.scalar(select(Contact.id).where(Contact.first_name == "Maya", Contact.last_name == "Masked"))
    assert db.session.scalar(select(Contact.id).where(Contact.first_name == "Winston"))

    fresh = contact_service.create_contact(None, emails=["after.demo@example.com"], first_name="After")
    counted_before = _leads_counted_per_dimension()
    contact_service.record_lead(fresh, "Registration")
    db.session.commit()  # ids continue after the bulk rows (sequences reset on PostgreSQL)
    # the rollup triggers, off during the bulk rows, are back: the new lead is counted
    assert _leads_counted_per_dimension()["inquiry"] == counted_before["inquiry"] + 1
    assert db.session.get(User, db.session.scalar(select(User.id).where(User.email == "broker@demo.test"))) \
        .check_password(demo.PASSWORD)


def test_the_demo_shows_every_feature_from_the_demo_accounts(app):
    """docs/product.md#commands: shares behind every `Shared`, the plan on most of agent@demo.test's referrals, an
    Unclaimed offer, something in the trash, an archived contact, a deactivated user, Smart Lists."""
    result = app.test_cli_runner().invoke(args=["demo", "--contacts", "300", "--leads", "900", "--seed", "5"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()

    def count(query) -> int:
        return db.session.scalar(select(func.count()).select_from(query.subquery()))

    shared = select(Contact.id).where(Contact.contact_status == "Shared")
    assert count(shared) > 0
    assert count(shared.where(~Contact.id.in_(select(ContactShare.contact_id)))) == 0
    agent_id = db.session.scalar(select(User.id).where(User.email == "agent@demo.test"))
    referrals = select(Contact.id).where(Contact.owner_id == agent_id, Contact.deleted_at.is_(None))
    assert count(referrals.where(Contact.action_plan_id.is_not(None))) > count(referrals) / 2
    assert count(select(AppointmentOffer.id).where(AppointmentOffer.status == "Unclaimed")) == 1
    assert count(select(Contact.id).where(Contact.deleted_at.is_not(None))) >= 1
    assert count(select(Contact.id).where(Contact.archived_at.is_not(None))) >= 1
    assert count(select(User.id).where(User.is_active_user.is_(False))) >= 1
    assert count(select(SmartList.id)) >= 1


def test_the_demo_shows_the_import_webhooks_and_dashboard(app):
    """Import, webhooks, dashboard (docs/product.md#settings): a finished import with skipped rows, a webhook with a
    delivered and a failed event, and the demo agents' speed to lead from answered leads."""
    result = app.test_cli_runner().invoke(args=["demo", "--contacts", "300", "--leads", "2000", "--seed", "7"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    finished = db.session.scalars(select(ContactImport)).one()
    assert (finished.status, finished.rows_created, finished.rows_skipped) == ("Done", 40, 3)
    assert {(d.response_code, d.message.status) for d in db.session.scalars(select(WebhookDelivery))} == {
        (200, "sent"), (500, "failed")}
    manager = db.session.scalars(select(User).where(User.email == "manager@demo.test")).one()
    overall, per_owner = dashboard.speed_to_lead(manager, dashboard.read_period({}, manager))
    assert overall.median is not None and len(overall.minutes) > 10 and overall.unanswered > 0
    assert any(speed.label and speed.p90 for speed in per_owner)
    sources = dashboard.leads_by_source(manager, dashboard.read_period({}, manager))
    assert sum(sources.total(key) for key in sources.keys) > 0
    assert db.session.scalar(select(func.count()).select_from(DashboardCountChange)) == 0  # folded
    # the bulk rows went in with the rollup triggers off; the counts equal a recount from the leads
    counted = _leads_counted_per_dimension()
    dashboard_rollup.recount(db.session.connection())
    assert _leads_counted_per_dimension() == counted and counted["inquiry"] >= 2000
