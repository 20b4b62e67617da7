"""The dashboard (docs/product.md#dashboard): numbers against hand-computed fixtures with a frozen clock."""
from datetime import datetime

import pytest

from crm import clock
from crm.extensions import db
from crm.models import ActivityLog
from crm.services import contacts as contact_service
from crm.services import dashboard, dashboard_rollup

import markup

NOW = datetime(2026, 11, 20, 12, 0)
PERIOD = "/dashboard?start=2026-11-18&end=2026-11-19"


def _lead(owner, name, inquiry, occurred_at, actions=(), source="Broker", actor=None):
    """A contact of `owner` with one lead and the given (minute-stamped) actions by `actor` (the owner)."""
    first, last = name.split()
    contact = contact_service.create_contact(None, first_name=first, last_name=last, owner_id=owner.id,
                                             contact_source=source)
    contact_service.record_lead(contact, inquiry, occurred_at)
    for moment in actions:
        db.session.add(ActivityLog(contact_id=contact.id, actor_id=(actor or owner).id, action="Called",
                                   created_at=moment))
    return contact


@pytest.fixture
def leads(users):
    """Hand-computed minutes to first owner action (immediate leads only):
    agent: 5, 20, 60 and one unanswered; agent2: 10 (a manager's earlier action does not count);
    west_agent (other office): 30. A digest lead is not counted."""
    agent, agent2, west = users["agent"], users["agent2"], users["west_agent"]
    with clock.frozen_at(NOW):
        _lead(agent, "Ana One", "Registration", datetime(2026, 11, 18, 10, 0), [datetime(2026, 11, 18, 10, 5)])
        _lead(agent, "Ben Two", "Showing Request", datetime(2026, 11, 18, 11, 0),
              [datetime(2026, 11, 18, 10, 0), datetime(2026, 11, 18, 11, 20), datetime(2026, 11, 18, 12, 0)])
        _lead(agent, "Cal Three", "Property Inquiry", datetime(2026, 11, 19, 9, 0), [datetime(2026, 11, 19, 10, 0)])
        _lead(agent, "Dee Four", "General Inquiry", datetime(2026, 11, 19, 12, 0))
        _lead(agent, "Eve Five", "Viewed Page", datetime(2026, 11, 19, 13, 0), [datetime(2026, 11, 19, 13, 1)],
              source="Realtor.com")
        _lead(agent, "Old Lead", "Registration", datetime(2026, 11, 10, 9, 0), [datetime(2026, 11, 10, 9, 1)])
        manager_first = _lead(agent2, "Fay Six", "Registration", datetime(2026, 11, 19, 8, 0),
                              [datetime(2026, 11, 19, 8, 2)], actor=users["manager"])
        db.session.add(ActivityLog(contact_id=manager_first.id, actor_id=agent2.id, action="Called",
                                   created_at=datetime(2026, 11, 19, 8, 10)))
        _lead(west, "Gus Seven", "Registration", datetime(2026, 11, 19, 8, 0), [datetime(2026, 11, 19, 8, 30)])
        db.session.commit()
    return users


def _period(viewer, **args):
    return dashboard.read_period({"start": "2026-11-18", "end": "2026-11-19", **args}, viewer)


def test_speed_to_lead_median_and_90th_percentile(leads):
    with clock.frozen_at(NOW):
        overall, per_owner = dashboard.speed_to_lead(leads["manager"], _period(leads["manager"]))
    assert sorted(overall.minutes) == [5, 10, 20, 60]
    assert (overall.median, overall.p90, overall.unanswered, overall.leads) == (15, 60, 1, 5)
    by_name = {speed.label: speed for speed in per_owner}
    assert set(by_name) == {"Alex Agent", "Avery Agent"}
    assert (by_name["Alex Agent"].median, by_name["Alex Agent"].p90, by_name["Alex Agent"].unanswered) == (20, 60, 1)
    assert (by_name["Avery Agent"].median, by_name["Avery Agent"].p90) == (10, 10)


def test_broker_sees_every_office_or_one(leads):
    broker = leads["broker"]
    with clock.frozen_at(NOW):
        overall, _ = dashboard.speed_to_lead(broker, _period(broker))
        assert sorted(overall.minutes) == [5, 10, 20, 30, 60]
        assert (overall.median, overall.p90) == (20, 60)
        west_office = leads["west_agent"].office_id
        west, per_owner = dashboard.speed_to_lead(broker, _period(broker, office=str(west_office)))
    assert west.minutes == [30] and [speed.label for speed in per_owner] == ["Wes West"]


def test_agent_sees_only_their_own(leads):
    agent = leads["agent"]
    with clock.frozen_at(NOW):
        overall, per_owner = dashboard.speed_to_lead(agent, _period(agent, office="999"))
        sources = dashboard.leads_by_source(agent, _period(agent))
    assert sorted(overall.minutes) == [5, 20, 60] and [s.label for s in per_owner] == ["Alex Agent"]
    assert sources.total("Broker") == 4 and sources.total("Realtor.com") == 1


def test_leads_per_day_by_source_and_inquiry_type(leads):
    manager = leads["manager"]
    with clock.frozen_at(NOW):
        sources = dashboard.leads_by_source(manager, _period(manager))
        inquiries = dashboard.leads_by_inquiry_type(manager, _period(manager))
    day1, day2 = datetime(2026, 11, 18).date(), datetime(2026, 11, 19).date()
    assert sources.counts["Broker"] == {day1: 2, day2: 3}
    assert sources.counts["Realtor.com"] == {day1: 0, day2: 1}
    assert inquiries.counts["Registration"] == {day1: 1, day2: 1}
    assert inquiries.total("Viewed Page") == 1 and "Manual Entry" not in inquiries.counts


def test_referrals_per_sub_tab_and_compliance(leads):
    manager = leads["manager"]
    with clock.frozen_at(datetime(2026, 11, 19, 9, 0)):
        contact = _lead(leads["agent"], "Hal Eight", "Registration", datetime(2026, 11, 19, 9, 0))
        contact.referral_status = "Appointment Set"
        db.session.commit()
    with clock.frozen_at(NOW):
        tabs = dashboard.referrals_by_tab(manager, _period(manager))
        figures = dashboard.compliance(manager, _period(manager))
    assert tabs.total("Active Appointments") == 1
    assert "Active Leads" not in tabs.counts  # the fixture's referrals moved to their status on Nov 20, outside
    assert (figures.late_tasks, figures.ignored) == (0, 0)


def test_page_shows_the_numbers_and_links_each_bar_to_the_leads_list(leads, login_as):
    web = login_as(leads["manager"])
    with clock.frozen_at(NOW):
        page = web.get(PERIOD).get_data(as_text=True)
    overall = markup.parse(page)
    assert [overall.text(f"#overall-{figure}") for figure in ("median", "p90", "unanswered")] \
        == ["15.0 min", "60.0 min", "1"]
    assert "/contacts?contact_source=Broker&amp;activity_from=2026-11-18&amp;activity_to=2026-11-18" in page
    assert "/contacts?inquiry_type=Showing+Request&amp;activity_from=2026-11-18&amp;activity_to=2026-11-18" in page
    assert "Show table" in page and "Wes West" not in page
    assert overall.has("svg") and not overall.has("svg script, svg style, svg[style], svg [style]")


def test_bad_dates_fall_back_and_say_so(leads, login_as):
    web = login_as(leads["agent"])
    response = web.get("/dashboard?start=2026-11-19&end=2026-11-01")
    assert response.status_code == 200
    assert "The end date is before the start date" in response.get_data(as_text=True)
    assert "Dates must look like 2026-11-21" in web.get("/dashboard?start=nonsense").get_data(as_text=True)


def test_a_long_period_counts_per_week_and_links_each_week(leads, login_as):
    manager = leads["manager"]
    period = dashboard.read_period({"start": "2026-10-01", "end": "2026-11-19"}, manager)
    with clock.frozen_at(NOW):
        sources = dashboard.leads_by_source(manager, period)
    week = datetime(2026, 11, 16).date()  # Monday of Nov 18 and 19
    assert period.unit == "week" and sources.days[0] == period.start and week in sources.days
    assert sources.counts["Broker"][week] == 5 and sources.counts["Broker"][datetime(2026, 11, 9).date()] == 1
    assert period.bucket_end(period.start) == datetime(2026, 10, 4).date()  # Oct 1 is a Thursday
    page = login_as(manager).get("/dashboard?start=2026-10-01&end=2026-11-19").get_data(as_text=True)
    assert "Leads per week by source" in page
    assert "/contacts?contact_source=Broker&amp;activity_from=2026-11-16&amp;activity_to=2026-11-19" in page


@pytest.mark.parametrize("folded", [False, True], ids=["pending changes", "folded into days"])
def test_days_follow_the_viewers_clock_across_daylight_saving_time(users, folded):
    """New York leaves daylight saving time at 2:00 on Nov 1, 2026: 04:30 UTC is Nov 1 at 00:30
    (EDT), and on Nov 2 04:30 UTC is Nov 1 at 23:30 (EST). The same read from the worker's days."""
    agent = users["agent"]
    with clock.frozen_at(NOW):
        _lead(agent, "Dot Early", "Registration", datetime(2026, 11, 1, 4, 30))
        _lead(agent, "Dan Late", "Registration", datetime(2026, 11, 2, 4, 30))
        _lead(agent, "Don Before", "Registration", datetime(2026, 11, 1, 3, 30))  # Oct 31, 23:30 EDT
        db.session.commit()
        if folded:
            dashboard_rollup.fold_changes()
            assert dashboard_rollup.has_days("America/New_York")
        period = dashboard.read_period({"start": "2026-10-31", "end": "2026-11-02"}, agent)
        counts = dashboard.leads_by_inquiry_type(agent, period).counts["Registration"]
    assert len(period.utc_offsets()) == 2
    day = datetime(2026, 11, 1).date()
    assert counts == {datetime(2026, 10, 31).date(): 1, day: 2, datetime(2026, 11, 2).date(): 0}


def test_with_an_office_chosen_each_bar_links_to_a_list_of_as_many_leads(leads, login_as):
    """The broker's office filter rides along on every link: a bar's count is the linked list's."""
    broker = login_as(leads["broker"])
    downtown = leads["agent"].office_id
    with clock.frozen_at(NOW):
        page = broker.get(f"{PERIOD}&office={downtown}").get_data(as_text=True)
        everyone = broker.get(PERIOD).get_data(as_text=True)
    [bar] = markup.parse(page).select('a[aria-label^="Broker, Nov 19: "]')
    assert f"office={downtown}" in bar.attributes["href"]
    assert bar.attributes["aria-label"] == "Broker, Nov 19: 3 leads"  # Gus Seven of Westshore is not counted
    chart = markup.parse(everyone)
    assert chart.attrs('a[aria-label^="Broker, Nov 19: "]', "aria-label") == ["Broker, Nov 19: 4 leads"]
    assert not any("office=" in href for href in chart.attrs("svg a[href]", "href"))
    listed = broker.get(bar.attributes["href"]).get_data(as_text=True)
    assert "3 leads" in listed
