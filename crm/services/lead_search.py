"""The Leads screen's query (docs/product.md#leads): one row per lead, or per contact with `Group by contact`.

Lead rows filter, sort and check visibility on `leads` alone, through the contact's fields copied
there (crm/services/lead_rows.py). `Inquiry Type` and `Activity` select leads by their own type and
date; the other filters select by the lead's contact. Bad parameters are dropped one by one (and
remembered in `dropped`), so the rest of the search still applies.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased, selectinload

from crm import clock, fulltext, policy
from crm.extensions import db
from crm.models import Contact, ContactEmail, ContactPhone, Lead, ManageRequest, Office, User
from crm.models import values as v
from crm.services import action_plans, lead_rows, local_time, masking, paging, settings, visibility
from crm.services.contacts import phone_digits

# URL name -> (label, contact column, lead copy, allowed values or None for the broker's own list)
MULTI_VALUE_FILTERS = {
    "contact_status": ("Contact Status", Contact.contact_status, Lead.contact_status, v.CONTACT_STATUSES),
    "contact_type": ("Contact Type", Contact.contact_type, Lead.contact_type, v.CONTACT_TYPES),
    "contact_source": ("Contact Source", Contact.contact_source, Lead.contact_source, None),
    "business_source": ("Business Source", Contact.business_source, Lead.business_source, None),
    "priority": ("Priority", Contact.priority, Lead.priority_rank, v.PRIORITIES),
    "time_frame": ("Time Frame", Contact.time_frame, Lead.time_frame, v.TIME_FRAMES),
    "lead_status": ("Lead Status", Contact.lead_status, Lead.lead_status, v.LEAD_STATUSES),
    "lead_type": ("Lead Type", Contact.lead_type, Lead.lead_type, v.LEAD_TYPES),
}
PRIORITY_ORDER = case(lead_rows.PRIORITY_RANKS, value=Contact.priority, else_=lead_rows.NO_PRIORITY_RANK)

# Sort key -> (first-click direction, lead-row columns, contact-row columns); the first click sorts
# the useful way: names A-Z, dates and stars highest first, priority Hot first (docs/product.md#everyday-use). Lead
# rows that tie go by date in the same direction, as their indexes hold them (crm/models/contact.py).
SORTS = {
    "name": ("asc", lambda now: (Lead.contact_name_key,), lambda now: (Contact.last_name, Contact.first_name)),
    "inquiry_type": ("asc", lambda now: (Lead.inquiry_type,), lambda now: (Contact.last_inquiry_type,)),
    "property": ("asc", lambda now: (Lead.property_city, Lead.property_street),
                 lambda now: (Contact.city, Contact.street)),
    "date": ("desc", lambda now: (), lambda now: (Contact.last_inquiry_at,)),
    "contact_status": ("asc", lambda now: (Lead.contact_status,), lambda now: (Contact.contact_status,)),
    "contact_type": ("asc", lambda now: (Lead.contact_type,), lambda now: (Contact.contact_type,)),
    "priority": ("asc", lambda now: (Lead.priority_rank,), lambda now: (PRIORITY_ORDER,)),
    "interest_level": ("desc", lambda now: (Lead.interest_level,), lambda now: (Contact.interest_level,)),
    "owner": ("asc", lambda now: (Lead.owner_name,), lambda now: (User.name,)),
    # Late Task, On Time, Completed, none: open plans by their next due task put the late ones first
    # (crm/services/lead_rows.py), so the lead rows' order needs no *now*.
    "action_plan": ("asc", lambda now: (Lead.plan_rank, Lead.plan_next_due),
                    lambda now: (action_plans.plan_status_sort_key(now),)),
    # Pending requests first: few contacts have one, so their leads are read apart (see `_parts`).
    "request": ("asc", lambda now: (_pending_rank(Lead.contact_id),), lambda now: (_pending_rank(Contact.id),)),
}
DEFAULT_SORT, DEFAULT_DIRECTION = "date", "desc"
COUNT_LIMIT = 10_000  # counting stops here: "10,000+" is as useful as an exact 187,311 and far cheaper
GROUP_BY_CONTACT = "contact"


def first_direction(sort: str) -> str:
    return SORTS[sort][0]


@dataclass
class LeadFilters:
    values: dict[str, list[str]] = field(default_factory=dict)
    inquiry_types: list[str] = field(default_factory=list)
    action_plan: list[str] = field(default_factory=list)
    owner_ids: list[int] = field(default_factory=list)
    office_id: int | None = None  # leads of that office's contacts (the dashboard links here)
    min_interest: int | None = None
    activity: str | None = None
    activity_from: date | None = None
    activity_to: date | None = None
    keyword: str = ""
    archived: bool = False  # the `Archived` choice lists archived contacts instead (docs/product.md#archive)
    sort: str = DEFAULT_SORT
    direction: str = DEFAULT_DIRECTION
    group: bool = False
    page: int = 1
    after: tuple[datetime, int] | None = None  # keyset: the last row seen, for the date sort
    dropped: list[str] = field(default_factory=list)  # "Label: value" of what was not understood

    @classmethod
    def from_args(cls, args, contact_sources=(), business_sources=(), office_ids=()) -> "LeadFilters":
        """Parse request args (a MultiDict), keeping only well-formed, known values (`office_ids`:
        the offices the viewer may pick)."""
        allowed_free = {"contact_source": set(contact_sources), "business_source": set(business_sources)}
        filters = cls()
        for name, (label, _column, _copy, allowed) in MULTI_VALUE_FILTERS.items():
            known = set(allowed) if allowed else allowed_free[name]
            chosen = filters._known(label, args.getlist(name), known)
            if chosen:
                filters.values[name] = list(dict.fromkeys(chosen))
        filters.inquiry_types = filters._known("Inquiry Type", args.getlist("inquiry_type"), v.INQUIRY_TYPES)
        filters.action_plan = filters._known("Action Plan", args.getlist("action_plan"), v.ACTION_PLAN_STATUSES)
        filters.owner_ids = [int(o) for o in args.getlist("owner") if o.isdigit() and len(o) < 10]
        office = filters._known("Office", [args.get("office", "")], {str(i) for i in office_ids})
        filters.office_id = int(office[0]) if office else None
        interest = args.get("interest_level", "")
        filters.min_interest = int(interest) if interest.isdigit() and int(interest) <= 5 else None
        activity = args.get("activity", "")
        filters.activity = activity if activity in v.ACTIVITY_PERIODS else None
        filters.activity_from = _parse_date(args.get("activity_from"))
        filters.activity_to = _parse_date(args.get("activity_to"))
        filters.keyword = (args.get("keyword") or "").replace("\x00", "").strip()[:100]
        filters.archived = args.get("archived") == "1"
        sort = args.get("sort", DEFAULT_SORT)
        filters.sort = sort if sort in SORTS else DEFAULT_SORT
        direction = args.get("dir", first_direction(filters.sort))
        filters.direction = direction if direction in ("asc", "desc") else first_direction(filters.sort)
        filters.group = args.get("group") == GROUP_BY_CONTACT
        filters.page = paging.page_number(args)
        filters.after = _parse_cursor(args.get("after"))
        return filters

    def _known(self, label: str, chosen: list[str], known) -> list[str]:
        self.dropped += [f"{label}: {value}" for value in chosen if value and value not in known]
        return [value for value in chosen if value in known]

    def chosen(self, name: str) -> list:
        return {"inquiry_type": self.inquiry_types, "action_plan": self.action_plan,
                "owner": self.owner_ids}.get(name, self.values.get(name, []))

    def is_chosen(self, name: str, value) -> bool:
        return value in self.chosen(name)

    def has(self, name: str) -> bool:
        return bool(self.chosen(name))

    @property
    def reversed_range(self) -> bool:
        return bool(self.activity_from and self.activity_to and self.activity_to < self.activity_from)

    @property
    def keyset(self) -> bool:
        """Deep pages of the date sort go by the last row seen, so arriving leads never shift them."""
        return self.sort == "date" and not self.group

    def query_pairs(self) -> list[tuple[str, str]]:
        """The search as URL parameters, without empty fields or defaults (bookmarks, Smart Lists)."""
        pairs = [(name, value) for name, chosen in self.values.items() for value in chosen]
        pairs += [("inquiry_type", t) for t in self.inquiry_types]
        pairs += [("action_plan", s) for s in self.action_plan]
        pairs += [("owner", str(o)) for o in self.owner_ids]
        optional = [("office", self.office_id), ("interest_level", self.min_interest), ("activity", self.activity),
                    ("activity_from", self.activity_from), ("activity_to", self.activity_to),
                    ("keyword", self.keyword), ("group", GROUP_BY_CONTACT if self.group else None),
                    ("archived", "1" if self.archived else None)]
        pairs += [(name, str(value)) for name, value in optional if value]
        if self.sort != DEFAULT_SORT or self.direction != DEFAULT_DIRECTION:
            pairs += [("sort", self.sort), ("dir", self.direction)]
        return pairs

    def query_string(self) -> str:
        return urlencode(self.query_pairs())


def office_choices(viewer: User) -> list[tuple[int, str]]:
    """The `Office` select, for those who see every office."""
    if not policy.sees_every_office(viewer):
        return []
    return [(office_id, name) for office_id, name in db.session.execute(select(Office.id, Office.name)
                                                                         .order_by(Office.name))]


def _pickable_offices(viewer: User) -> list[int]:
    """`office` values the viewer may ask for: any for those who see every office, a manager's own
    (implicit: they see no choice), none for agents."""
    if policy.is_manager(viewer):
        return [viewer.office_id] if viewer.office_id else []
    return [office_id for office_id, _name in office_choices(viewer)]


def read_filters(viewer: User, args) -> LeadFilters:
    """The search in request args, as `viewer` may ask it (the Leads list, its CSV, Smart Lists)."""
    return LeadFilters.from_args(args, settings.get("contact_sources"), settings.get("business_sources"),
                                 _pickable_offices(viewer))


def _parse_date(raw: str | None) -> date | None:
    try:
        parsed = date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    return parsed if parsed and 1900 <= parsed.year <= 2200 else None


def _parse_cursor(raw: str | None) -> tuple[datetime, int] | None:
    """`after` is "<ISO time>_<lead id>" of the last row of the previous page."""
    moment, _, lead_id = (raw or "").rpartition("_")
    try:
        return (datetime.fromisoformat(moment), int(lead_id)) if lead_id.isdigit() and len(lead_id) < 19 else None
    except ValueError:
        return None


def cursor_text(moment: datetime, lead_id: int) -> str:
    return f"{moment.isoformat()}_{lead_id}"


def cursor_of(lead: Lead) -> str:
    return cursor_text(lead.occurred_at, lead.id)


def activity_window(filters: LeadFilters, now: datetime, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    if filters.reversed_range:
        return None, None  # the screen says so instead of showing nothing
    return local_time.activity_window(filters.activity, filters.activity_from, filters.activity_to, now, zone)


def _prefix(column, prefix: str) -> ColumnElement[bool]:
    """`column` starts with `prefix`, as a range both databases answer from the column's index."""
    return and_(column >= prefix, column < prefix + "\U0010ffff")


def matching_contact_ids(viewer: User, keyword: str):
    """Contacts whose name, address or MLS numbers match by word prefix, or whose email or phone
    does by prefix, only where the viewer may see them (a masked phone must not find its contact).
    One UNION of index lookups: an OR of them would make PostgreSQL scan every contact."""
    shown = aliased(Contact)
    unmasked = masking.unmasked_condition(viewer, shown)
    candidates = [select(ContactEmail.contact_id).join(shown, shown.id == ContactEmail.contact_id)
                  .where(_prefix(ContactEmail.value, keyword.lower()), unmasked)]
    digits = phone_digits(keyword)
    if len(digits) >= 4 and not re.search(r"[a-z@]", keyword.lower()):
        candidates.append(select(ContactPhone.contact_id).join(shown, shown.id == ContactPhone.contact_id)
                          .where(_prefix(ContactPhone.digits, digits), unmasked))
    text_ids = fulltext.matching_ids(db.engine.dialect.name, keyword)
    if text_ids is not None:
        candidates.append(text_ids)
    return union_all(*candidates)


def keyword_condition(viewer: User, keyword: str) -> ColumnElement[bool]:
    return Contact.id.in_(matching_contact_ids(viewer, keyword))


MLS_SHAPE = re.compile(r"^[a-z]{1,4}-?\d{3,}$", re.IGNORECASE)


def _own_matches(lead, keyword: str) -> list[ColumnElement[bool]]:
    """The lead's own MLS number, zip or street starts with the keyword."""
    own = [_prefix(lead.mls_number, spelling) for spelling in dict.fromkeys((keyword.upper(), keyword))]
    own += [_prefix(lead.property_zip, keyword)] if keyword.isdigit() else []
    own += [_prefix(lead.property_street, keyword)] if keyword[:1].isdigit() else []
    return own


def lead_keyword_condition(viewer: User, keyword: str) -> ColumnElement[bool]:
    """A keyword shaped like an MLS number finds the leads with that MLS number; any other finds
    the leads of matching contacts, and the leads whose own MLS number, zip or street starts with it."""
    matching = aliased(Lead)
    spellings = dict.fromkeys((keyword.upper(), keyword))
    if MLS_SHAPE.match(keyword):  # by id, so the planner starts from the few matches, not the sort index
        return Lead.id.in_(select(matching.id).where(or_(*(_prefix(matching.mls_number, s) for s in spellings))))
    if not policy.is_agent(viewer):
        # Managers and the broker see most leads: walking the sort index and testing each lead stops
        # as soon as the page and the bounded count are full.
        return or_(Lead.contact_id.in_(matching_contact_ids(viewer, keyword)), *_own_matches(Lead, keyword))
    own = _own_matches(matching, keyword)
    # An agent sees a few of the matches: start from them, by lead id from one UNION of index
    # lookups (an OR would walk all the agent's leads), the contacts narrowed to the agent's first.
    people = select(Contact.id).where(Contact.id.in_(matching_contact_ids(viewer, keyword)),
                                      visibility.visible_condition(viewer)).correlate(None)
    return Lead.id.in_(union_all(*(select(matching.id).where(condition) for condition in own),
                                 select(matching.id).where(matching.contact_id.in_(people))))


def lead_level(query: Select, filters: LeadFilters, now: datetime, zone: ZoneInfo, lead=Lead) -> Select:
    """What selects leads by the lead's own type and date (`lead`: Lead or an alias); days are the
    viewer's (`zone`)."""
    if filters.inquiry_types:
        query = query.where(lead.inquiry_type.in_(filters.inquiry_types))
    start, end = activity_window(filters, now, zone)
    if start:
        query = query.where(lead.occurred_at >= start)
    if end:
        query = query.where(lead.occurred_at < end)
    return query


def filtered_leads(viewer: User, filters: LeadFilters, now: datetime, visible: ColumnElement[bool] | None = None
                   ) -> Select:
    """Visible leads of live contacts matching the filters, from `leads` alone (archived ones only
    for the `Archived` choice); `visible`: one of the viewer's visibility branches instead of all."""
    archived = (Lead.contact_archived.is_(True) & visibility.archived_lead_condition(viewer) if filters.archived
                else Lead.contact_archived.is_(False))
    if visible is None:
        visible = visibility.visible_lead_condition(viewer)
    query = select(Lead).where(visible, Lead.contact_deleted.is_(False), archived)
    for name, chosen in filters.values.items():
        if name == "priority":  # by rank: the index that sorts Hot first also filters
            chosen = [lead_rows.PRIORITY_RANKS[priority] for priority in chosen]
        query = query.where(MULTI_VALUE_FILTERS[name][2].in_(chosen))
    if filters.owner_ids and not policy.is_agent(viewer):
        query = query.where(Lead.owner_id.in_(filters.owner_ids))
    if filters.office_id:
        query = query.where(Lead.office_id == filters.office_id)
    if filters.min_interest:
        query = query.where(Lead.interest_level >= filters.min_interest)
    if filters.action_plan:  # contacts first (by their plan index), then their leads
        in_plan = select(Contact.id).where(or_(*(action_plans.plan_status_condition(s, now)
                                                 for s in filters.action_plan)))
        query = query.where(Lead.contact_id.in_(in_plan))
    if filters.keyword:
        query = query.where(lead_keyword_condition(viewer, filters.keyword))
    return lead_level(query, filters, now, local_time.zone_of(viewer))


def filtered_contacts(viewer: User, filters: LeadFilters, now: datetime) -> Select:
    """Group by contact: contacts with at least one lead matching the lead-level filters."""
    archived = visibility.archived_condition(viewer) if filters.archived else Contact.archived_at.is_(None)
    query = visibility.visible_contacts(viewer).where(archived)
    for name, chosen in filters.values.items():
        query = query.where(MULTI_VALUE_FILTERS[name][1].in_(chosen))
    if filters.inquiry_types or filters.activity or filters.activity_from or filters.activity_to:
        matching = aliased(Lead)
        query = query.where(exists(lead_level(select(matching.id), filters, now, local_time.zone_of(viewer), matching)
                                   .where(matching.contact_id == Contact.id)))
    if filters.action_plan:
        query = query.where(or_(*(action_plans.plan_status_condition(s, now) for s in filters.action_plan)))
    if filters.owner_ids and not policy.is_agent(viewer):
        query = query.where(Contact.owner_id.in_(filters.owner_ids))
    if filters.office_id:
        query = query.where(Contact.office_id == filters.office_id)
    if filters.min_interest:
        query = query.where(Contact.interest_level >= filters.min_interest)
    if filters.keyword:
        query = query.where(keyword_condition(viewer, filters.keyword))
    return query


@dataclass
class LeadRow:
    contact: Contact
    lead: Lead | None  # in contact rows: the latest matching lead
    owner_name: str | None
    pending_request: str | None
    plan_status: str | None
    unmasked: bool
    matched: int | None = None  # contact rows: how many of its leads matched


@dataclass
class LeadPage:
    rows: list[LeadRow]
    total: int  # at most COUNT_LIMIT + 1
    page: int
    page_size: int
    grouped: bool = False
    next_cursor: str | None = None

    @property
    def total_display(self) -> str:
        return f"{COUNT_LIMIT:,}+" if self.total > COUNT_LIMIT else f"{self.total:,}"

    @property
    def noun(self) -> str:
        singular = "contact" if self.grouped else "lead"
        return singular if self.total == 1 else f"{singular}s"

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, COUNT_LIMIT) // self.page_size))


def count(query: Select, id_column) -> int:
    """Bounded: stops at COUNT_LIMIT + 1."""
    counted = query.with_only_columns(id_column).order_by(None).limit(COUNT_LIMIT + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(counted))


def _pending_request(contact_id) -> ColumnElement:
    return (select(ManageRequest.kind)
            .where(ManageRequest.contact_id == contact_id, ManageRequest.status == v.RequestStatus.PENDING)
            .limit(1).scalar_subquery())


def _with_pending_request() -> Select:
    return select(ManageRequest.contact_id).where(ManageRequest.status == v.RequestStatus.PENDING)


def _pending_rank(contact_id) -> ColumnElement:
    """0 for a contact with a pending request, 1 for the others."""
    return case((contact_id.in_(_with_pending_request()), 0), else_=1)


def _ordering(filters: LeadFilters, columns, id_column) -> list:
    descending = filters.direction == "desc"
    ordered = [c.desc() if descending else c.asc() for c in columns]
    return [*ordered, id_column.desc() if descending else id_column.asc()]


def _after(filters: LeadFilters) -> ColumnElement[bool]:
    moment, lead_id = filters.after
    if filters.direction == "desc":
        return or_(Lead.occurred_at < moment, and_(Lead.occurred_at == moment, Lead.id < lead_id))
    return or_(Lead.occurred_at > moment, and_(Lead.occurred_at == moment, Lead.id > lead_id))


def _with_channels_for_redaction(viewer: User, query: Select) -> Select:
    """Agents may see masked rows, whose text is redacted of the contact's phones and emails:
    load those for the whole page at once (two statements, whatever the page size)."""
    if not policy.is_agent(viewer):
        return query
    return query.options(selectinload(Contact.emails), selectinload(Contact.phones))


def _branches(viewer: User, filters: LeadFilters, now: datetime) -> list[Select]:
    """The matching leads, one query per visibility branch (disjoint)."""
    return [filtered_leads(viewer, filters, now, visible) for visible in visibility.visible_lead_branches(viewer)]


def count_leads(viewer: User, filters: LeadFilters, now: datetime) -> int:
    return _count_branches(_branches(viewer, filters, now))


def _count_branches(branches: list[Select]) -> int:
    """Bounded like `count` (the branches are disjoint)."""
    return min(COUNT_LIMIT + 1, sum(count(branch, Lead.id) for branch in branches))


def _sort_keys(filters: LeadFilters, now: datetime) -> tuple:
    return (*SORTS[filters.sort][1](now), Lead.occurred_at)


@dataclass
class _Part:
    """Some of the matching leads, read in the sort order on their own: `keys` are what the parts
    merge on, `order` what orders this part (the keys less those constant in it, so that the part
    is read from an index in order)."""
    query: Select
    keys: tuple
    order: tuple


def _parts(viewer: User, branches: list[Select], filters: LeadFilters, now: datetime) -> list[_Part]:
    keys = _sort_keys(filters, now)
    if filters.sort == "request":  # pending first: the few leads of contacts with a pending request, then the rest
        pending = Lead.contact_id.in_(_with_pending_request())
        # The same order as occurred_at, as an expression no index provides: the database starts
        # from the few pending contacts' leads instead of walking every lead by date to find them.
        # Likewise for contacts shared with an agent (the second branch, see below).
        few_first = func.coalesce(Lead.occurred_at, Lead.created_at)
        return [part for index, branch in enumerate(branches) for part in (
            _Part(branch.where(pending), (literal(0), Lead.occurred_at), (few_first,)),
            _Part(branch.where(~pending), (literal(1), Lead.occurred_at), (few_first if index else Lead.occurred_at,)))]
    parts = [_Part(branch, keys, keys) for branch in branches]
    if filters.sort == "owner" and policy.is_agent(viewer):  # the owner's name is the same on all their own leads
        parts[0].order = keys[1:]
    if len(parts) > 1:
        # Leads of contacts shared with the agent are few: ordered by expressions no index provides,
        # the database starts from those contacts instead of walking every lead in the sort's order.
        parts[1].order = tuple(func.coalesce(key, key) for key in keys)
    return parts


def _page_ids(parts: list[_Part], filters: LeadFilters, offset: int, page_size: int) -> Select:
    """The ids of the page's leads, from the indexes alone, before any row is read: one ordered
    range, or for several parts each one's first `offset + page_size` merged."""

    def ordered(part: _Part, limit: int) -> Select:
        return (part.query.with_only_columns(Lead.id, *(key.label(f"key{i}") for i, key in enumerate(part.keys)))
                .order_by(*_ordering(filters, part.order, Lead.id)).limit(limit))
    if len(parts) == 1:
        return ordered(parts[0], page_size).with_only_columns(Lead.id).offset(offset)
    merged = union_all(*(select(*ordered(part, offset + page_size).subquery().c) for part in parts)).subquery()
    merged_keys = [merged.c[f"key{i}"] for i in range(len(parts[0].keys))]
    return (select(merged.c.id).order_by(*_ordering(filters, merged_keys, merged.c.id))
            .limit(page_size).offset(offset))


def search(viewer: User, filters: LeadFilters, page_size: int) -> LeadPage:
    if filters.group:
        return _search_contacts(viewer, filters, page_size)
    now = clock.now()
    branches = _branches(viewer, filters, now)
    total = _count_branches(branches)
    page = min(filters.page, LeadPage([], total, 1, page_size).pages)
    offset = (page - 1) * page_size
    if filters.keyset and filters.after:
        branches, offset = [branch.where(_after(filters)) for branch in branches], 0
    query = (select(Lead, Contact, User.name, _pending_request(Lead.contact_id), masking.unmasked_condition(viewer))
             .join(Contact, Contact.id == Lead.contact_id).outerjoin(User, User.id == Lead.owner_id)
             .where(Lead.id.in_(_page_ids(_parts(viewer, branches, filters, now), filters, offset, page_size)))
             .order_by(*_ordering(filters, _sort_keys(filters, now), Lead.id)))
    found = db.session.execute(_with_channels_for_redaction(viewer, query))
    rows = [LeadRow(contact, lead, owner, request, action_plans.plan_status(contact, now), bool(unmasked))
            for lead, contact, owner, request, unmasked in found]
    more = page < LeadPage([], total, 1, page_size).pages
    cursor = cursor_of(rows[-1].lead) if filters.keyset and rows and more else None
    return LeadPage(rows=rows, total=total, page=page, page_size=page_size, next_cursor=cursor)


def _count_contacts(viewer: User, filters: LeadFilters, now: datetime, base: Select) -> int:
    """Bounded. With lead-level filters, the contacts of the matching leads, counted from the leads'
    copies (a contact's leads all sit in one visibility branch): testing each visible contact for
    such a lead would look up tens of thousands of them."""
    if not (filters.inquiry_types or filters.activity or filters.activity_from or filters.activity_to) \
            or filters.keyword:  # the keyword matches contacts only here, but leads' own fields there
        return count(base, Contact.id)
    per_branch = [select(func.count()).select_from(branch.with_only_columns(Lead.contact_id).distinct()
                                                   .limit(COUNT_LIMIT + 1).subquery())
                  for branch in _branches(viewer, filters, now)]
    return min(COUNT_LIMIT + 1, sum(db.session.scalar(counted) for counted in per_branch))


def _search_contacts(viewer: User, filters: LeadFilters, page_size: int) -> LeadPage:
    now = clock.now()
    base = filtered_contacts(viewer, filters, now)
    total = _count_contacts(viewer, filters, now, base)
    page = min(filters.page, LeadPage([], total, 1, page_size).pages)
    query = (_with_channels_for_redaction(viewer, base.outerjoin(User, User.id == Contact.owner_id)
                                          .add_columns(User.name, _pending_request(Contact.id),
                                                       masking.unmasked_condition(viewer)))
             .order_by(*_ordering(filters, SORTS[filters.sort][2](now), Contact.id))
             .limit(page_size).offset((page - 1) * page_size))
    found = db.session.execute(query).all()
    latest = _latest_matching_leads(filters, [contact.id for contact, *_ in found], now, local_time.zone_of(viewer))
    rows = []
    for contact, owner, request, unmasked in found:
        lead, matched = latest.get(contact.id, (None, 0))
        rows.append(LeadRow(contact, lead, owner, request, action_plans.plan_status(contact, now),
                            bool(unmasked), matched))
    return LeadPage(rows=rows, total=total, page=page, page_size=page_size, grouped=True)


def _latest_matching_leads(filters: LeadFilters, contact_ids: list[int], now: datetime, zone: ZoneInfo) -> dict:
    """For each contact: its latest lead matching the lead-level filters, and how many matched."""
    if not contact_ids:
        return {}
    ranked = lead_level(select(
        Lead.id.label("lead_id"), Lead.contact_id.label("contact_id"),
        func.row_number().over(partition_by=Lead.contact_id,
                               order_by=(Lead.occurred_at.desc(), Lead.id.desc())).label("rank"),
        func.count(literal(1)).over(partition_by=Lead.contact_id).label("matched"),
    ).where(Lead.contact_id.in_(contact_ids)), filters, now, zone).subquery()
    query = select(Lead, ranked.c.matched).join(ranked, ranked.c.lead_id == Lead.id).where(ranked.c.rank == 1)
    return {lead.contact_id: (lead, matched) for lead, matched in db.session.execute(query)}
