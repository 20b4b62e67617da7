"""The events API (docs/product.md#events-api): leads per event, person matching, status codes, idempotency, rate
limits, routing by lead-flow rules and round robin, the key's CLI and Settings pages."""
import json
import threading
import urllib.error
import urllib.request

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import (
    ActivityLog,
    ApiKey,
    Contact,
    ContactEmail,
    ContactPhone,
    IdempotencyRecord,
    Lead,
    LeadFlowRule,
    OutboxMessage,
    ServiceZip,
    User,
    WebhookDelivery,
    WebhookSubscription,
)
from crm.models.values import DIGEST_INQUIRIES, IMMEDIATE_INQUIRIES
from crm.services import api_keys, webhooks
from crm.services.events import EVENT_TYPES

import markup
from events_support import EventsApi, basic_auth, event, person


@pytest.fixture
def api(app, users):
    _api_key, plain = api_keys.create_key("smithandassociates.com", rate_limit_per_minute=10_000)
    db.session.commit()
    return EventsApi(app, plain)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def stored() -> dict[str, int]:
    return {model.__name__: count(model) for model in
            (Contact, ContactEmail, ContactPhone, Lead, ActivityLog, OutboxMessage, IdempotencyRecord)}


def leads_of(contact_id: int) -> list[Lead]:
    return list(db.session.scalars(select(Lead).where(Lead.contact_id == contact_id).order_by(Lead.id)))


def routing_log(contact_id: int) -> list[str]:
    return list(db.session.scalars(select(ActivityLog.detail).where(
        ActivityLog.contact_id == contact_id, ActivityLog.category == "routing").order_by(ActivityLog.id)))


# --- Leads: one per event ------------------------------------------------------------------------

def test_each_event_type_is_stored_as_its_own_lead_with_its_inquiry_type(api):
    answers = [api.post(event(type=inquiry)) for inquiry in EVENT_TYPES]

    assert [answer.status_code for answer in answers] == [201] + [200] * (len(EVENT_TYPES) - 1)
    contact_id = answers[0].get_json()["id"]
    assert {answer.get_json()["id"] for answer in answers} == {contact_id}
    leads = leads_of(contact_id)
    assert [lead.inquiry_type for lead in leads] == list(EVENT_TYPES)
    assert [lead.id for lead in leads] == [answer.get_json()["leadId"] for answer in answers]
    assert db.session.get(Contact, contact_id).lead_count == len(EVENT_TYPES)


def test_an_event_keeps_everything_the_website_sent(api):
    answer = api.post(event())
    lead = db.session.get(Lead, answer.get_json()["leadId"])

    assert (lead.source, lead.system, lead.message) == ("smithandassociates.com", "IDX", "Can I see it Saturday?")
    assert (lead.property_street, lead.property_city, lead.property_state, lead.property_zip) == \
        ("12 Oak St", "Tampa", "FL", "33602")
    assert (lead.mls_number, float(lead.price), lead.bedrooms, float(lead.bathrooms), lead.area) == \
        ("T123456", 450000.0, 3, 2.0, 1800)
    assert json.loads(lead.search_criteria) == {"city": "Tampa", "code": ["33602"], "minPrice": 300000,
                                                "maxPrice": 500000, "minBedrooms": 3}
    assert (lead.campaign_source, lead.campaign_medium) == ("google", "cpc")
    assert lead.occurred_at.isoformat() == "2026-11-21T18:02:00"
    contact = lead.contact
    assert (contact.first_name, contact.last_name, contact.business_source, contact.zip) == \
        ("Ana", "Ruiz", "Website", "33602")
    assert [e.value for e in contact.emails] == ["ana@example.com"]
    assert [p.value for p in contact.phones] == ["555-201-3344"]


def test_five_showing_requests_make_one_contact_with_five_leads(api, users, login_as):
    for mls in ("T1", "T2", "T3", "T4", "T5"):
        api.post(event(property={"street": f"{mls} Oak St", "code": "33602", "mlsNumber": mls}))

    assert count(Contact) == 1
    contact = db.session.scalar(select(Contact))
    assert [lead.mls_number for lead in leads_of(contact.id)] == ["T1", "T2", "T3", "T4", "T5"]
    assert contact.lead_count == 5
    owner = login_as(contact.owner.email)
    details = owner.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert details.count("<strong>Showing Request</strong>") == 5
    listing = owner.get("/contacts?inquiry_type=Showing Request").get_data(as_text=True)
    assert listing.count(f'<td class="name"><a href="/contacts/{contact.id}#lead-') == 5  # one row per lead


def test_the_leads_screen_filters_website_activity_by_inquiry_type_and_activity(api, users, login_as):
    searcher = api.post(event(type="Saved Property Search", occurredAt="2020-01-05T10:00:00Z",
                              person=person("Sam", "Searcher", "sam@example.com"))).get_json()
    caller = api.post(event(type="Incoming Call", occurredAt=None,
                            person=person("Cal", "Caller", "cal@example.com"))).get_json()
    manager = login_as(users["manager"])

    saved = manager.get("/contacts?inquiry_type=Saved Property Search").get_data(as_text=True)
    assert "Sam Searcher" in saved and "Cal Caller" not in saved
    today = manager.get("/contacts?activity=Today").get_data(as_text=True)
    assert "Cal Caller" in today and "Sam Searcher" not in today
    assert db.session.get(Contact, caller["id"]).last_inquiry_type == "Incoming Call"
    assert db.session.get(Contact, searcher["id"]).last_activity_at.isoformat() == "2020-01-05T10:00:00"
    details = manager.get(f"/contacts/{searcher['id']}").get_data(as_text=True)
    assert "Saved Property Search" in markup.parse(details).texts("strong")
    assert "Search: Tampa · zip 33602 · $300,000 to $500,000 · 3+ bedrooms" in details


def test_inquiry_is_shorthand_for_property_or_general_inquiry(api):
    with_property = api.post(event(type="Inquiry")).get_json()
    without = api.post(event(type="Inquiry", property=None, person=person("Gus", "General", "gus@example.com")))

    assert with_property["type"] == "Property Inquiry"
    assert without.get_json()["type"] == "General Inquiry"


def test_unsubscribed_marks_the_contact(api):
    first = api.post(event(type="Registration")).get_json()
    api.post(event(type="Unsubscribed"))

    contact = db.session.get(Contact, first["id"])
    assert contact.unsubscribed is True
    assert leads_of(contact.id)[-1].inquiry_type == "Unsubscribed"


# --- Matching ------------------------------------------------------------------------------------

def test_a_new_person_gets_201_with_the_person_and_the_lead(api, users):
    answer = api.post(event())

    assert answer.status_code == 201
    body = answer.get_json()
    assert body["firstName"] == "Ana" and body["lastName"] == "Ruiz" and body["created"] is True
    assert db.session.get(Lead, body["leadId"]).contact_id == body["id"]
    assert body["url"] == f"http://crm.test/contacts/{body['id']}"
    assert body["assignedUserId"] == db.session.get(Contact, body["id"]).owner_id


def test_matching_by_email_is_case_insensitive_and_adds_new_details_without_overwriting(api):
    first = api.post(event()).get_json()
    again = api.post(event(person={"firstName": "Anita", "lastName": "Other",
                                   "emails": [{"value": "ANA@Example.COM"}, {"value": "ana.work@example.com"}],
                                   "phones": [{"value": "(555) 999-0000"}]}))

    assert again.status_code == 200
    assert again.get_json()["id"] == first["id"]
    contact = db.session.get(Contact, first["id"])
    assert (contact.first_name, contact.last_name) == ("Ana", "Ruiz")
    assert [e.value for e in contact.emails] == ["ana@example.com", "ana.work@example.com"]
    assert [p.value for p in contact.phones] == ["555-201-3344", "(555) 999-0000"]


def test_matching_by_phone_needs_the_same_first_and_last_name(api):
    first = api.post(event(person=person("Ana", "Ruiz", phone="555-201-3344"))).get_json()

    same_person = api.post(event(person=person("ana", "RUIZ", "ana.new@example.com", "+1 555 201 3344")))
    other_person = api.post(event(person=person("Bea", "Ruiz", phone="555-201-3344")))

    assert same_person.status_code == 200 and same_person.get_json()["id"] == first["id"]
    assert other_person.status_code == 201 and other_person.get_json()["id"] != first["id"]
    assert [e.value for e in db.session.get(Contact, first["id"]).emails] == ["ana.new@example.com"]


def test_a_trashed_contact_is_not_matched(api):
    first = api.post(event()).get_json()
    contact = db.session.get(Contact, first["id"])
    contact.deleted_at = contact.created_at
    db.session.commit()

    assert api.post(event()).status_code == 201


def test_concurrent_events_for_one_new_person_make_one_contact(api, live_server):
    """Real HTTP and threads: the person's email is locked (PostgreSQL) or the write lock taken
    (SQLite) before matching, so simultaneous first events cannot create twins."""
    statuses = []

    def send(index: int) -> None:
        body = json.dumps(event(message=f"attempt {index}")).encode()
        request = urllib.request.Request(f"{live_server.url}/api/v1/events", data=body, method="POST",
                                         headers={"Content-Type": "application/json", **basic_auth(api.key)})
        with urllib.request.urlopen(request, timeout=30) as response:
            statuses.append(response.status)

    threads = [threading.Thread(target=send, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] * 7 + [201]
    assert count(Contact) == 1 and count(Lead) == 8


# --- Bad input: 400, 401, 413, 415, 429, and nothing stored ---------------------------------------

def deep(levels: int) -> dict:
    value: dict = {"value": "x"}
    for _ in range(levels):
        value = {"nested": value}
    return value


@pytest.mark.parametrize("body, field", [
    (event(person=None), "person"),
    (event() | {"person": None}, "person"),
    (event() | {"person": "Ana Ruiz"}, "person"),
    (event(person={"emails": [], "phones": []}), "person"),
    (event(person={"firstName": 42}), "person.firstName"),
    (event(person={"lastName": ["Ruiz"]}), "person.lastName"),
    (event(person={"emails": [{"value": "not-an-email"}]}), "person.emails[0].value"),
    (event(person={"emails": [{"value": "ana@example.com"}, {"value": "ana@@x"}]}), "person.emails[1].value"),
    (event(person={"emails": "ana@example.com"}), "person.emails"),
    (event(person={"emails": ["ana@example.com"]}), "person.emails[0]"),
    (event(person={"phones": [{"value": "12"}]}), "person.phones[0].value"),
    (event(property={"price": -1}), "property.price"),
    (event(property={"price": "450000"}), "property.price"),
    (event(property={"bedrooms": 2.5}), "property.bedrooms"),
    (event(property={"price": True}), "property.price"),
    (event(property="12 Oak St"), "property"),
    (event(property={"state": "Florida"}), "property.state"),
    (event(propertySearch={"minPrice": -5}), "propertySearch.minPrice"),
    (event(propertySearch={"code": [33602]}), "propertySearch.code[0]"),
    (event(type="Bogus"), "type"),
    (event(type="Manual Entry"), "type"),
    (event(type=None), "type"),
    (event(type=7), "type"),
    (event(occurredAt="yesterday"), "occurredAt"),
    (event(message={"text": "hi"}), "message"),
    (event(source="x" * 121), "source"),
    (event(person={"firstName": "\ud800"}), "person.firstName"),
    (event(description=deep(6)), "description.nested.nested.nested.nested.nested"),
    (["not", "an", "object"], "body"),
    ("just a string", "body"),
])
def test_invalid_events_get_400_naming_the_field_and_store_nothing(api, body, field):
    before = stored()
    answer = api.post(body)

    assert answer.status_code == 400
    assert field in [error["field"] for error in answer.get_json()["errors"]]
    assert all(error["message"] for error in answer.get_json()["errors"])
    assert stored() == before


def test_every_problem_of_a_body_is_listed_at_once(api):
    answer = api.post(event(type="Bogus", person={"firstName": 3, "emails": [{"value": "nope"}]},
                            property={"price": -1}))

    assert answer.status_code == 400
    assert [error["field"] for error in answer.get_json()["errors"]] == [
        "type", "person.firstName", "person.emails[0].value", "property.price"]


def test_a_body_nested_thousands_deep_is_400_not_a_crash(api):
    before = stored()
    answer = api.post(data="[" * 20000 + "]" * 20000)

    assert answer.status_code == 400
    assert answer.get_json()["errors"][0]["field"] == "body"
    assert stored() == before


@pytest.mark.parametrize("headers", [{}, basic_auth("crm_wrong"), {"Authorization": "Bearer whatever"}])
def test_a_missing_or_wrong_key_gets_401_and_stores_nothing(api, headers):
    before = stored()
    answer = api.post(event(), key=None, headers=headers)

    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    assert answer.get_json()["errors"][0]["field"] == "Authorization"
    assert stored() == before


def test_a_revoked_key_gets_401(api):
    api_keys.revoke(db.session.scalar(select(ApiKey)))
    db.session.commit()

    assert api.post(event()).status_code == 401
    assert count(Contact) == 0


def test_a_body_over_64_kib_gets_413_and_stores_nothing(api):
    before = stored()
    answer = api.post(event(message="x" * (64 * 1024)))

    assert answer.status_code == 413
    assert stored() == before


@pytest.mark.parametrize("data, content_type", [
    ("type=Registration&person=Ana", "application/x-www-form-urlencoded"),
    (json.dumps(event()), "text/plain"),
    ('{"type": "Registration", "person": ', "application/json"),
    ('{"type": "Registration", "price": NaN}', "application/json"),
    (b"\xff\xfe{}", "application/json"),
])
def test_a_body_that_is_not_json_gets_415_and_stores_nothing(api, data, content_type):
    before = stored()
    answer = api.post(data=data, content_type=content_type)

    assert answer.status_code == 415
    assert answer.get_json()["errors"][0]["message"]
    assert stored() == before


def test_a_key_over_its_rate_limit_gets_429_and_stores_nothing(app, users):
    _key, plain = api_keys.create_key("slow site", rate_limit_per_minute=3)
    db.session.commit()
    limited = EventsApi(app, plain)
    answers = [limited.post(event(person=person("P", str(n), f"p{n}@example.com"))) for n in range(4)]

    assert [answer.status_code for answer in answers] == [201, 201, 201, 429]
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    assert count(Contact) == 3


# --- Idempotency ---------------------------------------------------------------------------------

def test_an_idempotency_key_replay_returns_the_first_answer_and_stores_nothing(api):
    first = api.post(event(), headers={"Idempotency-Key": "order-1"})
    after_first = stored()
    replay = api.post(event(message="changed"), headers={"Idempotency-Key": "order-1"})

    assert (replay.status_code, replay.get_json()) == (201, first.get_json())
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert stored() == after_first
    assert api.post(event(), headers={"Idempotency-Key": "order-2"}).status_code == 200
    assert count(Lead) == 2


def test_a_failed_request_does_not_use_up_its_idempotency_key(api):
    assert api.post(event(type="Bogus"), headers={"Idempotency-Key": "k"}).status_code == 400
    assert api.post(event(), headers={"Idempotency-Key": "k"}).status_code == 201


def test_concurrent_retries_with_one_idempotency_key_store_one_lead(api, live_server):
    answers = []

    def send() -> None:
        request = urllib.request.Request(
            f"{live_server.url}/api/v1/events", data=json.dumps(event()).encode(), method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": "same", **basic_auth(api.key)})
        with urllib.request.urlopen(request, timeout=30) as response:
            answers.append((response.status, json.loads(response.read())))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == 6 and all(answer == answers[0] for answer in answers)
    assert answers[0][0] == 201
    assert count(Lead) == 1 and count(IdempotencyRecord) == 1


def test_an_idempotency_key_too_long_is_400(api):
    answer = api.post(event(), headers={"Idempotency-Key": "k" * 201})

    assert answer.status_code == 400
    assert answer.get_json()["errors"][0]["field"] == "Idempotency-Key"
    assert count(Lead) == 0


# --- Routing -------------------------------------------------------------------------------------

def test_round_robin_among_active_agents_and_the_routing_log_says_why(api, users):
    users["west_agent"].is_active_user = False
    db.session.commit()
    owners = [api.post(event(person=person("P", str(n), f"p{n}@example.com"))).get_json()["assignedTo"]
              for n in range(4)]

    assert owners == ["Alex Agent", "Avery Agent", "Alex Agent", "Avery Agent"]
    first = db.session.scalar(select(Contact).order_by(Contact.id))
    assert routing_log(first.id) == ["No lead-flow rule matched source smithandassociates.com, zip 33602: "
                                     "round robin among all active agents assigned to Alex Agent."]


def test_round_robin_prefers_agents_serving_the_zip(api, users):
    db.session.add(ServiceZip(user_id=users["west_agent"].id, zip="33602"))
    db.session.commit()
    answers = [api.post(event(person=person("P", str(n), f"p{n}@example.com"))).get_json() for n in range(2)]
    elsewhere = api.post(event(property={"code": "99999"}, person=person("Q", "Q", "q@example.com"))).get_json()

    assert [answer["assignedTo"] for answer in answers] == ["Wes West", "Wes West"]
    assert "round robin among agents serving zip 33602" in routing_log(answers[0]["id"])[0]
    assert elsewhere["assignedTo"] == "Alex Agent"


def test_lead_flow_rules_route_by_source_and_zip_in_order(api, users):
    db.session.add_all([
        LeadFlowRule(position=1, source="Realtor.com", zip="33602", assign_to_id=users["west_agent"].id),
        LeadFlowRule(position=2, source="smithandassociates.com", assign_to_id=users["agent2"].id),
        LeadFlowRule(position=3, zip="33602", assign_to_id=users["agent"].id),
    ])
    db.session.commit()

    realtor = api.post(event(source="realtor.com", person=person("R", "R", "r@example.com"))).get_json()
    smith = api.post(event(person=person("S", "S", "s@example.com"))).get_json()
    other_site = api.post(event(source="zillow.com", person=person("Z", "Z", "z@example.com"))).get_json()

    assert (realtor["assignedTo"], smith["assignedTo"], other_site["assignedTo"]) == \
        ("Wes West", "Avery Agent", "Alex Agent")
    assert routing_log(smith["id"]) == ["Lead-flow rule (source smithandassociates.com, zip any) matched "
                                        "source smithandassociates.com, zip 33602: assigned to Avery Agent."]
    assert db.session.get(Contact, realtor["id"]).contact_source == "Realtor.com"
    assert db.session.get(Contact, realtor["id"]).office_id == users["west_agent"].office_id


def test_a_rule_for_an_inactive_agent_is_skipped(api, users):
    db.session.add(LeadFlowRule(position=1, zip="33602", assign_to_id=users["agent2"].id))
    users["agent2"].is_active_user = False
    db.session.commit()

    assert api.post(event()).get_json()["assignedTo"] == "Alex Agent"


def test_a_lead_for_an_existing_contact_goes_to_its_owner(api, users, make_contact):
    existing = make_contact(users["agent2"], "Ana", "Ruiz", emails=["ana@example.com"])
    db.session.add(LeadFlowRule(position=1, zip="33602", assign_to_id=users["agent"].id))
    db.session.commit()

    answer = api.post(event()).get_json()

    assert (answer["id"], answer["assignedTo"]) == (existing.id, "Avery Agent")
    assert routing_log(existing.id) == ["Showing Request from an existing contact: went to its owner Avery Agent."]


def test_with_no_active_agent_the_contact_waits_unassigned(api, users):
    for key in ("agent", "agent2", "west_agent"):
        users[key].is_active_user = False
    db.session.commit()

    answer = api.post(event()).get_json()

    assert answer["assignedTo"] is None
    assert "no agent is active: left unassigned" in routing_log(answer["id"])[0]


# --- Alerts are written with the lead ------------------------------------------------------------

def test_immediate_events_queue_an_alert_and_digest_events_wait_for_the_digest(api):
    api.post(event(type=IMMEDIATE_INQUIRIES[0]))
    api.post(event(type=DIGEST_INQUIRIES[0]))

    alerts = list(db.session.scalars(select(OutboxMessage)))
    assert [(message.kind, message.status) for message in alerts] == [("alert", "queued")]
    assert [lead.digest_pending for lead in db.session.scalars(select(Lead).order_by(Lead.id))] == [False, True]


# --- Webhooks: the same payloads as from the stored rows -----------------------------------------

def _payloads_by_viewer() -> list[tuple[int, str, dict]]:
    rows = db.session.execute(select(WebhookSubscription.created_by_id, WebhookDelivery.event_type,
                                     OutboxMessage.body_text)
                              .join(WebhookDelivery, WebhookDelivery.subscription_id == WebhookSubscription.id)
                              .join(OutboxMessage, OutboxMessage.id == WebhookDelivery.message_id)
                              .order_by(WebhookDelivery.id))
    return [(viewer_id, event_type, json.loads(body)) for viewer_id, event_type, body in rows]


def _expected_payloads(viewers: list[User], contact_id: int) -> list[tuple[int, str, dict]]:
    """What `webhooks.emit` would send about the contact and its latest lead, read back through the ORM."""
    contact, lead = db.session.get(Contact, contact_id), leads_of(contact_id)[-1]
    created = [(viewers[0].id, "contact.created", {"contact": webhooks.contact_data(viewers[0], contact)})
               ] if len(leads_of(contact_id)) == 1 else []
    return created + [(viewer.id, "lead.created", {"contact": webhooks.contact_data(viewer, contact),
                                                   "lead": webhooks.lead_data(viewer, contact, lead)})
                      for viewer in viewers]


def test_webhooks_of_an_event_carry_the_stored_contact_and_lead_as_each_subscriber_may_see_them(api, app, users,
                                                                                               monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", True)
    viewers = [users["broker"], users["west_agent"]]
    with app.test_request_context():
        webhooks.subscribe(viewers[0], "http://127.0.0.1:9/hooks", ["contact.created", "lead.created"])
        webhooks.subscribe(viewers[1], "http://127.0.0.1:9/agent", ["lead.created"])
    db.session.commit()
    message = "Call me at 555-201-3344 or ana@example.com"
    contact_id = api.post(event(message=message)).get_json()["id"]
    expected = _expected_payloads(viewers, contact_id)
    assert api.post(event(message=message, person=person("Ana", "Ruiz", "ana@example.com", "555-777-1212"))
                    ).status_code == 200
    expected += _expected_payloads(viewers, contact_id)

    sent = [(viewer_id, kind, payload["data"]) for viewer_id, kind, payload in _payloads_by_viewer()]
    assert sent == expected
    broker_sees, agent_sees = sent[3][2], sent[4][2]
    assert broker_sees["contact"]["phones"] == ["555-201-3344", "555-777-1212"]
    assert agent_sees["contact"]["emails"] == ["XXX"] and "555-201-3344" not in agent_sees["lead"]["message"]


# --- OpenAPI, CLI and Settings -------------------------------------------------------------------

def test_the_openapi_document_describes_the_endpoint_body_and_errors(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()

    operation = document["paths"]["/events"]["post"]
    assert document["openapi"].startswith("3.")
    assert set(operation["responses"]) == {"200", "201", "400", "401", "413", "415", "429"}
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Event"}
    assert set(document["components"]["schemas"]["Event"]["required"]) == {"type", "person"}
    assert "Showing Request" in document["components"]["schemas"]["Event"]["properties"]["type"]["enum"]
    assert document["components"]["securitySchemes"]["apiKey"]["scheme"] == "basic"


def test_the_cli_creates_a_key_prints_it_once_and_stores_only_its_hash(app, users):
    result = app.test_cli_runner().invoke(args=["api-key", "create", "Agent site", "--rate-limit", "50"])

    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    stored_key = db.session.scalar(select(ApiKey))
    assert key.startswith("crm_") and key not in stored_key.key_hash and stored_key.rate_limit_per_minute == 50
    assert stored_key.key_hash == api_keys.hash_key(key)
    assert EventsApi(app, key).post(event()).status_code == 201


def test_the_broker_creates_lists_and_revokes_keys_in_settings(app, users, login_as):
    broker = login_as(users["broker"])

    created = broker.post("/settings/api-keys", {"name": "Realtor feed", "rate_limit": "120"})
    html = created.get_data(as_text=True)
    key = html.split('aria-label="New API key">')[1].split("<")[0]
    assert created.status_code == 201 and "it is shown this once" in html
    assert EventsApi(app, key).post(event()).status_code == 201
    listing = broker.get("/settings/api-keys").get_data(as_text=True)
    assert "Realtor feed" in listing and key[:12] in listing and key not in listing

    api_key = db.session.scalar(select(ApiKey))
    broker.post(f"/settings/api-keys/{api_key.id}/revoke")
    assert EventsApi(app, key).post(event()).status_code == 401


def test_an_api_key_needs_a_name_and_a_sane_rate_limit(users, login_as):
    broker = login_as(users["broker"])
    answer = broker.post("/settings/api-keys", {"name": "", "rate_limit": "-4"})

    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "Name the website or system" in html and "Enter a number from 1 to 100,000." in html
    assert count(ApiKey) == 0


def test_the_broker_edits_lead_flow_rules(users, login_as):
    broker = login_as(users["broker"])
    agent2 = users["agent2"]

    broker.post("/settings/lead-flow", {"source": "smithandassociates.com", "zip": "", "assign_to_id": agent2.id})
    broker.post("/settings/lead-flow", {"source": "", "zip": "33602", "assign_to_id": users["agent"].id})
    rules = list(db.session.scalars(select(LeadFlowRule).order_by(LeadFlowRule.position)))
    assert [(rule.source, rule.zip) for rule in rules] == [("smithandassociates.com", None), (None, "33602")]

    broker.post(f"/settings/lead-flow/{rules[1].id}/move/up")
    db.session.expire_all()
    assert [rule.zip for rule in db.session.scalars(select(LeadFlowRule).order_by(LeadFlowRule.position))] == \
        ["33602", None]
    broker.post(f"/settings/lead-flow/{rules[0].id}/delete")
    assert count(LeadFlowRule) == 1


@pytest.mark.parametrize("form, message", [
    ({"source": "", "zip": ""}, "Give a source, a zip code or both"),
    ({"source": "", "zip": "3360"}, "Enter a 5-digit zip code."),
])
def test_a_lead_flow_rule_with_bad_input_is_refused_next_to_the_field(users, login_as, form, message):
    broker = login_as(users["broker"])
    answer = broker.post("/settings/lead-flow", {**form, "assign_to_id": users["agent"].id})

    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    assert count(LeadFlowRule) == 0


@pytest.mark.parametrize("path", ["/settings/api-keys", "/settings/lead-flow", "/settings/notifications"])
def test_only_the_broker_reaches_these_settings(users, login_as, path):
    assert login_as(users["manager"]).get(path).status_code == 403
    assert login_as(users["broker"]).get(path).status_code == 200


def test_a_wrong_method_on_the_api_answers_json(app):
    response = app.test_client().get("/api/v1/events")
    assert response.status_code == 405
    assert response.is_json and response.get_json()["errors"][0]["message"]
