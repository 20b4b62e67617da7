"""Manage actions on a contact (docs/product.md#manage-actions): who may do what follows Settings; every action is
logged.

`Delete` and `Archive` are direct for the roles Settings allow and a request to the manager for an
agent who may not do them directly. Agents manage only the contacts they own.
"""
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import delete, select

from crm import clock, policy
from crm.extensions import db
from crm.models import Contact, ContactShare, ManageRequest, User
from crm.models.values import OfferStatus
from crm.services import action_plans, activity, offers, outbox, requests, settings, trash, visibility
from crm.services.errors import FieldError
from crm.wording import plural

BULK_LIMIT = 500


def contacts_phrase(count: int) -> str:
    return f"{count:,} {'contact' if count == 1 else 'contacts'}"


@dataclass(frozen=True)
class ManageAction:
    key: str
    label: str
    setting: str
    consequence: str  # what happens, for the confirmation; {contacts} is "1 contact" or "3 contacts"
    requestable: bool = False  # an agent who may not do it directly asks a manager instead
    needs_agent: bool = False  # the user picks the agent it goes to

    def label_for(self, how: str) -> str:
        """An agent's Delete or Archive is a request and says so: "Request delete"."""
        return f"Request {self.label.lower()}" if how == "request" else self.label

    def confirmation(self, how: str, count: int, name: str | None = None) -> str:
        """The question asked before the action: what happens to how many contacts."""
        subject = name if count == 1 and name else contacts_phrase(count)
        if how == "request":
            return (f"Ask your manager to {self.label.lower()} {subject}? "
                    f"Nothing changes to {contacts_phrase(count)} until a manager approves.")
        return f"{self.label} {subject}? {self.consequence.format(contacts=contacts_phrase(count))}"


ACTIONS = {action.key: action for action in (
    ManageAction("delete", "Delete", "roles_may_delete",
                 "{contacts} will go to the trash; the broker can restore them for 30 days.", requestable=True),
    ManageAction("archive", "Archive", "roles_may_archive",
                 "{contacts} will leave the everyday lists; Leads › Archived still lists them.", requestable=True),
    ManageAction("convert", "Convert", "roles_may_convert", "{contacts} will be marked a client."),
    ManageAction("hand_off", "Hand Off", "roles_may_hand_off",
                 "{contacts} will go to the chosen agent, who gets an email.", needs_agent=True),
    ManageAction("reset_plan", "Reset Action Plan", "roles_may_reset_plan",
                 "The action plan of {contacts} will restart from today."),
    ManageAction("rebroadcast", "Rebroadcast", "roles_may_rebroadcast",
                 "{contacts} will be offered to every eligible agent at once; the first to claim gets it."),
    ManageAction("share", "Share", "roles_may_share", "{contacts} will be shared with the chosen agent.",
                 needs_agent=True),
)}
ACTIONS_BY_LABEL = {action.label: action for action in ACTIONS.values()}
UNARCHIVE = ACTIONS["archive"]  # who may unarchive: as for Archive (docs/product.md#archive)


def approval_question(kind: str, name: str) -> str:
    """Approving an agent's Delete or Archive request does it: the manager is asked first."""
    return "Approve the request? " + ACTIONS_BY_LABEL[kind].confirmation("direct", 1, name)


class NotAllowed(Exception):
    """The viewer's role may not do this (a 403): the button was not shown either."""


class ManageError(FieldError):
    """Bad input (an inactive agent, a second conversion): the message is shown, nothing changed."""


def role_mode(viewer: User, action: ManageAction) -> str | None:
    """"direct", "request" or None for the viewer's role, before looking at a particular contact."""
    if policy.granted(viewer, settings.get(action.setting)):
        return "direct"
    if action.requestable and policy.is_agent(viewer):
        return "request"
    return None


def may_manage(viewer: User, contact: Contact) -> bool:
    """A contact shared with an agent is theirs to work, not to manage."""
    return not policy.is_agent(viewer) or contact.owner_id == viewer.id


def mode(viewer: User, action: ManageAction, contact: Contact) -> str | None:
    return role_mode(viewer, action) if may_manage(viewer, contact) else None


def perform(viewer: User, key: str, contact: Contact, agent_id: int | None = None, reason: str = "") -> str:
    """Do (or request) one action on a visible contact; returns what to tell the user."""
    action = ACTIONS.get(key)
    how = mode(viewer, action, contact) if action else None
    if how is None:
        raise NotAllowed(f"You may not use {action.label if action else key} on this contact.")
    if how == "request":
        requests.create(contact, viewer, action.label, reason)
        return f"{action.label} request for {contact.name} sent to your manager."
    agent = _agent(viewer, agent_id) if action.needs_agent else None
    return _HANDLERS[key](contact, viewer, agent)


def _agent(viewer: User, agent_id: int | None) -> User:
    agent = db.session.get(User, agent_id) if agent_id else None
    if agent is None or not policy.is_agent(agent):
        raise ManageError("Choose an agent of the brokerage.")
    if not agent.is_active_user:
        raise ManageError(f"{agent.name} is not active any more: choose an active agent.")
    if not visibility.may_assign_to(viewer, agent):
        raise ManageError(f"{agent.name} works in another office: choose an agent of your office.")
    return agent


def delete_contact(contact: Contact, actor: User, _agent=None) -> str:
    trash.move_to_trash(contact, actor)
    return f"{contact.name} was moved to the trash; the broker can restore it for {trash.KEEP_DAYS} days."


def archive_contact(contact: Contact, actor: User, _agent=None) -> str:
    if contact.archived_at is not None:
        raise ManageError(f"{contact.name} is archived already.")
    contact.archived_at = clock.now()
    requests.close_pending(contact, actor, "The contact was archived.")
    offers.close_open_offer(contact, actor, "The contact was archived.")
    activity.log(contact, actor, "Archived", "Hidden from Leads")
    return f"{contact.name} was archived."


def decide(request: ManageRequest, manager: User, approve: bool, note: str = "") -> ManageRequest:
    """A manager's decision on an agent's Delete or Archive request: an approval performs it."""
    requests.decide(request, manager, approve, note)
    if approve:
        (delete_contact if request.kind == "Delete" else archive_contact)(request.contact, manager)
    return request


def may_unarchive(viewer: User, contact: Contact) -> bool:
    """Whoever may archive this contact (directly or by request) may bring it back: nothing is lost."""
    return contact.archived_at is not None and mode(viewer, UNARCHIVE, contact) is not None


def unarchive_contact(viewer: User, contact: Contact) -> str:
    if mode(viewer, UNARCHIVE, contact) is None:
        raise NotAllowed("You may not unarchive this contact.")
    if contact.archived_at is None:
        raise ManageError(f"{contact.name} is not archived.")
    contact.archived_at = None
    activity.log(contact, viewer, "Unarchived", "Back in Leads")
    return f"{contact.name} is back in Leads."


def convert(contact: Contact, actor: User, _agent=None) -> str:
    if contact.is_client:
        raise ManageError(f"{contact.name} is a client already.")
    contact.is_client = True
    activity.log(contact, actor, "Converted", "Marked a client")
    return f"{contact.name} is now a client."


def hand_off(contact: Contact, actor: User, agent: User) -> str:
    if agent.id == actor.id:
        raise ManageError("You cannot hand a lead off to yourself: choose another agent.")
    if agent.id == contact.owner_id:
        raise ManageError(f"{agent.name} owns this lead already: choose another agent.")
    previous = contact.owner.name if contact.owner else "nobody"
    contact.owner_id, contact.office_id = agent.id, agent.office_id or contact.office_id
    db.session.execute(delete(ContactShare).where(ContactShare.contact_id == contact.id,
                                                  ContactShare.user_id == agent.id))
    activity.log(contact, actor, "Hand Off", f"From {previous} to {agent.name}")
    requests.refile_pending(contact, actor)
    _email_hand_off(contact, actor, agent)
    return f"{contact.name} was handed off to {agent.name}, who gets an email."


def _email_hand_off(contact: Contact, actor: User, agent: User) -> None:
    """Names the contact and links to it; never a phone or email (docs/product.md#alerts)."""
    link = f"{current_app.config['BASE_URL']}/contacts/{contact.id}"
    outbox.enqueue_email(
        agent.email, f"Lead handed off to you: {contact.name}",
        f"Hi {agent.name},\n\n{actor.name} handed off the lead {contact.name} to you.\n\nOpen it: {link}\n",
        kind="handoff", user=agent, contact_id=contact.id)


def reset_plan(contact: Contact, actor: User, _agent=None) -> str:
    try:
        plan = action_plans.reset_plan(contact, actor)
    except action_plans.PlanError as error:
        raise ManageError(str(error)) from error
    return f"The action plan “{plan.name}” restarts from today."


def rebroadcast(contact: Contact, actor: User, _agent=None) -> str:
    """The claim machinery of docs/product.md#offers-and-claims offers it to every eligible agent and logs the
    routing."""
    try:
        offer = offers.start_rebroadcast(contact, actor)
    except offers.OfferError as error:
        raise ManageError(str(error)) from error
    if offer.status == OfferStatus.UNCLAIMED:
        return f"No other active agent serves {contact.name}'s zip code: the lead is back in the concierge queue."
    return (f"{contact.name} was offered to {plural(len(offer.recipients), 'eligible agent')} at once; "
            "the first to claim gets it.")


def share(contact: Contact, actor: User, agent: User) -> str:
    if agent.id == contact.owner_id:
        raise ManageError(f"{agent.name} owns this contact: choose another agent.")
    if db.session.get(ContactShare, (contact.id, agent.id)) is not None:
        raise ManageError(f"{contact.name} is shared with {agent.name} already.")
    db.session.add(ContactShare(contact_id=contact.id, user_id=agent.id))
    contact.contact_status = "Shared"
    activity.log(contact, actor, "Shared", f"Shared with {agent.name}")
    return f"{contact.name} is now shared with {agent.name}."


def stop_sharing(viewer: User, contact: Contact, agent_id: int) -> str:
    if mode(viewer, ACTIONS["share"], contact) is None:
        raise NotAllowed("You may not change who this contact is shared with.")
    shared = db.session.get(ContactShare, (contact.id, agent_id))
    if shared is None:
        raise ManageError("The contact is not shared with that agent any more.")
    agent = db.session.get(User, agent_id)
    db.session.delete(shared)
    db.session.flush()
    if contact.contact_status == "Shared" and not shared_with(contact):
        contact.contact_status = "Assigned"
    activity.log(contact, viewer, "Stopped sharing", f"No longer shared with {agent.name}")
    return f"{contact.name} is no longer shared with {agent.name}."


_HANDLERS = {"delete": delete_contact, "archive": archive_contact, "convert": convert, "hand_off": hand_off,
             "reset_plan": reset_plan, "rebroadcast": rebroadcast, "share": share}


@dataclass
class BulkResult:
    done: int = 0
    requested: int = 0
    refused: list[str] = field(default_factory=list)

    def summary(self, label: str) -> str:
        parts = []
        if self.done:
            parts.append(f"{label}: done for {plural(self.done, 'contact')}.")
        if self.requested:
            parts.append(f"{label}: {plural(self.requested, 'request')} "
                         "sent to your manager.")
        parts += self.refused
        return " ".join(parts) or "Nothing was selected."


def perform_bulk(viewer: User, key: str, contact_ids: list[int], agent_id: int | None = None) -> BulkResult:
    """The same action on selected rows of Leads; each contact is checked like a single one."""
    action = ACTIONS.get(key)
    if action is None or role_mode(viewer, action) is None:
        raise NotAllowed(f"You may not use {action.label if action else key}.")
    if action.needs_agent:
        _agent(viewer, agent_id)  # bad input refuses the whole batch before anything changes
    chosen = visibility.visible_contacts(viewer).where(Contact.id.in_(contact_ids[:BULK_LIMIT])).order_by(Contact.id)
    result = BulkResult()
    for contact in db.session.scalars(chosen).all():
        try:
            how = mode(viewer, action, contact)
            perform(viewer, key, contact, agent_id)
        except (NotAllowed, ManageError, requests.RequestError, action_plans.PlanError) as error:
            result.refused.append(f"{contact.name}: {error}")
            continue
        if how == "request":
            result.requested += 1
        else:
            result.done += 1
    return result


def shared_with(contact: Contact) -> list[User]:
    return list(db.session.scalars(select(User).join(ContactShare, ContactShare.user_id == User.id)
                                   .where(ContactShare.contact_id == contact.id).order_by(User.name)))


def bulk_actions_for(viewer: User) -> list[tuple[ManageAction, str]]:
    """The actions the viewer's role may use (on selected rows), with "direct" or "request"."""
    return [(action, how) for action in ACTIONS.values() if (how := role_mode(viewer, action))]
