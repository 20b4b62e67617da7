"""Smart Lists (docs/product.md#leads): saved Leads searches, private or shared with the owner's office.

Anyone saves their own lists; managers and the broker may share theirs with their office; only the
owner renames or deletes a list (others get None: a 404).
"""
from urllib.parse import parse_qs, urlencode

from sqlalchemy import false, func, or_, select
from werkzeug.datastructures import MultiDict

from crm import clock, policy
from crm.extensions import db
from crm.models import SmartList, User
from crm.models.smart_list import NAME_MAX
from crm.services import lead_search

SHOWN_LISTS = 20


class SmartListError(ValueError):
    pass


def may_share(viewer: User) -> bool:
    return policy.is_decider(viewer) and viewer.office_id is not None


def _visible(viewer: User):
    shared = SmartList.shared_office_id == viewer.office_id if viewer.office_id else false()
    return or_(SmartList.owner_id == viewer.id, shared)


def visible_lists(viewer: User) -> list[SmartList]:
    query = (select(SmartList).where(_visible(viewer))
             .order_by(func.lower(SmartList.name), SmartList.id).limit(SHOWN_LISTS))
    return list(db.session.scalars(query))


def get_visible(viewer: User, list_id: int) -> SmartList | None:
    return db.session.scalar(select(SmartList).where(SmartList.id == list_id, _visible(viewer)))


def _own(viewer: User, list_id: int) -> SmartList | None:
    return db.session.scalar(select(SmartList).where(SmartList.id == list_id, SmartList.owner_id == viewer.id))


def filters_of(smart_list: SmartList, viewer: User) -> lead_search.LeadFilters:
    """The list's search as `viewer` may run it (a shared list may name an office they cannot pick)."""
    return lead_search.read_filters(viewer, MultiDict(parse_qs(smart_list.query, keep_blank_values=False)))


def lists_with_counts(viewer: User) -> list[tuple[SmartList, str]]:
    """Each list with its live, bounded count (one counting query per list, SHOWN_LISTS at most)."""
    now = clock.now()
    counted = []
    for smart_list in visible_lists(viewer):
        filters = filters_of(smart_list, viewer)
        if filters.group:
            total = lead_search.count(lead_search.filtered_contacts(viewer, filters, now), lead_search.Contact.id)
        else:
            total = lead_search.count_leads(viewer, filters, now)
        counted.append((smart_list, lead_search.LeadPage([], total, 1, 1).total_display))
    return counted


def _clean_name(owner: User, name: str | None, renaming: SmartList | None = None) -> str:
    name = (name or "").replace("\x00", "").strip()
    if not name:
        raise SmartListError("Enter a name for the list.")
    if len(name) > NAME_MAX:
        raise SmartListError(f"A list name can be at most {NAME_MAX} characters (this one has {len(name)}).")
    taken = select(SmartList.id).where(SmartList.owner_id == owner.id, func.lower(SmartList.name) == name.lower())
    if renaming is not None:
        taken = taken.where(SmartList.id != renaming.id)
    if db.session.scalar(taken):
        raise SmartListError(f"You already have a list named “{name}”.")
    return name


def save(owner: User, name: str | None, query: str | None, shared: bool) -> SmartList:
    if shared and not may_share(owner):
        raise SmartListError("Only managers and the broker may share a list with their office.")
    filters = lead_search.read_filters(owner, MultiDict(parse_qs(query or "")))
    smart_list = SmartList(owner_id=owner.id, name=_clean_name(owner, name), query=urlencode(filters.query_pairs()),
                           shared_office_id=owner.office_id if shared else None)
    db.session.add(smart_list)
    db.session.flush()
    return smart_list


def rename(owner: User, list_id: int, name: str | None) -> SmartList | None:
    smart_list = _own(owner, list_id)
    if smart_list is not None:
        smart_list.name = _clean_name(owner, name, renaming=smart_list)
    return smart_list


def delete(owner: User, list_id: int) -> bool:
    smart_list = _own(owner, list_id)
    if smart_list is None:
        return False
    db.session.delete(smart_list)
    return True
