"""No input answers 500 (docs/product.md#trust), on SQLite and PostgreSQL alike: NUL bytes, over-long values,
ids beyond the id columns, far-past and far-future event dates, control and bidi characters."""
from datetime import timedelta

import pytest

from crm import clock
from crm.extensions import db
from crm.models import Contact
from crm.services import api_keys

from events_support import EventsApi, event

BIG_IDS = [str(2 ** 31), str(2 ** 63), str(2 ** 64 + 1), "9" * 40]


def _add_lead(client, owner, **fields):
    data = {"lead_source": "Broker", "lead_assignment": owner.id, "name": "Ana Ruiz", "status": "Assigned",
            "buy_sell_rent": "", "financing": ""}
    data.update(fields)
    return client.post("/contacts/new", data)


@pytest.fixture
def api(app, users):
    _key, plain = api_keys.create_key("probe.example", rate_limit_per_minute=10_000)
    db.session.commit()
    return EventsApi(app, plain)


def test_a_nul_byte_in_the_signed_out_login_is_a_400(web, users):
    web.get("/login")
    assert web.post("/login", {"email": "agent@demo.test\x00", "password": "x"}).status_code == 400
    assert web.post("/login", {"email": "agent@demo.test", "password": "demo\x001234"}).status_code == 400


@pytest.mark.parametrize("url", ["/contacts?keyword=%00", "/contacts/export.csv?keyword=%00",
                                 "/contacts?keyword=a%00b&priority=Hot", "/referrals?keyword=%00", "/contacts/%00"])
def test_a_nul_byte_in_a_query_is_refused_before_any_query_runs(login_as, users, url):
    assert login_as(users["manager"]).get(url).status_code in (400, 404)


def test_a_nul_byte_in_any_form_field_is_a_400(login_as, users, make_contact):
    contact = make_contact(users["agent"])
    client = login_as(users["agent"])
    assert _add_lead(client, users["agent"], message="hi\x00there").status_code == 400
    assert client.post(f"/contacts/{contact.id}/sections/person", htmx=True,
                       data={"first_name": "A\x00na"}).status_code == 400


@pytest.mark.parametrize("big", BIG_IDS)
def test_ids_beyond_the_id_columns_are_404_in_routes_and_400_in_parameters(login_as, users, big):
    client = login_as(users["manager"])
    for url in (f"/contacts/{big}", f"/offers/{big}", f"/contacts/{big}/sections/person/edit"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/offers/{big}/claim").status_code == 404
    for url in (f"/contacts?owner={big}", f"/contacts?page={big}", f"/contacts/export.csv?owner={big}"):
        assert client.get(url).status_code == 400, url


def test_an_81_character_name_word_is_refused_in_the_form(login_as, users):
    client = login_as(users["agent"])
    response = _add_lead(client, users["agent"], name="A" * 81 + " Ruiz")
    assert response.status_code == 422 and "at most 80 characters" in response.get_data(as_text=True)
    assert _add_lead(client, users["agent"], name="A" * 80 + " " + "B" * 80).status_code == 302


def test_a_phone_longer_than_its_column_is_refused(login_as, users):
    client = login_as(users["agent"])
    long_phone = "813" + " " * 30 + "555 0199 " + "-" * 10
    assert len(long_phone) > 40
    assert _add_lead(client, users["agent"], phone=long_phone).status_code == 422


def test_control_and_bidi_override_characters_are_stripped_from_names(login_as, users):
    client = login_as(users["agent"])
    assert _add_lead(client, users["agent"], name="Ev\u202eil\u2066 Na\x07me").status_code == 302
    contact = db.session.scalar(db.select(Contact).order_by(Contact.id.desc()))
    assert (contact.first_name, contact.last_name) == ("Evil", "Name")


def test_an_over_long_login_email_is_not_a_500(web, users):
    web.get("/login")
    assert web.post("/login", {"email": "a" * 5000 + "@example.com", "password": "x"}).status_code == 401


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00", "1200-05-01T00:00:00Z",
                                    "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-14:00"])
def test_far_past_and_far_future_event_dates_are_400(api, moment):
    response = api.post(event(occurredAt=moment))
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == "occurredAt"
    assert db.session.scalar(db.select(db.func.count()).select_from(Contact)) == 0


def test_an_event_more_than_a_day_ahead_is_400_and_one_a_little_ahead_is_taken(api):
    later = clock.now() + timedelta(days=1, minutes=5)
    assert api.post(event(occurredAt=later.isoformat() + "Z")).status_code == 400
    soon = clock.now() + timedelta(hours=2)
    assert api.post(event(occurredAt=soon.isoformat() + "Z")).status_code == 201


def test_nul_bytes_long_values_and_bidi_overrides_in_an_event_are_cleaned_or_refused(api):
    cleaned = api.post(event(person={"firstName": "A\x00na"}, message="x\x00y"))
    assert cleaned.status_code == 201 and "\x00" not in cleaned.get_data(as_text=True)
    assert api.post(event(person={"firstName": "A" * 500})).status_code == 400
    refused = api.post(event(person={"lastName": "Ruiz\u202egnp.exe"}))
    assert refused.status_code == 400 and refused.get_json()["errors"][0]["field"] == "person.lastName"
