"""Who may see and do what, by role. Route guards (`crm/blueprints/guards.py`), services and
templates (through the `User` properties that delegate here) all ask these questions, so the main
navigation and the pages it links to can never disagree."""
from collections.abc import Collection
from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    AGENT = "agent"
    CONCIERGE = "concierge"
    MANAGER = "manager"
    BROKER = "broker"


ROLES = tuple(Role)


class HasRole(Protocol):
    role: str


def is_agent(user: HasRole) -> bool:
    """Agents work the contacts they own (and those shared with them), see masked phones and emails,
    receive appointment offers and ask their manager to delete or archive."""
    return user.role == Role.AGENT


def is_manager(user: HasRole) -> bool:
    """Managers see and decide for their own office."""
    return user.role == Role.MANAGER


def is_concierge(user: HasRole) -> bool:
    """The concierge sets Lead Status; Referral Status is the owning agent's."""
    return user.role == Role.CONCIERGE


def is_decider(user: HasRole) -> bool:
    """Managers and the broker: they decide requests, see compliance, import and share lists."""
    return user.role in (Role.MANAGER, Role.BROKER)


def works_concierge_desk(user: HasRole) -> bool:
    """The concierge queue and its actions, and Lead Status: everyone but agents."""
    return user.role in (Role.CONCIERGE, Role.MANAGER, Role.BROKER)


def sees_every_office(user: HasRole) -> bool:
    """The broker and the concierge see (and may filter by) every office."""
    return user.role in (Role.CONCIERGE, Role.BROKER)


def acts_for_every_office(user: HasRole) -> bool:
    """The broker acts for every office of the brokerage; everyone else for their own."""
    return user.role == Role.BROKER


def runs_settings(user: HasRole) -> bool:
    """Settings and webhooks are the broker's, who also hears about messages that failed."""
    return user.role == Role.BROKER


def may_list_archived(user: HasRole) -> bool:
    """Leads' `Archived` choice: managers and the broker, and agents for their own contacts."""
    return user.role in (Role.AGENT, Role.MANAGER, Role.BROKER)


def granted(user: HasRole, roles: Collection[str]) -> bool:
    """An action the broker grants to roles in Settings › Permissions (kept by crm/services/settings.py)."""
    return user.role in roles


def anyone(user: HasRole) -> bool:
    return user.role in ROLES
