"""Appointment offers (docs/product.md#offers-and-claims): ranking, the offer by email and text, Claim and Decline,
expiry moving the offer on (test clock, run by the worker), `Unclaimed`, refusals that are logged and change
nothing, rebroadcast, and the atomic claim under real concurrent HTTP requests."""
import threading
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm import clock, worker
from crm.extensions import db
from crm.models import AppointmentOffer, Contact, OfferRecipient, OutboxMessage
from crm.services import manage, offers, settings

import markup
from referral_helpers import HttpUser, convert, give_territory, routing_actions

ZIP = "33602"
START = datetime(2030, 3, 1, 9, 0)


@pytest.fixture
def lead(make_contact, users):
    """A raw seller lead in ZIP, owned by nobody yet, with a phone and an email."""
    return make_contact(None, "Ana", "Ruiz", emails=["ana.ruiz@example.com"], phones=["813-555-0142"],
                        inquiry="Seller Inquiry", zip=ZIP, street="12 Oak St", city="Tampa")


@pytest.fixture
def two_agents(users):
    """agent2 sponsors the zip (ranked first), agent serves it (second)."""
    give_territory(users["agent2"], serves=[ZIP], sponsors=[ZIP])
    give_territory(users["agent"], serves=[ZIP])
    users["agent"].phone = "813-555-0001"
    db.session.commit()
    return users["agent2"], users["agent"]


def _recipient(offer, user) -> OfferRecipient:
    db.session.expire_all()
    return db.session.scalar(db.select(OfferRecipient).where(OfferRecipient.offer_id == offer.id,
                                                             OfferRecipient.user_id == user.id))


def test_ranking_sponsors_then_guaranteed_display_then_least_recently_offered(make_user, users):
    long_ago, recently = START - timedelta(days=30), START - timedelta(days=1)
    plain_recent = make_user("plain.recent@demo.test")
    plain_never = make_user("plain.never@demo.test")
    plain_old = make_user("plain.old@demo.test")
    display = make_user("display@demo.test")
    sponsor_recent = make_user("sponsor.recent@demo.test")
    sponsor_old = make_user("sponsor.old@demo.test")
    inactive_sponsor = make_user("inactive@demo.test", is_active_user=False)
    elsewhere = make_user("elsewhere@demo.test")
    give_territory(plain_recent, serves=[ZIP], last_offered_at=recently)
    give_territory(plain_never, serves=[ZIP])
    give_territory(plain_old, serves=[ZIP], last_offered_at=long_ago)
    give_territory(display, serves=[ZIP], guaranteed_display=True, last_offered_at=long_ago)
    give_territory(sponsor_recent, serves=[ZIP], sponsors=[ZIP], last_offered_at=recently)
    give_territory(sponsor_old, serves=[ZIP], sponsors=[ZIP], last_offered_at=long_ago)
    give_territory(inactive_sponsor, serves=[ZIP], sponsors=[ZIP])
    give_territory(elsewhere, serves=["33611"], sponsors=[ZIP], guaranteed_display=True)
    give_territory(users["concierge"], serves=[ZIP])  # not an agent

    ranked = offers.ranked_agents(ZIP)

    assert [agent.email for agent, _tier in ranked] == [
        "sponsor.old@demo.test", "sponsor.recent@demo.test", "display@demo.test",
        "plain.never@demo.test", "plain.old@demo.test", "plain.recent@demo.test"]
    assert [tier for _agent, tier in ranked] == [0, 0, 1, 2, 2, 2]


def test_conversion_offers_the_first_agent_by_email_and_text(login_as, users, lead, two_agents):
    sponsor, _second = two_agents
    sponsor.phone = "813-555-0002"
    db.session.commit()
    concierge = login_as(users["concierge"])
    tomorrow = clock.now() + timedelta(days=1)

    response = concierge.post(f"/concierge/{lead.id}/convert", {
        "date": tomorrow.strftime("%Y-%m-%d"), "time": "10:30", "note": "Call her cell 813-555-0142 first"})

    assert response.status_code == 302
    assert "offered to Avery Agent, who has 30 minutes" in concierge.get("/concierge/").get_data(as_text=True)
    offer = db.session.scalar(db.select(AppointmentOffer).where(AppointmentOffer.contact_id == lead.id))
    entered_in_office_zone = datetime.combine(tomorrow.date(), time(10, 30), ZoneInfo("America/New_York"))
    assert (offer.status, offer.mode) == ("Open", "sequential")
    assert offer.appointment_at == entered_in_office_zone.astimezone(UTC).replace(tzinfo=None)
    assert [(r.user.email, r.status) for r in offer.recipients] == [
        ("agent2@demo.test", "Offered"), ("agent@demo.test", "Waiting")]
    assert offer.recipients[0].expires_at - offer.recipients[0].offered_at == timedelta(minutes=30)
    assert db.session.get(Contact, lead.id).lead_type == "Appointment"
    messages = list(db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == "offer")))
    assert sorted((m.channel, m.recipient) for m in messages) == [("email", "agent2@demo.test"),
                                                                   ("sms", "813-555-0002")]
    for message in messages:
        assert f"http://crm.test/offers/{offer.id}" in message.body_text
        assert "813-555-0142" not in message.body_text and "ana.ruiz@example.com" not in message.body_text
    assert routing_actions(lead) == ["Converted", "Ranked", "Offered"]


def test_claim_makes_the_agent_owner_and_unlocks_the_phone(login_as, users, lead, two_agents):
    sponsor, _second = two_agents
    offer = convert(lead, users["concierge"])
    client = login_as(sponsor)
    page = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert "30 minutes left" in page and "813-555-0142" not in page

    response = client.post(f"/offers/{offer.id}/claim")

    assert response.status_code == 302 and response.headers["Location"] == f"/contacts/{lead.id}"
    contact = db.session.get(Contact, lead.id)
    assert (contact.owner_id, contact.referral_status) == (sponsor.id, "Appointment Set")
    assert db.session.get(AppointmentOffer, offer.id).claimed_by_id == sponsor.id
    assert "813-555-0142" in client.get(f"/contacts/{lead.id}").get_data(as_text=True)
    assert routing_actions(lead)[-1] == "Claimed"


def test_decline_moves_the_offer_to_the_next_agent(login_as, users, lead, two_agents):
    sponsor, second = two_agents
    offer = convert(lead, users["concierge"])

    response = login_as(sponsor).post(f"/offers/{offer.id}/decline")

    assert response.status_code == 302
    assert _recipient(offer, sponsor).status == "Declined"
    assert _recipient(offer, second).status == "Offered"
    assert db.session.scalar(db.select(OutboxMessage).where(OutboxMessage.recipient == "agent@demo.test"))
    assert routing_actions(lead)[-2:] == ["Declined", "Offered"]


def test_expiry_moves_the_offer_on_without_anyone_visiting_a_page(users, lead, two_agents):
    sponsor, second = two_agents
    settings.put("claim_window_minutes", 15)
    db.session.commit()
    with clock.frozen_at(START):
        offer = convert(lead, users["concierge"])
        clock.advance(timedelta(minutes=14, seconds=59))
        worker.run_once()
        assert _recipient(offer, sponsor).status == "Offered"

        clock.advance(timedelta(seconds=1))
        worker.run_once()

        assert _recipient(offer, sponsor).status == "Expired"
        turn = _recipient(offer, second)
        assert (turn.status, turn.offered_at, turn.expires_at) == ("Offered", clock.now(),
                                                                   clock.now() + timedelta(minutes=15))
        assert routing_actions(lead)[-2:] == ["Expired", "Offered"]


def test_nobody_left_returns_it_to_the_concierge_as_unclaimed(login_as, users, lead, two_agents):
    sponsor, second = two_agents
    with clock.frozen_at(START):
        offer = convert(lead, users["concierge"])
        login_as(sponsor).post(f"/offers/{offer.id}/decline")
        clock.advance(timedelta(minutes=31))
        worker.run_once()

    db.session.expire_all()
    assert db.session.get(AppointmentOffer, offer.id).status == "Unclaimed"
    assert routing_actions(lead)[-2:] == ["Expired", "Unclaimed"]
    concierge = login_as(users["concierge"])
    queue = markup.parse(concierge.get("/concierge/"))
    assert "Ana Ruiz" in queue.text(f"section[aria-labelledby=unclaimed-title] #unclaimed-{offer.id}")

    tomorrow = (clock.now() + timedelta(days=1)).strftime("%Y-%m-%d")
    assert concierge.post(f"/concierge/{lead.id}/convert", {"date": tomorrow, "time": "09:00"}).status_code == 302
    queue = concierge.get("/concierge/").get_data(as_text=True)
    assert "Nothing unclaimed." in queue and "Ana Ruiz" in queue.split('id="offers-title"')[1]


def test_conversion_with_no_eligible_agent_is_unclaimed_at_once(users, lead):
    offer = convert(lead, users["concierge"])
    assert offer.status == "Unclaimed" and offer.recipients == []
    assert routing_actions(lead) == ["Converted", "Unclaimed"]


def _owner_and_offer_state(lead, offer):
    db.session.expire_all()
    current = db.session.get(AppointmentOffer, offer.id)
    return (db.session.get(Contact, lead.id).owner_id, current.status, current.claimed_by_id,
            [(r.user_id, r.status) for r in current.recipients])


def test_claim_after_expiry_is_refused_logged_and_changes_nothing(login_as, users, lead, two_agents):
    sponsor, _second = two_agents
    with clock.frozen_at(START):
        offer = convert(lead, users["concierge"])
        client = login_as(sponsor)
        clock.advance(timedelta(minutes=30))
        before = _owner_and_offer_state(lead, offer)

        response = client.post(f"/offers/{offer.id}/claim")

    assert response.status_code == 409
    assert "Your claim window ended at 4:30 AM EST" in response.get_data(as_text=True)
    assert _owner_and_offer_state(lead, offer) == before
    assert routing_actions(lead)[-1] == "Claim refused"


@pytest.mark.parametrize("who", ["agent", "west_agent"])
def test_an_offer_not_made_to_you_is_a_404_for_every_answer(login_as, users, lead, two_agents, who):
    offer = convert(lead, users["concierge"])
    before = _owner_and_offer_state(lead, offer)
    log_before = routing_actions(lead)
    client = login_as(users[who])  # agent is second in rank (waiting), west_agent not eligible at all

    assert client.get(f"/offers/{offer.id}").status_code == 404
    for answer in ("claim", "decline"):
        response = client.post(f"/offers/{offer.id}/{answer}")
        assert response.status_code == 404 and "Ana Ruiz" not in response.get_data(as_text=True)
    assert client.post("/offers/999/claim").status_code == 404
    assert _owner_and_offer_state(lead, offer) == before
    assert routing_actions(lead) == log_before


@pytest.mark.parametrize("action", ["Delete", "Archive"])
def test_deleting_or_archiving_the_contact_closes_its_open_offer(login_as, users, lead, two_agents, action):
    sponsor, _second = two_agents
    offer = convert(lead, users["concierge"])
    manage.perform(users["manager"], action.lower(), lead)
    db.session.commit()
    client = login_as(sponsor)
    assert client.get(f"/offers/{offer.id}").status_code == 404
    assert client.post(f"/offers/{offer.id}/claim").status_code == 404
    assert "Ana Ruiz" not in client.get("/offers/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(AppointmentOffer, offer.id).status == "Closed"
    assert "Offer closed" in routing_actions(lead)


def test_second_claim_and_claim_after_decline_are_refused(login_as, users, lead, two_agents):
    sponsor, second = two_agents
    offer = convert(lead, users["concierge"])
    login_as(sponsor).post(f"/offers/{offer.id}/decline")
    declined_again = login_as(sponsor).post(f"/offers/{offer.id}/claim")
    assert declined_again.status_code == 409
    assert "You declined this offer" in declined_again.get_data(as_text=True)

    client = login_as(second)
    assert client.post(f"/offers/{offer.id}/claim").status_code == 302
    state = _owner_and_offer_state(lead, offer)
    again = client.post(f"/offers/{offer.id}/claim")

    assert again.status_code == 409 and "You have already claimed this offer." in again.get_data(as_text=True)
    assert _owner_and_offer_state(lead, offer) == state
    assert routing_actions(lead).count("Claim refused") == 2


def test_offer_page_shows_the_time_left(login_as, users, lead, two_agents):
    sponsor, _second = two_agents
    with clock.frozen_at(START):
        offer = convert(lead, users["concierge"])
        client = login_as(sponsor)
        assert "30 minutes left" in client.get(f"/offers/{offer.id}").get_data(as_text=True)
        clock.advance(timedelta(minutes=12, seconds=30))
        page = client.get(f"/offers/{offer.id}", htmx=True).get_data(as_text=True)
        assert "18 minutes left" in page and page.lstrip().startswith('<section id="offer"')
        assert markup.parse(page).attr("section#offer", "hx-trigger") == "every 30s"
        listing = client.get("/offers/").get_data(as_text=True)
        assert "Ana Ruiz" in listing and "18 minutes left" in listing


def test_conversion_of_a_lead_with_an_open_offer_or_inactive_is_refused(login_as, users, lead, two_agents):
    convert(lead, users["concierge"])
    concierge = login_as(users["concierge"])
    tomorrow = (clock.now() + timedelta(days=1)).strftime("%Y-%m-%d")

    again = concierge.post(f"/concierge/{lead.id}/convert", {"date": tomorrow, "time": "10:00"})

    assert again.status_code == 422 and "already has an open offer" in again.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(AppointmentOffer.id))) == 1


def test_rebroadcast_offers_every_eligible_agent_and_the_first_claim_wins(login_as, users, make_user, lead,
                                                                         two_agents):
    sponsor, second = two_agents
    lead.owner_id = users["agent"].id
    db.session.commit()
    third = make_user("third@demo.test")
    give_territory(third, serves=[ZIP])

    offer = offers.start_rebroadcast(lead, users["manager"])
    db.session.commit()

    assert offer.mode == "rebroadcast" and offer.appointment_at is None
    assert sorted((r.user.email, r.status) for r in offer.recipients) == [
        ("agent2@demo.test", "Offered"), ("third@demo.test", "Offered")]  # not the owner
    assert login_as(third).post(f"/offers/{offer.id}/claim").status_code == 302
    late = login_as(sponsor).post(f"/offers/{offer.id}/claim")
    assert late.status_code == 409 and "Another agent claimed this offer first." in late.get_data(as_text=True)
    contact = db.session.get(Contact, lead.id)
    assert contact.owner_id == third.id and contact.lead_type == "Active"  # a rebroadcast unlocks nothing
    assert second.id not in [r.user_id for r in offer.recipients]


def test_a_claimed_rebroadcast_shows_nothing_masking_hides(login_as, users, make_user, lead, two_agents):
    lead.owner_id = users["agent"].id
    third = make_user("third@demo.test")
    give_territory(third, serves=[ZIP])
    offer = offers.start_rebroadcast(lead, users["manager"])
    offer.note = "Call her on 813-555-0142"
    db.session.commit()
    client = login_as(third)
    assert client.post(f"/offers/{offer.id}/claim").status_code == 302
    html = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert "Call her on XXX" in html
    assert "813-555-0142" not in html and "ana.ruiz@example.com" not in html


def test_a_rebroadcast_nobody_claims_becomes_unclaimed(users, lead, two_agents):
    with clock.frozen_at(START):
        offer = offers.start_rebroadcast(lead, users["manager"])
        db.session.commit()
        clock.advance(timedelta(minutes=30))
        assert offers.expire_offers() == 2
    db.session.expire_all()
    assert db.session.get(AppointmentOffer, offer.id).status == "Unclaimed"


def _race(clients: list[HttpUser], offer_id: int) -> list[int]:
    """Every client posts Claim at the same moment (a barrier releases the threads together)."""
    barrier = threading.Barrier(len(clients))
    statuses = [None] * len(clients)

    def claim(index):
        barrier.wait()
        statuses[index] = clients[index].post(f"/offers/{offer_id}/claim")[0]

    threads = [threading.Thread(target=claim, args=(index,)) for index in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


def test_agents_claiming_at_the_same_moment_exactly_one_wins(live_server, make_user, make_contact, users):
    agents = [make_user(f"racer{n}@demo.test") for n in range(6)]
    for agent in agents:
        give_territory(agent, serves=[ZIP])
    clients = [HttpUser(live_server.url, agent.email) for agent in agents]
    for round_number in range(3):
        lead = make_contact(None, f"Race{round_number}", "Lead", zip=ZIP, phones=["813-555-0100"])
        offer = offers.start_rebroadcast(lead, users["manager"])
        db.session.commit()

        statuses = _race(clients, offer.id)

        assert sorted(statuses) == [302] + [409] * (len(agents) - 1)
        winner = agents[statuses.index(302)]
        db.session.expire_all()
        claimed = db.session.get(AppointmentOffer, offer.id)
        assert (claimed.status, claimed.claimed_by_id) == ("Claimed", winner.id)
        assert [r.user_id for r in claimed.recipients if r.status == "Claimed"] == [winner.id]
        assert db.session.get(Contact, lead.id).owner_id == winner.id
        assert routing_actions(lead).count("Claimed") == 1
        assert routing_actions(lead).count("Claim refused") == len(agents) - 1


def test_the_same_agent_claiming_twice_at_once_claims_once(live_server, users, lead, two_agents):
    sponsor, _second = two_agents
    offer = convert(lead, users["concierge"])
    signed_in = HttpUser(live_server.url, sponsor.email)

    statuses = _race([signed_in, signed_in, signed_in], offer.id)

    assert sorted(statuses) == [302, 409, 409]
    assert routing_actions(lead).count("Claimed") == 1
