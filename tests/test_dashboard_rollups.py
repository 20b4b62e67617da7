"""The dashboard's rollups and speed-to-lead answers (kept by database triggers) stay exactly what
the leads, their contacts and the activity log say, whichever path writes them: the events API,
Add Lead, an import and its undo, delete / restore / purge, a new owner, actions logged out of order,
and the worker folding the changes."""
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from import_files import FUB_HEADERS, csv_bytes, generated_rows, start_import, upload_file
from sqlalchemy import func, select, union_all, update

from crm import clock
from crm.extensions import db
from crm.models import ActivityLog, Contact, DashboardCount, DashboardCountChange, DashboardDay, DashboardZone, Lead
from crm.models.values import IMMEDIATE_INQUIRIES
from crm.services import activity, api_keys, dashboard, dashboard_rollup, imports, manage, trash
from crm.services import contacts as contact_service

from events_support import EventsApi, event, person


def _first_action(lead: Lead, contact: Contact) -> datetime | None:
    """The old definition: the owner's first action on the contact at or after the lead."""
    return db.session.scalar(select(func.min(ActivityLog.created_at)).where(
        ActivityLog.contact_id == contact.id, ActivityLog.actor_id == contact.owner_id,
        ActivityLog.created_at >= lead.occurred_at))


def _expected() -> Counter:
    """Every count computed from the leads' contacts, as the dashboard counted before the rollups."""
    counts: Counter = Counter()
    for lead in db.session.scalars(select(Lead)):
        contact = db.session.get(Contact, lead.contact_id)
        if contact.deleted_at is not None:
            continue
        hour = lead.occurred_at.replace(minute=0, second=0, microsecond=0)
        office, owner, source = contact.office_id or 0, contact.owner_id or 0, contact.contact_source or ""
        counts.update({("source", office, hour, source): 1, ("inquiry", office, hour, lead.inquiry_type): 1,
                       ("owner_source", owner, hour, source): 1, ("owner_inquiry", owner, hour, lead.inquiry_type): 1})
        if contact.owner_id and lead.inquiry_type in IMMEDIATE_INQUIRIES:
            counts[("immediate", office, hour, str(owner))] += 1
            answered = _first_action(lead, contact)
            assert lead.answered_at == answered, f"lead {lead.id} of {contact.name}"
            if answered is None:
                counts[("unanswered", office, hour, str(owner))] += 1
    return counts


def _rolled_up() -> Counter:
    parts = [select(table.dimension, table.scope_id, table.hour, table.value, table.leads)
             for table in (DashboardCount, DashboardCountChange)]
    rows = union_all(*parts).subquery()
    key = [rows.c.dimension, rows.c.scope_id, rows.c.hour, rows.c.value]
    return Counter({tuple(row[:4]): row[4] for row in db.session.execute(
        select(*key, func.sum(rows.c.leads)).group_by(*key).having(func.sum(rows.c.leads) != 0))})


def assert_exact() -> None:
    db.session.expire_all()
    assert _rolled_up() == _expected()


@pytest.fixture
def api(app, users):
    _api_key, plain = api_keys.create_key("smithandassociates.com", rate_limit_per_minute=10_000)
    db.session.commit()
    return EventsApi(app, plain)


def test_events_api_leads_and_the_owners_first_action(users, api, login_as):
    assert api.post(event(person=person("Ana", "Ruiz", "ana@example.com"),
                          occurredAt="2026-11-18T15:10:00Z")).status_code == 201
    assert api.post(event(type="Registration", person=person("Ana", "Ruiz", "ana@example.com"),
                          occurredAt="2026-11-18T16:00:00Z")).status_code == 200  # the same person
    assert api.post(event(type="Viewed Page", person=person("Bo", "Lee", "bo@example.com"))).status_code == 201
    assert_exact()
    ana = db.session.scalars(select(Contact).where(Contact.first_name == "Ana")).one()
    owner = users["agent"]
    ana.owner_id, ana.office_id = owner.id, owner.office_id
    db.session.add(ActivityLog(contact_id=ana.id, actor_id=owner.id, action="Called",
                               created_at=datetime(2026, 11, 18, 15, 40)))
    db.session.commit()
    assert_exact()
    answers = sorted((lead.inquiry_type, lead.answered_at) for lead in db.session.scalars(
        select(Lead).where(Lead.contact_id == ana.id)))
    assert answers == [("Registration", None), ("Showing Request", datetime(2026, 11, 18, 15, 40))]


def test_add_lead_and_a_new_owner(users, login_as):
    web = login_as(users["manager"])
    response = web.post("/contacts/new", {"lead_source": "Broker", "lead_assignment": users["agent"].id,
                                          "name": "Pat Plan", "status": "Assigned", "buy_sell_rent": "",
                                          "financing": ""})
    assert response.status_code == 302
    contact = db.session.scalars(select(Contact).where(Contact.first_name == "Pat")).one()
    contact_service.record_lead(contact, "Showing Request", clock.now() - timedelta(hours=2))
    activity.log(contact, users["agent2"], "Called")  # not the owner: the lead stays unanswered
    db.session.commit()
    assert_exact()
    contact.owner_id = users["agent2"].id  # now agent2's earlier call answers it
    db.session.commit()
    assert_exact()
    contact.owner_id, contact.office_id = users["west_agent"].id, users["west_agent"].office_id
    contact.contact_source = "Realtor.com"
    db.session.commit()
    assert_exact()


def test_actions_logged_out_of_order_keep_the_first(users, make_contact):
    contact = make_contact(users["agent"], "Ola", "Order", inquiry="Registration")
    lead = db.session.scalars(select(Lead).where(Lead.contact_id == contact.id)).one()
    later, earlier = lead.occurred_at + timedelta(minutes=30), lead.occurred_at + timedelta(minutes=5)
    for moment in (later, earlier, lead.occurred_at - timedelta(minutes=1)):
        db.session.add(ActivityLog(contact_id=contact.id, actor_id=users["agent"].id, action="Called",
                                   created_at=moment))
        db.session.commit()
    db.session.refresh(lead)
    assert lead.answered_at == earlier
    assert_exact()


def test_an_import_and_its_undo(users, login_as):
    web = login_as(users["broker"])
    response = upload_file(web, csv_bytes([FUB_HEADERS] + generated_rows(30)))
    stored, _ = start_import(web, response, assign_to=str(users["agent"].id))
    imports.run_imports()
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 30
    assert_exact()
    assert web.post(f"/settings/import/{stored.id}/undo", {"confirmed": "yes"}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 0
    assert_exact()
    assert _rolled_up() == Counter()


def test_delete_restore_and_purge(users, make_contact):
    kept = make_contact(users["agent"], "Kim", "Kept", inquiry="Registration")
    gone = make_contact(users["agent"], "Gil", "Gone", inquiry="Showing Request")
    kept_id, gone_id = kept.id, gone.id
    manage.delete_contact(gone, users["manager"])
    db.session.commit()
    assert_exact()
    trash.restore(gone_id, users["broker"])
    db.session.commit()
    assert_exact()
    manage.delete_contact(gone, users["manager"])
    db.session.commit()
    with clock.frozen_at(clock.now() + timedelta(days=trash.KEEP_DAYS + 1)):
        trash.purge_expired()
    assert db.session.get(Contact, gone_id) is None and db.session.get(Contact, kept_id) is not None
    assert_exact()


def test_the_worker_folds_the_changes_and_the_figures_stay(users, make_contact):
    for n in range(3):
        make_contact(users["agent"], f"Fay{n}", "Fold", inquiry="Registration", contact_source="Broker")
    period = dashboard.read_period({}, users["manager"])
    before = dashboard.leads_by_source(users["manager"], period).counts
    assert db.session.scalar(select(func.count()).select_from(DashboardCountChange)) > 0
    assert dashboard_rollup.fold_changes() > 0
    assert db.session.scalar(select(func.count()).select_from(DashboardCountChange)) == 0
    assert_exact()
    assert dashboard.leads_by_source(users["manager"], period).counts == before
    assert sum(before["Broker"].values()) == 3
    # after the fold: counted at once
    make_contact(users["agent"], "Late", "Comer", inquiry="Registration", contact_source="Broker")
    assert sum(dashboard.leads_by_source(users["manager"], period).counts["Broker"].values()) == 4
    assert_exact()


def test_a_recount_from_the_leads_gives_the_same_counts(users, make_contact):
    for n in range(3):
        make_contact(users["agent"], f"Rae{n}", "Recount", inquiry="Showing Request")
    before = _rolled_up()
    dashboard_rollup.recount(db.session.connection())
    db.session.commit()
    assert _rolled_up() == before and db.session.scalar(select(func.count()).select_from(DashboardCountChange)) == 0


def test_the_days_of_every_zone_in_use_equal_the_hours_summed_in_that_zone(users, make_contact):
    """The worker sums the folded hours into each zone's local days: a zone newly chosen is summed from
    the hours at the next fold, a zone no longer chosen is forgotten, and the page reads the same."""
    for n, hours_ago in enumerate((1, 5, 23, 30, 49)):
        contact = make_contact(users["agent"], f"Zed{n}", "Zone", inquiry="Registration", contact_source="Broker")
        db.session.execute(update(Lead).where(Lead.contact_id == contact.id)
                           .values(occurred_at=clock.now() - timedelta(hours=hours_ago)))
    db.session.commit()
    viewer = users["manager"]
    viewer.time_zone = "Asia/Tokyo"
    db.session.commit()
    period = dashboard.read_period({}, viewer)
    from_hours = dashboard.leads_by_source(viewer, period).counts
    dashboard_rollup.fold_changes()
    assert dashboard_rollup.has_days("Asia/Tokyo") and dashboard_rollup.zones_in_use() == {
        zone for (zone,) in db.session.execute(select(DashboardZone.zone))}
    assert dashboard.leads_by_source(viewer, period).counts == from_hours
    for zone in dashboard_rollup.zones_in_use():
        assert _days_of(zone) == _hours_summed_in(ZoneInfo(zone))
    make_contact(users["agent"], "Zoe", "Later", inquiry="Registration", contact_source="Broker")
    dashboard_rollup.fold_changes()  # folded into the days of every zone
    assert _days_of("Asia/Tokyo") == _hours_summed_in(ZoneInfo("Asia/Tokyo"))
    viewer.time_zone = None
    db.session.commit()
    dashboard_rollup.fold_changes()
    assert not dashboard_rollup.has_days("Asia/Tokyo") and _days_of("Asia/Tokyo") == Counter()


def _days_of(zone: str) -> Counter:
    return Counter({(day.dimension, day.scope_id, day.day, day.value): day.leads for day in db.session.scalars(
        select(DashboardDay).where(DashboardDay.zone == zone)) if day.leads})


def _hours_summed_in(zone: ZoneInfo) -> Counter:
    summed: Counter = Counter()
    for count in db.session.scalars(select(DashboardCount)):
        day = count.hour.replace(tzinfo=UTC).astimezone(zone).date()
        summed[(count.dimension, count.scope_id, day, count.value)] += count.leads
    return Counter({key: leads for key, leads in summed.items() if leads})
