"""Appointment offers (docs/product.md#offers-and-claims) and rebroadcasts (docs/product.md#manage-actions).

The concierge converts a lead into an appointment; it is offered to one eligible agent at a time
(mode `sequential`), each with the claim window to `Claim` or `Decline`. On a decline or at expiry
the next agent gets it; when nobody is left it is `Unclaimed`, back in the concierge queue. A
rebroadcast offers it to every eligible agent at once and the first claim wins.

Concurrency: every change to an open offer starts with a conditional UPDATE of the offer's row
(`WHERE status = 'Open'`). On PostgreSQL that takes the row lock, on SQLite the database's write
lock, so a claim, a decline and the worker's expiry of one offer run one after the other and each
re-reads what the one before committed. Of two simultaneous claims exactly one matches.
"""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, exists, func, select, update
from sqlalchemy.orm import aliased, joinedload, selectinload

from crm import clock, policy
from crm.extensions import db
from crm.models import AppointmentOffer, Contact, Lead, OfferRecipient, ServiceZip, User, ZipSponsorship
from crm.models.values import OfferStatus, RecipientStatus
from crm.services import (
    activity,
    display,
    local_time,
    masking,
    outbox,
    referrals,
    requests,
    settings,
    visibility,
    webhooks,
)
from crm.services.errors import FieldError
from crm.wording import plural

TIER_NAMES = ("sponsors the zip", "Guaranteed Display", "serves the zip")
RANKING_NAMES_LOGGED = 20


class OfferError(FieldError):
    """Bad input for a conversion or rebroadcast. The caller rolls back: nothing is changed."""


@dataclass
class Outcome:
    """The answer to a claim or decline; `ok` False means refused: nothing changed but the log."""
    ok: bool
    message: str
    offer: AppointmentOffer | None


def property_zip(contact: Contact) -> str | None:
    """The zip that decides eligibility: the contact's, else that of its latest lead's property."""
    zip_code = contact.zip or db.session.scalar(
        select(Lead.property_zip).where(Lead.contact_id == contact.id, Lead.property_zip.is_not(None))
        .order_by(Lead.occurred_at.desc()).limit(1))
    return zip_code[:5] if zip_code else None


def ranked_agents(zip_code: str, exclude_ids=()) -> list[tuple[User, int]]:
    """Eligible agents (active, serving the zip) best first: sponsors of the zip, then Guaranteed
    Display participants, then the rest; ties to whoever was offered a lead least recently.
    Returns (agent, tier) with tier an index of TIER_NAMES."""
    sponsors_zip = exists().where(ZipSponsorship.user_id == User.id, ZipSponsorship.zip == zip_code)
    tier = case((sponsors_zip, 0), (User.guaranteed_display.is_(True), 1), else_=2)
    query = (select(User, tier)
             .join(ServiceZip, and_(ServiceZip.user_id == User.id, ServiceZip.zip == zip_code))
             .where(User.is_agent, User.is_active_user.is_(True), User.id.not_in(exclude_ids))
             .order_by(tier, User.last_offered_at.asc().nulls_first(), User.id))
    return [(agent, agent_tier) for agent, agent_tier in db.session.execute(query)]


NOT_ACTIVE = "Only an Active lead can be converted: set its Lead Status to Active first."
NO_ZIP = "The lead has no zip code, so no agent can be chosen: add it on Contact Details first."
ALREADY_OFFERED = "This lead already has an open offer."


def _open_offer_of(contact: Contact):
    return select(AppointmentOffer.id).where(AppointmentOffer.contact_id == contact.id,
                                             AppointmentOffer.status == OfferStatus.OPEN).limit(1)


def conversion_blocker(contact: Contact) -> str | None:
    """Why `Convert to Appointment` cannot be used on this lead now, shown beside the disabled form."""
    if contact.lead_status != "Active":
        return NOT_ACTIVE
    if property_zip(contact) is None:
        return NO_ZIP
    if db.session.scalar(_open_offer_of(contact)) is not None:
        return ALREADY_OFFERED
    return None


def _lock_contact_without_open_offer(contact: Contact) -> None:
    """Take the contact's row so two simultaneous conversions cannot both open an offer."""
    db.session.execute(update(Contact).where(Contact.id == contact.id).values(updated_at=clock.now())
                       .execution_options(synchronize_session=False))
    if db.session.scalar(_open_offer_of(contact)) is not None:
        raise OfferError(ALREADY_OFFERED)


def _zip_or_error(contact: Contact) -> str:
    zip_code = property_zip(contact)
    if zip_code is None:
        raise OfferError(NO_ZIP)
    return zip_code


def convert_to_appointment(contact: Contact, actor: User, appointment_at: datetime, note: str) -> AppointmentOffer:
    """The concierge reached the consumer and set an appointment: offer it to the best agent."""
    if appointment_at <= clock.now():
        raise OfferError("The appointment must be in the future.", field="date")
    zip_code = _zip_or_error(contact)
    _lock_contact_without_open_offer(contact)
    db.session.refresh(contact)
    if contact.lead_status != "Active":
        raise OfferError(NOT_ACTIVE)
    contact.lead_type = "Appointment"
    activity.log(contact, actor, "Converted", "Converted into an appointment on "
                 f"{local_time.display(appointment_at, local_time.appointment_zone(contact, actor))}",
                 category="routing")
    return _open_offer(contact, actor, "sequential", ranked_agents(zip_code), zip_code, appointment_at, note)


def start_rebroadcast(contact: Contact, actor: User) -> AppointmentOffer:
    """Offer the lead to every eligible agent but its owner at once; the first claim gets it."""
    zip_code = _zip_or_error(contact)
    _lock_contact_without_open_offer(contact)
    activity.log(contact, actor, "Rebroadcast", "Offered to every eligible agent at once: the first claim wins",
                 category="routing")
    exclude = [contact.owner_id] if contact.owner_id else []
    return _open_offer(contact, actor, "rebroadcast", ranked_agents(zip_code, exclude), zip_code, None, "")


def _claim_window() -> timedelta:
    return timedelta(minutes=settings.get("claim_window_minutes"))


def _open_offer(contact: Contact, actor: User, mode: str, ranked: list[tuple[User, int]], zip_code: str,
                appointment_at: datetime | None, note: str) -> AppointmentOffer:
    now = clock.now()
    offer = AppointmentOffer(contact=contact, appointment_at=appointment_at, note=(note or "").strip(), mode=mode,
                             status=OfferStatus.OPEN, created_by_id=actor.id if actor else None, created_at=now)
    offer.recipients = [OfferRecipient(user=agent, rank=rank, status=RecipientStatus.WAITING)
                        for rank, (agent, _tier) in enumerate(ranked, start=1)]
    db.session.add(offer)
    db.session.flush()
    if not ranked:
        offer.status = OfferStatus.UNCLAIMED
        activity.log(contact, actor, "Unclaimed", f"No active agent serves zip {zip_code}: back in the concierge "
                     "queue as Unclaimed", category="routing")
        return offer
    ranking = "; ".join(f"{rank}. {agent.name} ({TIER_NAMES[tier]})"
                        for rank, (agent, tier) in enumerate(ranked[:RANKING_NAMES_LOGGED], start=1))
    more = f"; and {len(ranked) - RANKING_NAMES_LOGGED} more" if len(ranked) > RANKING_NAMES_LOGGED else ""
    activity.log(contact, actor, "Ranked", f"Eligible agents for zip {zip_code}: {ranking}{more}", category="routing")
    window = _claim_window()
    for recipient in offer.recipients if mode == "rebroadcast" else offer.recipients[:1]:
        _give_turn(offer, recipient, now, window)
    return offer


def _give_turn(offer: AppointmentOffer, recipient: OfferRecipient, now: datetime, window: timedelta) -> None:
    recipient.status, recipient.offered_at, recipient.expires_at = RecipientStatus.OFFERED, now, now + window
    recipient.user.last_offered_at = now
    _send_offer(offer, recipient, window)
    activity.log(offer.contact, None, "Offered", f"Offered to {recipient.user.name} (rank {recipient.rank}) "
                 f"until {recipient.expires_at:%b %d, %Y %H:%M}", category="routing")


def _send_offer(offer: AppointmentOffer, recipient: OfferRecipient, window: timedelta) -> None:
    """Email and text (when the agent has a phone) through the outbox. Never the consumer's phone
    or email: the agent sees those on the contact once it is theirs (docs/product.md#masking)."""
    contact, agent = offer.contact, recipient.user
    link = f"{current_app.config['BASE_URL']}/offers/{offer.id}"
    minutes = int(window.total_seconds() // 60)
    zone = local_time.zone_of(agent)
    place = display.address(contact.street, contact.city, contact.zip)
    if offer.appointment_at:
        when = local_time.display(offer.appointment_at, zone)
        what, subject = f"An appointment on {when}", f"Appointment offer: {contact.name} ({when})"
    else:
        what = "A lead, offered to every eligible agent at once (the first to claim gets it),"
        subject = f"Lead offer: {contact.name}"
    note = masking.redact_contact_info(contact, offer.note)
    lines = [f"Hello {agent.name},", "", f"{what} is offered to you.", f"Contact: {contact.name}",
             f"Property: {place or 'no address'}"]
    if note:
        lines.append(f"Note from the concierge: {note}")
    lines += ["", f"Claim or decline it within {plural(minutes, 'minute')} "
              f"(until {local_time.display_time(recipient.expires_at, zone)}): {link}",
              "After that it moves on. The phone number and email are shown once you have claimed it."]
    outbox.enqueue_email(agent.email, subject, "\n".join(lines), kind="offer", user=agent, contact_id=contact.id)
    if agent.phone:
        outbox.enqueue_sms(agent.phone, f"{subject}. Claim within {plural(minutes, 'minute')}: {link}",
                           kind="offer", user=agent, contact_id=contact.id)


def _lock_open_offer(offer_id: int) -> bool:
    """The conditional UPDATE that serialises every change to an open offer (see the module doc)."""
    locked = db.session.execute(update(AppointmentOffer)
                                .where(AppointmentOffer.id == offer_id, AppointmentOffer.status == OfferStatus.OPEN)
                                .values(status=OfferStatus.OPEN).execution_options(synchronize_session=False))
    return locked.rowcount == 1


def _respond(offer_id: int, user: User, status: str, now: datetime) -> bool:
    """Turn the user's live turn (offered, window not over) into `status`; False when there is none."""
    answered = db.session.execute(
        update(OfferRecipient)
        .where(OfferRecipient.offer_id == offer_id, OfferRecipient.user_id == user.id,
               OfferRecipient.status == RecipientStatus.OFFERED, OfferRecipient.expires_at > now)
        .values(status=status, responded_at=now).execution_options(synchronize_session=False))
    return answered.rowcount == 1


def _fresh_offer(offer_id: int) -> AppointmentOffer:
    db.session.expire_all()
    return db.session.get(AppointmentOffer, offer_id)


def claim(offer_id: int, user: User) -> Outcome | None:
    """The user's claim; None when the offer is not theirs to claim now: the caller rolls back and
    asks `refusal` why (so that the refusal is read, and logged, after whatever won the race)."""
    now = clock.now()
    if not (_lock_open_offer(offer_id) and _respond(offer_id, user, RecipientStatus.CLAIMED, now)):
        return None
    offer = _fresh_offer(offer_id)
    _hand_over(offer, user, now)
    what = "appointment" if offer.appointment_at else "lead"
    return Outcome(True, f"The {what} is yours: {offer.contact.name} is now your referral.", offer)


def decline(offer_id: int, user: User) -> Outcome | None:
    """The user's decline; None when refused, as for `claim`."""
    now = clock.now()
    if not (_lock_open_offer(offer_id) and _respond(offer_id, user, RecipientStatus.DECLINED, now)):
        return None
    offer = _fresh_offer(offer_id)
    activity.log(offer.contact, user, "Declined", f"{user.name} declined the offer", category="routing")
    _next_turn(offer, now)
    return Outcome(True, "You declined the offer; it moves on to the next agent.", offer)


def _hand_over(offer: AppointmentOffer, user: User, now: datetime) -> None:
    contact = offer.contact
    previous = contact.owner.name if contact.owner else "nobody"
    offer.status, offer.claimed_by_id, offer.claimed_at = OfferStatus.CLAIMED, user.id, now
    contact.owner_id, contact.office_id = user.id, user.office_id or contact.office_id
    activity.log(contact, user, "Claimed", f"{user.name} claimed the offer; owner {previous} → {user.name}",
                 category="routing")
    requests.refile_pending(contact, user)
    webhooks.emit("offer.claimed", contact, offer={"id": offer.id, "claimedById": user.id,
                                                   "claimedAt": webhooks.iso(now)})
    if offer.appointment_at:
        referrals.change_status(contact, user, "Appointment Set")


def _shown_to(offer: AppointmentOffer, recipient: OfferRecipient | None) -> bool:
    """Only agents an offer was made to know it exists, and only while its contact is in use."""
    contact = offer.contact
    return (recipient is not None and recipient.status != RecipientStatus.WAITING
            and contact.deleted_at is None and contact.archived_at is None)


def _refusal_reason(offer: AppointmentOffer, recipient: OfferRecipient, user: User, now: datetime, action: str) -> str:
    if offer.status == OfferStatus.CLAIMED:
        if offer.claimed_by_id == user.id:
            return "You have already claimed this offer."
        return "Another agent claimed this offer first."
    if recipient.status == RecipientStatus.DECLINED:
        return "You declined this offer: it has moved on."
    ended = recipient.status in (RecipientStatus.EXPIRED, RecipientStatus.OFFERED)
    if ended and recipient.expires_at and recipient.expires_at <= now:
        return ("Your claim window ended at "
                f"{local_time.display_time(recipient.expires_at, local_time.zone_of(user))}: the offer has moved on.")
    if offer.status == OfferStatus.UNCLAIMED:
        return "This offer is closed: nobody claimed it in time."
    return f"This offer can no longer be answered ({action.lower()} refused)."


def refusal(offer_id: int, user: User, action: str) -> Outcome:
    """Why a claim or decline ("Claim", "Decline") was refused, logged on the offer's routing log."""
    now = clock.now()
    offer = db.session.get(AppointmentOffer, offer_id)
    recipient = db.session.scalar(select(OfferRecipient).where(OfferRecipient.offer_id == offer_id,
                                                               OfferRecipient.user_id == user.id))
    if offer is None or not _shown_to(offer, recipient):
        return Outcome(False, "There is no such offer.", None)  # a 404, and nothing in a log they cannot see
    message = _refusal_reason(offer, recipient, user, now, action)
    activity.log(offer.contact, user, f"{action} refused", f"{user.name}: {message}", category="routing")
    return Outcome(False, message, offer)


def _next_turn(offer: AppointmentOffer, now: datetime) -> None:
    """After a decline or an expiry: the next agent in rank, or `Unclaimed` when nobody is left."""
    if any(recipient.status == RecipientStatus.OFFERED for recipient in offer.recipients):
        return  # a rebroadcast still open to the others
    for recipient in offer.recipients:
        if recipient.status != RecipientStatus.WAITING:
            continue
        if policy.is_agent(recipient.user) and recipient.user.is_active_user:
            _give_turn(offer, recipient, now, _claim_window())
            return
        recipient.status = RecipientStatus.SKIPPED
        activity.log(offer.contact, None, "Skipped", f"{recipient.user.name} is no longer an active agent",
                     category="routing")
    offer.status = OfferStatus.UNCLAIMED
    activity.log(offer.contact, None, "Unclaimed", "Nobody is left to offer it to: back in the concierge queue "
                 "as Unclaimed", category="routing")


def set_timing(actor: User, claim_window_minutes: int, update_request_days: int) -> None:
    """Settings › Offers: the claim window and the days before an update request, logged."""
    settings.put("claim_window_minutes", claim_window_minutes)
    settings.put("update_request_days", update_request_days)
    activity.log(None, actor, "Settings", f"Claim window {claim_window_minutes} minutes; "
                 f"update requests after {update_request_days} days", category="settings")


def end_turns_of(user: User) -> None:
    """A deactivated agent's open turns end now: the worker's next pass moves those offers on."""
    db.session.execute(update(OfferRecipient)
                       .where(OfferRecipient.user_id == user.id, OfferRecipient.status == RecipientStatus.OFFERED)
                       .values(expires_at=clock.now()).execution_options(synchronize_session=False))


def expire_offers() -> int:
    """Worker job: turns whose claim window is over expire and the offer moves on. Returns turns expired."""
    now = clock.now()
    due = list(db.session.scalars(
        select(OfferRecipient.offer_id).join(AppointmentOffer, AppointmentOffer.id == OfferRecipient.offer_id)
        .where(AppointmentOffer.status == OfferStatus.OPEN, OfferRecipient.status == RecipientStatus.OFFERED,
               OfferRecipient.expires_at <= now)
        .distinct().limit(500)))
    return sum(_expire(offer_id, now) for offer_id in due)


def _expire(offer_id: int, now: datetime) -> int:
    if not _lock_open_offer(offer_id):
        db.session.rollback()
        return 0
    offer = _fresh_offer(offer_id)
    ended = [r for r in offer.recipients if r.status == RecipientStatus.OFFERED and r.expires_at <= now]
    for recipient in ended:
        recipient.status = RecipientStatus.EXPIRED
    if ended:
        who = ", ".join(r.user.name for r in ended) if len(ended) <= 3 else f"{len(ended)} agents"
        activity.log(offer.contact, None, "Expired", f"{who} did not claim within the claim window",
                     category="routing")
        _next_turn(offer, now)
    db.session.commit()
    return len(ended)


def time_left(expires_at: datetime, now: datetime) -> str:
    """"12 minutes left", rounded up (a turn is never shown as over while it is not)."""
    minutes = max(0, math.ceil((expires_at - now).total_seconds() / 60))
    if minutes < 120:
        return f"{plural(minutes, 'minute')} left"
    hours = minutes // 60
    return f"{plural(hours, 'hour')} left" if hours < 48 else f"{plural(hours // 24, 'day')} left"


@dataclass
class OfferView:
    """One agent's view of an offer: its state for them and the time they have left."""
    offer: AppointmentOffer
    recipient: OfferRecipient
    now: datetime

    @property
    def can_respond(self) -> bool:
        return (self.offer.status == OfferStatus.OPEN and self.recipient.status == RecipientStatus.OFFERED
                and self.recipient.expires_at > self.now)

    @property
    def time_left(self) -> str:
        return time_left(self.recipient.expires_at, self.now)

    @property
    def state(self) -> str:
        if self.offer.status == OfferStatus.CLAIMED:
            return "Claimed by you" if self.claimed_by_viewer else "Claimed by another agent"
        if self.can_respond:
            return OfferStatus.OPEN
        if self.recipient.status in (RecipientStatus.DECLINED, RecipientStatus.SKIPPED):
            return self.recipient.status
        if self.recipient.status in (RecipientStatus.EXPIRED, RecipientStatus.OFFERED):
            return RecipientStatus.EXPIRED
        return self.offer.status

    @property
    def claimed_by_viewer(self) -> bool:
        return self.offer.status == OfferStatus.CLAIMED and self.offer.claimed_by_id == self.recipient.user_id


def visible_details(viewer: User, view: "OfferView") -> dict:
    """Before the claim the agent sees name and address only (docs/product.md#masking); after it, what masking
    allows (a rebroadcast lead that is not an appointment stays masked for most agents)."""
    contact = view.offer.contact
    if not view.claimed_by_viewer:
        return dict(note=masking.redact_contact_info(contact, view.offer.note), phones=[], emails=[])
    return dict(note=masking.text_for(viewer, contact, view.offer.note),
                phones=masking.phones_for(viewer, contact), emails=masking.emails_for(viewer, contact))


def offer_view(viewer: User, offer_id: int) -> OfferView | None:
    """The offer as shown to an agent it was made to; None (a 404) for everyone else."""
    recipient = db.session.scalar(
        select(OfferRecipient).where(OfferRecipient.offer_id == offer_id, OfferRecipient.user_id == viewer.id))
    if recipient is None or not _shown_to(recipient.offer, recipient):
        return None
    return OfferView(recipient.offer, recipient, clock.now())


def close_open_offer(contact: Contact, actor: User, reason: str) -> None:
    """A deleted or archived contact is no longer offered: its open offer closes (logged)."""
    offer = db.session.scalar(select(AppointmentOffer).where(AppointmentOffer.contact_id == contact.id,
                                                             AppointmentOffer.status == OfferStatus.OPEN))
    if offer is None or not _lock_open_offer(offer.id):
        return
    offer.status = OfferStatus.CLOSED
    for recipient in offer.recipients:
        if recipient.status in (RecipientStatus.OFFERED, RecipientStatus.WAITING):
            recipient.status = RecipientStatus.WITHDRAWN
    activity.log(contact, actor, "Offer closed", reason, category="routing")


def offers_of(viewer: User, limit: int = 50) -> list[OfferView]:
    """The agent's offers, newest first: open ones to answer and what became of the others."""
    query = (select(OfferRecipient)
             .join(OfferRecipient.offer).join(AppointmentOffer.contact)
             .where(OfferRecipient.user_id == viewer.id, OfferRecipient.status != RecipientStatus.WAITING,
                    Contact.deleted_at.is_(None), Contact.archived_at.is_(None))
             .options(joinedload(OfferRecipient.offer).joinedload(AppointmentOffer.contact))
             .order_by(OfferRecipient.offered_at.desc(), OfferRecipient.id.desc()).limit(limit))
    now = clock.now()
    return [OfferView(recipient.offer, recipient, now) for recipient in db.session.scalars(query)]


def waiting_count(viewer: User) -> int:
    """How many offers wait for the agent's Claim or Decline now (the `Offers` tab's count)."""
    query = (select(func.count()).select_from(OfferRecipient)
             .join(AppointmentOffer, AppointmentOffer.id == OfferRecipient.offer_id)
             .where(OfferRecipient.user_id == viewer.id, OfferRecipient.status == RecipientStatus.OFFERED,
                    OfferRecipient.expires_at > clock.now(), AppointmentOffer.status == OfferStatus.OPEN))
    return db.session.scalar(query) or 0


def _offers_in_queue(viewer: User, *conditions, newest_first: bool, limit: int) -> list[AppointmentOffer]:
    query = (select(AppointmentOffer).join(Contact, Contact.id == AppointmentOffer.contact_id)
             .where(visibility.visible_condition(viewer), Contact.deleted_at.is_(None), *conditions)
             .options(joinedload(AppointmentOffer.contact),
                      selectinload(AppointmentOffer.recipients).joinedload(OfferRecipient.user))
             .order_by(AppointmentOffer.created_at.desc() if newest_first else AppointmentOffer.created_at,
                       AppointmentOffer.id)
             .limit(limit))
    return list(db.session.scalars(query))


def open_offers(viewer: User, limit: int = 100) -> list[AppointmentOffer]:
    return _offers_in_queue(viewer, AppointmentOffer.status == OfferStatus.OPEN, newest_first=False, limit=limit)


def unclaimed_offers(viewer: User, limit: int = 100) -> list[AppointmentOffer]:
    """Offers nobody claimed, back with the concierge until the lead is offered again or given up."""
    later = aliased(AppointmentOffer)
    offered_again = exists().where(later.contact_id == AppointmentOffer.contact_id, later.id > AppointmentOffer.id)
    return _offers_in_queue(viewer, AppointmentOffer.status == OfferStatus.UNCLAIMED, ~offered_again,
                            Contact.archived_at.is_(None), Contact.lead_status == "Active",
                            newest_first=True, limit=limit)
