"""Users, offices, sources and passwords by email (docs/product.md#settings), with a real SMTP server (aiosmtpd):
invitation → set password → sign in, Forgot password → reset, Change password, deactivation,
and every bad input answered beside its field with nothing changed."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crm import clock, worker
from crm.extensions import db
from crm.models import AccountToken, AppointmentOffer, Office, OutboxMessage, ServiceZip, User, ZipSponsorship
from crm.services import delivery, offers, passwords, settings

import markup
from events_support import free_port, smtp_server, text_part

NEW_PASSWORD = "correct horse battery"


@pytest.fixture
def mailbox(app, monkeypatch):
    port = free_port()
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{port}")
    with smtp_server(port) as received:
        yield received


def link_in(message) -> str:
    """The path of the one-use link in an email, as the user's browser would open it."""
    found = re.search(r"http://crm\.test(/set-password/\S+)", text_part(message))
    assert found, text_part(message)
    return found.group(1)


def deliver_to(mailbox, address: str):
    delivery.deliver_outbox()
    messages = mailbox.to(address)
    assert len(messages) == 1, [m["Subject"] for m in mailbox.messages]
    return messages[0]


def error_beside(html: str, field_id: str) -> str:
    errors = markup.parse(html).texts(f"p.error#{field_id}-error")
    assert errors, f"no error beside {field_id}"
    return errors[0]


def state_on_users_page(broker, name: str) -> str:
    rows = markup.parse(broker.get("/settings/users")).select("table.users tbody tr")
    [row] = [row for row in rows if row.css_first("td strong").text() == name]
    return row.css_first("span.badge").text()


def invite(broker, **fields):
    office = db.session.scalar(select(Office).where(Office.name == "Westshore"))
    form = {"new-name": "Nora Newhire", "new-email": "nora@demo.test", "new-role": "agent",
            "new-office": str(office.id)}
    form.update(fields)
    return broker.post("/settings/users", form)


# --- Invitation ------------------------------------------------------------------------------------

def test_an_invitation_email_lets_the_new_user_set_a_password_once_and_sign_in(web, login_as, users, mailbox):
    broker = login_as(users["broker"])
    response = invite(broker)
    assert response.status_code == 302
    nora = db.session.scalar(select(User).where(User.email == "nora@demo.test"))
    assert (nora.role, nora.office.name, nora.password_hash) == ("agent", "Westshore", "")
    assert state_on_users_page(broker, "Nora Newhire") == "Invited"
    assert web.post("/login", {"email": "nora@demo.test", "password": NEW_PASSWORD}).status_code == 401

    email = deliver_to(mailbox, "nora@demo.test")
    assert "works once, for 7 days" in text_part(email)
    link = link_in(email)
    page = web.get(link).get_data(as_text=True)
    assert all(label in page for label in ("New password", "Confirm password", "Set password", "Welcome, Nora"))
    done = web.post(link, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")

    assert web.post("/login", {"email": "nora@demo.test", "password": NEW_PASSWORD}).status_code == 302
    assert web.get("/contacts").status_code == 200
    again = web.post(link, {"new_password": "another password 2", "confirm_password": "another password 2"})
    assert again.status_code == 410 and "expired or was already used" in again.get_data(as_text=True)
    assert db.session.get(User, nora.id).check_password(NEW_PASSWORD)
    assert state_on_users_page(broker, "Nora Newhire") == "Active"


def test_the_invitation_link_expires_after_7_days(web, login_as, users, mailbox):
    with clock.frozen_at(clock.now()):
        invite(login_as(users["broker"]))
        link = link_in(deliver_to(mailbox, "nora@demo.test"))
        clock.advance(timedelta(days=7, minutes=1))
        response = web.post(link, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 410 and "expired or was already used" in response.get_data(as_text=True)
    assert db.session.scalar(select(User.password_hash).where(User.email == "nora@demo.test")) == ""


def test_links_are_signed_and_stored_only_as_a_hash(web, login_as, users, mailbox):
    invite(login_as(users["broker"]))
    link = link_in(deliver_to(mailbox, "nora@demo.test"))
    token = link.rsplit("/", 1)[1]
    stored = db.session.scalar(select(AccountToken))
    assert len(stored.token_hash) == 64 and stored.token_hash not in token
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert web.get(f"/set-password/{forged}").status_code == 410
    assert web.get("/set-password/not-a-token").status_code == 410


@pytest.mark.parametrize("fields, field_id, message", [
    ({"new-email": "AGENT@demo.test"}, "new-email", "A user with this email already exists."),
    ({"new-role": "superuser"}, "new-role", "Choose one of the roles: agent, concierge, manager, broker."),
    ({"new-email": "not-an-email"}, "new-email", "Enter a valid email address."),
    ({"new-name": ""}, "new-name", "Enter the user's name."),
])
def test_a_bad_invitation_says_why_beside_the_field_and_changes_nothing(login_as, users, fields, field_id, message):
    before = db.session.scalar(select(func.count()).select_from(User))
    response = invite(login_as(users["broker"]), **fields)
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), field_id) == message
    assert db.session.scalar(select(func.count()).select_from(User)) == before
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_only_the_broker_manages_users_offices_and_sources(login_as, users):
    manager = login_as(users["manager"])
    for path in ("/settings/users", "/settings/offices", "/settings/sources"):
        assert manager.get(path).status_code == 403
    assert invite(manager).status_code == 403


# --- Role, office, deactivation ------------------------------------------------------------------

def test_the_broker_changes_a_users_role_and_office(login_as, users):
    broker, agent = login_as(users["broker"]), users["agent"]
    west = db.session.scalar(select(Office).where(Office.name == "Westshore"))
    saved = broker.post(f"/settings/users/{agent.id}", {f"user-{agent.id}-role": "manager",
                                                        f"user-{agent.id}-office": str(west.id)})
    assert saved.status_code == 302
    db.session.refresh(agent)
    assert (agent.role, agent.office.name) == ("manager", "Westshore")
    bad = broker.post(f"/settings/users/{agent.id}", {f"user-{agent.id}-role": "owner",
                                                      f"user-{agent.id}-office": ""})
    assert bad.status_code == 422
    assert error_beside(bad.get_data(as_text=True), f"user-{agent.id}-role").startswith("Choose one of the roles")
    db.session.refresh(agent)
    assert (agent.role, agent.office.name) == ("manager", "Westshore")


def test_a_deactivated_agent_cannot_sign_in_gets_no_offers_and_keeps_their_contacts(
        web, login_as, users, make_contact):
    agent, broker = users["agent"], login_as(users["broker"])
    contact = make_contact(agent, "Kept", "Contact")
    signed_in = login_as(agent)
    deactivated = broker.post(f"/settings/users/{agent.id}/deactivate", {})
    assert deactivated.status_code == 302
    assert state_on_users_page(broker, "Alex Agent") == "Deactivated"

    assert signed_in.get("/contacts").status_code == 302, "an open session ends"
    assert web.post("/login", {"email": agent.email, "password": "demo1234"}).status_code == 401
    assert agent.id not in [user.id for user, _tier in offers.ranked_agents("33602")]
    assert db.session.get(type(contact), contact.id).owner_id == agent.id
    notice = login_as(users["manager"]).get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert "Alex Agent is deactivated" in notice

    assert broker.post(f"/settings/users/{agent.id}/reactivate", {}).status_code == 302
    assert web.post("/login", {"email": agent.email, "password": "demo1234"}).status_code == 302


def test_an_offer_waiting_for_a_deactivated_agent_moves_on(login_as, users, make_contact):
    agent, second = users["agent"], users["agent2"]
    db.session.add_all([ServiceZip(user_id=agent.id, zip="33602"), ServiceZip(user_id=second.id, zip="33602"),
                        ZipSponsorship(user_id=agent.id, zip="33602")])
    contact = make_contact(None, "Olive", "Offer", zip="33602")
    offer = offers.convert_to_appointment(contact, users["concierge"], clock.now() + timedelta(days=1), "")
    db.session.commit()
    assert [r.user_id for r in offer.recipients if r.status == "Offered"] == [agent.id]
    login_as(users["broker"]).post(f"/settings/users/{agent.id}/deactivate", {})
    worker.run_once()
    db.session.expire_all()
    assert {r.user_id: r.status for r in db.session.get(AppointmentOffer, offer.id).recipients} == {
        agent.id: "Expired", second.id: "Offered"}


def test_the_broker_cannot_deactivate_themselves(login_as, users):
    broker = users["broker"]
    response = login_as(broker).post(f"/settings/users/{broker.id}/deactivate", {})
    assert response.status_code == 422 and "You cannot deactivate yourself." in response.get_data(as_text=True)
    assert db.session.get(User, broker.id).is_active_user


# --- Offices and sources ---------------------------------------------------------------------------

def test_the_broker_adds_and_renames_offices_with_their_time_zones(login_as, users):
    broker = login_as(users["broker"])
    response = broker.post("/settings/offices", {"new-name": "Brandon", "new-time_zone": "America/Chicago"})
    assert response.status_code == 302
    brandon = db.session.scalar(select(Office).where(Office.name == "Brandon"))
    assert brandon.time_zone == "America/Chicago"
    renamed = broker.post(f"/settings/offices/{brandon.id}", {f"office-{brandon.id}-name": "Brandon East",
                                                              f"office-{brandon.id}-time_zone": "America/New_York"})
    assert renamed.status_code == 302
    db.session.refresh(brandon)
    assert (brandon.name, brandon.time_zone) == ("Brandon East", "America/New_York")


@pytest.mark.parametrize("zone", ["EST5EDTX", "Mars/Olympus_Mons", "new york"])
def test_an_office_time_zone_must_be_an_iana_name(login_as, users, zone):
    broker = login_as(users["broker"])
    office = db.session.scalar(select(Office).where(Office.name == "Downtown"))
    response = broker.post(f"/settings/offices/{office.id}", {f"office-{office.id}-name": "Renamed",
                                                              f"office-{office.id}-time_zone": zone})
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), f"office-{office.id}-time_zone") == (
        "Enter an IANA time zone name, such as America/New_York.")
    db.session.refresh(office)
    assert (office.name, office.time_zone) == ("Downtown", "America/New_York")
    added = broker.post("/settings/offices", {"new-name": "Nowhere", "new-time_zone": zone})
    assert added.status_code == 422 and db.session.scalar(select(Office).where(Office.name == "Nowhere")) is None


def test_the_broker_adds_source_values_that_agents_then_pick(login_as, users):
    broker = login_as(users["broker"])
    contact_sources = "\n".join([*settings.DEFAULTS["contact_sources"], "Zillow"])
    business_sources = "\n".join([*settings.DEFAULTS["business_sources"], "Radio"])
    saved = broker.post("/settings/sources", {"contact_sources": contact_sources, "business_sources": business_sources})
    assert saved.status_code == 302
    assert settings.get("contact_sources")[-1] == "Zillow" and settings.get("business_sources")[-1] == "Radio"
    assert "Zillow" in markup.parse(login_as(users["agent"]).get("/contacts/new")).attrs("option", "value")

    removed = broker.post("/settings/sources", {"contact_sources": "Zillow", "business_sources": business_sources})
    assert removed.status_code == 422
    assert error_beside(removed.get_data(as_text=True), "contact_sources") == (
        "Broker, Agent, Realtor.com cannot be removed: they are built in.")
    assert "Zillow" in settings.get("contact_sources") and "Broker" in settings.get("contact_sources")


# --- Forgot password and reset -----------------------------------------------------------------

def test_forgot_password_answers_the_same_for_known_and_unknown_emails_and_resets_once(web, users, mailbox):
    answers = []
    for email in ("Agent@demo.test", "nobody@demo.test"):
        posted = web.post("/forgot-password", {"email": email})
        answers.append((posted.status_code, posted.headers["Location"],
                        markup.parse(web.get(posted.headers["Location"])).texts("p.flash")))
    assert answers[0] == answers[1]
    assert answers[0][0] == 302 and "a link to reset its password is on its way" in answers[0][2][0]
    email = deliver_to(mailbox, "agent@demo.test")
    assert mailbox.to("nobody@demo.test") == []
    link = link_in(email)

    short = web.post(link, {"new_password": "short", "confirm_password": "short"})
    assert short.status_code == 422
    assert error_beside(short.get_data(as_text=True), "new_password") == "Use at least 10 characters."
    assert web.post(link, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}).status_code == 302
    assert web.post("/login", {"email": "agent@demo.test", "password": "demo1234"}).status_code == 401
    assert web.post("/login", {"email": "agent@demo.test", "password": NEW_PASSWORD}).status_code == 302
    web.get("/contacts")  # the CSRF token changed at sign-in: a browser holds the new one from the page
    twice = web.post(link, {"new_password": "third password!", "confirm_password": "third password!"})
    assert twice.status_code == 410
    assert db.session.get(User, users["agent"].id).check_password(NEW_PASSWORD)


def test_a_reset_link_expires(web, users, mailbox):
    with clock.frozen_at(clock.now()):
        web.post("/forgot-password", {"email": "agent@demo.test"})
        link = link_in(deliver_to(mailbox, "agent@demo.test"))
        clock.advance(passwords.LINK_LIFETIMES["reset"] + timedelta(seconds=1))
        assert web.get(link).status_code == 410
        response = web.post(link, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 410
    assert db.session.get(User, users["agent"].id).check_password("demo1234")


def test_a_deactivated_user_gets_no_reset_link(web, users, mailbox):
    users["agent"].is_active_user = False
    db.session.commit()
    assert web.post("/forgot-password", {"email": "agent@demo.test"}).status_code == 302
    delivery.deliver_outbox()
    assert mailbox.messages == []


@pytest.mark.parametrize("password, confirmation, field, message", [
    ("short", "short", "new_password", "Use at least 10 characters."),
    ("agent@demo.test", "agent@demo.test", "new_password", "Your password must not be your email address."),
    ("AGENT@DEMO.TEST", "AGENT@DEMO.TEST", "new_password", "Your password must not be your email address."),
    (NEW_PASSWORD, NEW_PASSWORD + "x", "confirm_password", "The two passwords differ: type the same password twice."),
])
def test_a_new_password_must_be_long_and_not_the_email(web, users, mailbox, password, confirmation, field, message):
    web.post("/forgot-password", {"email": "agent@demo.test"})
    link = link_in(deliver_to(mailbox, "agent@demo.test"))
    response = web.post(link, {"new_password": password, "confirm_password": confirmation})
    assert response.status_code == 422 and error_beside(response.get_data(as_text=True), field) == message
    assert db.session.get(User, users["agent"].id).check_password("demo1234")
    assert db.session.scalar(select(AccountToken.used_at)) is None, "the link still works after a refusal"


# --- Change password in Preferences ------------------------------------------------------------

def test_change_password_in_preferences(web, login_as, users):
    agent, on_another_device = login_as(users["agent"]), login_as(users["agent"])
    assert "Change password" in agent.get("/preferences").get_data(as_text=True)
    wrong = agent.post("/preferences/password", {"current_password": "nope", "new_password": NEW_PASSWORD,
                                                 "confirm_password": NEW_PASSWORD})
    assert wrong.status_code == 422
    assert error_beside(wrong.get_data(as_text=True), "current_password") == "That is not your current password."
    short = agent.post("/preferences/password", {"current_password": "demo1234", "new_password": "tiny",
                                                 "confirm_password": "tiny"})
    assert short.status_code == 422 and db.session.get(User, users["agent"].id).check_password("demo1234")
    changed = agent.post("/preferences/password", {"current_password": "demo1234", "new_password": NEW_PASSWORD,
                                                   "confirm_password": NEW_PASSWORD})
    assert changed.status_code == 302
    assert agent.get("/contacts").status_code == 200  # this session goes on
    assert "/login" in on_another_device.get("/contacts").headers["Location"]  # the others end (docs/product.md#trust)
    assert web.post("/login", {"email": "agent@demo.test", "password": NEW_PASSWORD}).status_code == 302


def test_settings_forms_need_the_csrf_token(app, login_as, users):
    broker = login_as(users["broker"])
    response = broker.post("/settings/users", {"csrf_token": "forged", "new-name": "X", "new-email": "x@demo.test",
                                               "new-role": "agent", "new-office": ""})
    assert response.status_code == 400
    assert db.session.scalar(select(User).where(User.email == "x@demo.test")) is None
