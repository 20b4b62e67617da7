"""Local time (docs/product.md#time): times shown in the viewer's zone with its abbreviation, `Today` and
`This week` as the viewer's day and week, emails in the recipient's zone, appointments entered in
the office's zone. A test clock sits around midnight and across the end of daylight saving time
(Nov 1, 2026 in the USA, Oct 25, 2026 in Europe), in two zones."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from crm import clock
from crm.extensions import db
from crm.models import AppointmentOffer, LeadFlowRule, Office, OutboxMessage, ServiceZip
from crm.services import alerts, api_keys, delivery, local_time
from crm.services import contacts as contact_service

import markup
from events_support import EventsApi, event

NEW_YORK, LOS_ANGELES, LONDON = ZoneInfo("America/New_York"), ZoneInfo("America/Los_Angeles"), ZoneInfo("Europe/London")


@pytest.mark.parametrize("moment, zone, shown", [
    (datetime(2026, 11, 21, 18, 2), NEW_YORK, "Nov 21, 2026 1:02 PM EST"),
    (datetime(2026, 11, 21, 18, 2), LOS_ANGELES, "Nov 21, 2026 10:02 AM PST"),
    (datetime(2026, 11, 22, 4, 30), NEW_YORK, "Nov 21, 2026 11:30 PM EST"),  # UTC's next day, still the 21st
    (datetime(2026, 11, 22, 5, 0), NEW_YORK, "Nov 22, 2026 12:00 AM EST"),
    (datetime(2026, 10, 31, 16, 0), NEW_YORK, "Oct 31, 2026 12:00 PM EDT"),  # before the change
    (datetime(2026, 11, 1, 5, 30), NEW_YORK, "Nov 1, 2026 1:30 AM EDT"),  # 1:30 AM happens twice
    (datetime(2026, 11, 1, 6, 30), NEW_YORK, "Nov 1, 2026 1:30 AM EST"),
    (datetime(2026, 10, 24, 12, 0), LONDON, "Oct 24, 2026 1:00 PM BST"),
    (datetime(2026, 10, 26, 12, 0), LONDON, "Oct 26, 2026 12:00 PM GMT"),
])
def test_a_time_is_shown_in_the_zone_with_its_abbreviation(moment, zone, shown):
    assert local_time.display(moment, zone) == shown
    assert local_time.ManyTimes(zone)(moment) == shown  # the CSV's fast path agrees


def test_the_csv_formatter_follows_a_dst_change_within_one_file():
    many = local_time.ManyTimes(NEW_YORK)
    for hour in range(0, 12):
        moment = datetime(2026, 11, 1, hour, 17)
        assert many(moment) == local_time.display(moment, NEW_YORK)
    assert many(None) is None


@pytest.mark.parametrize("now, zone, today_starts, week_starts", [
    # 11:30 PM on Saturday Nov 21 in New York is already Sunday in UTC
    (datetime(2026, 11, 22, 4, 30), NEW_YORK, datetime(2026, 11, 21, 5), datetime(2026, 11, 16, 5)),
    (datetime(2026, 11, 22, 4, 30), LOS_ANGELES, datetime(2026, 11, 21, 8), datetime(2026, 11, 16, 8)),
    # Tuesday Nov 3: the week began on Monday Nov 2, after the change to EST
    (datetime(2026, 11, 3, 15, 0), NEW_YORK, datetime(2026, 11, 3, 5), datetime(2026, 11, 2, 5)),
    # Sunday Nov 1 in New York began in EDT (4:00 UTC) though it ends in EST
    (datetime(2026, 11, 1, 20, 0), NEW_YORK, datetime(2026, 11, 1, 4), datetime(2026, 10, 26, 4)),
    # London on Tuesday Oct 27: the week began on Monday Oct 26 in GMT, the day before on BST
    (datetime(2026, 10, 27, 9, 0), LONDON, datetime(2026, 10, 27, 0), datetime(2026, 10, 26, 0)),
])
def test_today_and_this_week_are_the_viewers_day_and_week(now, zone, today_starts, week_starts):
    assert local_time.activity_window("Today", None, None, now, zone) == (today_starts, None)
    assert local_time.activity_window("This week", None, None, now, zone) == (week_starts, None)


def _contact_active_at(owner, name: str, moment: datetime):
    contact = contact_service.create_contact(None, first_name=name, last_name="Lead", owner_id=owner.id)
    contact_service.record_lead(contact, "Registration", occurred_at=moment)
    return contact


def _names_on_leads(client, query: str) -> set[str]:
    names = markup.parse(client.get(f"/contacts?{query}")).texts("table.lead-rows td.name > a")
    return {name.removesuffix(" Lead") for name in names}


def test_the_leads_activity_filter_uses_each_viewers_day_around_midnight(login_as, users, make_user):
    agent = users["agent"]
    users["manager"].time_zone = "America/Los_Angeles"
    _contact_active_at(agent, "Evening", datetime(2026, 11, 22, 1, 0))  # Nov 21: 8 PM EST, 5 PM PST
    _contact_active_at(agent, "Early", datetime(2026, 11, 21, 6, 0))  # Nov 21 1 AM EST; Nov 20 10 PM PST
    _contact_active_at(agent, "Yesterday", datetime(2026, 11, 21, 4, 0))  # Nov 20: 11 PM EST, 8 PM PST
    db.session.commit()
    with clock.frozen_at(datetime(2026, 11, 22, 4, 30)):  # 11:30 PM in New York, 8:30 PM in Los Angeles
        new_york_agent, los_angeles_manager = login_as(agent), login_as(users["manager"])
        assert _names_on_leads(new_york_agent, "activity=Today") == {"Evening", "Early"}
        assert _names_on_leads(los_angeles_manager, "activity=Today") == {"Evening"}
        range_of_the_21st = "activity_from=2026-11-21&activity_to=2026-11-21"
        assert _names_on_leads(new_york_agent, range_of_the_21st) == {"Evening", "Early"}
        assert _names_on_leads(los_angeles_manager, range_of_the_21st) == {"Evening"}


def test_this_week_starts_on_the_viewers_monday_across_the_dst_change(login_as, users):
    agent = users["agent"]
    _contact_active_at(agent, "Sunday", datetime(2026, 11, 2, 4, 30))  # Sun Nov 1, 11:30 PM EST
    _contact_active_at(agent, "Monday", datetime(2026, 11, 2, 5, 30))  # Mon Nov 2, 12:30 AM EST
    db.session.commit()
    with clock.frozen_at(datetime(2026, 11, 3, 15, 0)):
        assert _names_on_leads(login_as(agent), "activity=This+week") == {"Monday"}


def test_pages_show_times_in_the_viewers_own_or_office_zone(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Tina", "Times")
    contact_service.record_lead(contact, "Showing Request", occurred_at=datetime(2026, 11, 21, 18, 2))
    users["manager"].time_zone = "America/Los_Angeles"
    west = db.session.scalar(select(Office).where(Office.name == "Westshore"))
    west.time_zone = "Europe/London"
    db.session.commit()
    assert "Nov 21, 2026 1:02 PM EST" in login_as(users["agent"]).get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert "Nov 21, 2026 10:02 AM PST" in login_as(users["manager"]).get(
        f"/contacts/{contact.id}").get_data(as_text=True)
    users["broker"].office = west
    db.session.commit()
    assert "Nov 21, 2026 6:02 PM GMT" in login_as(users["broker"]).get(f"/contacts/{contact.id}").get_data(as_text=True)


def test_a_personal_time_zone_is_chosen_in_preferences_and_must_be_an_iana_name(login_as, users):
    agent = login_as(users["agent"])
    bad = agent.post("/preferences", {"time_zone": "Pacific Time", "digest_emails": "y"})
    assert bad.status_code == 422
    assert markup.parse(bad).text("#time_zone-error") == "Enter an IANA time zone name, such as America/New_York."
    assert users["agent"].time_zone is None
    assert agent.post("/preferences", {"time_zone": "America/Denver", "digest_emails": "y"}).status_code == 302
    db.session.refresh(users["agent"])
    assert users["agent"].time_zone == "America/Denver"
    assert agent.post("/preferences", {"time_zone": "", "digest_emails": "y"}).status_code == 302
    db.session.refresh(users["agent"])
    assert users["agent"].time_zone is None  # back to the office's zone


def test_a_lead_alert_email_is_in_the_recipients_zone(users, make_contact):
    users["agent"].time_zone = "America/Los_Angeles"
    contact = make_contact(users["agent"], "Ema", "Mail")
    lead = contact_service.record_lead(contact, "Showing Request", occurred_at=datetime(2026, 11, 21, 18, 2))
    alerts.alert_new_lead(users["agent"], contact.id, contact.name, lead.id, lead.inquiry_type)
    db.session.commit()
    delivery.deliver_outbox()  # the worker renders the alert when it sends it
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "alert"))
    assert "Nov 21, 2026 10:02 AM PST" in message.body_text and "PST" in message.body_html
    assert "UTC" not in message.body_text


def test_an_events_api_alert_is_in_the_owners_office_zone(app, users):
    """The alert of an event is in its owner's zone: their own, else their office's."""
    users["agent"].office.time_zone = "America/Chicago"
    db.session.add(LeadFlowRule(position=1, zip="33602", assign_to_id=users["agent"].id))
    _key, plain = api_keys.create_key("site.example", rate_limit_per_minute=1_000)
    db.session.commit()
    answer = EventsApi(app, plain).post(event(occurredAt="2026-11-21T18:02:00Z"))
    assert answer.status_code == 201
    delivery.deliver_outbox()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "alert"))
    assert "Nov 21, 2026 12:02 PM CST" in message.body_text


def test_the_csv_is_in_the_viewers_zone(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Cora", "Csv")
    contact_service.record_lead(contact, "Showing Request", occurred_at=datetime(2026, 7, 4, 16, 0))
    users["manager"].time_zone = "Europe/London"
    db.session.commit()
    csv = login_as(users["manager"]).get(
        "/contacts/export.csv?column=name&column=lead_date&rows=lead&order_by=lead_date&order=asc").get_data(as_text=True)
    assert "Jul 4, 2026 5:00 PM BST" in csv


def test_the_concierge_enters_appointment_times_in_the_offices_zone(login_as, users, make_contact):
    west = db.session.scalar(select(Office).where(Office.name == "Westshore"))
    west.time_zone = "America/Chicago"
    agent = users["west_agent"]
    db.session.add(ServiceZip(user_id=agent.id, zip="33602"))
    contact = make_contact(None, "Apollo", "Appointment", zip="33602", office_id=west.id)
    db.session.commit()
    with clock.frozen_at(datetime(2030, 3, 1, 12, 0)):
        concierge = login_as(users["concierge"])
        form_page = concierge.get(f"/concierge/{contact.id}/convert").get_data(as_text=True)
        assert "America/Chicago" in form_page
        response = concierge.post(f"/concierge/{contact.id}/convert", {"date": "2030-03-02", "time": "10:30"})
    assert response.status_code == 302
    offer = db.session.scalar(select(AppointmentOffer).where(AppointmentOffer.contact_id == contact.id))
    assert offer.appointment_at == datetime(2030, 3, 2, 16, 30)  # 10:30 AM CST
    email = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "offer",
                                                          OutboxMessage.channel == "email"))
    assert "Mar 2, 2030 10:30 AM CST" in email.body_text  # the agent is of that office too
