"""The Leads screen's query (SPEC §3.2): filters, keyword, sort and pagination over visible contacts.

Bad parameters are dropped one by one, so the rest of the search still applies.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select, union_all
from sqlalchemy.orm import aliased

from crm import clock, fulltext
from crm.extensions import db
from crm.models import Contact, ContactEmail, ContactPhone, Lead, ManageRequest, User
from crm.models import values as v
from crm.services import action_plans, masking, visibility
from crm.services.contacts import phone_digits

MULTI_VALUE_FILTERS = {
    "contact_status": (Contact.contact_status, v.CONTACT_STATUSES),
    "contact_type": (Contact.contact_type, v.CONTACT_TYPES),
    "contact_source": (Contact.contact_source, None),  # the broker may add sources
    "business_source": (Contact.business_source, None),
    "priority": (Contact.priority, v.PRIORITIES),
    "time_frame": (Contact.time_frame, v.TIME_FRAMES),
    "lead_status": (Contact.lead_status, v.LEAD_STATUSES),
    "lead_type": (Contact.lead_type, v.LEAD_TYPES),
}
PRIORITY_ORDER = case({p: i for i, p in enumerate(v.PRIORITIES)}, value=Contact.priority, else_=9)
SORTS = {
    "name": lambda now: (Contact.last_name, Contact.first_name),
    "contact_status": lambda now: (Contact.contact_status,),
    "contact_type": lambda now: (Contact.contact_type,),
    "priority": lambda now: (PRIORITY_ORDER,),
    "interest_level": lambda now: (Contact.interest_level,),
    "last_inquiry": lambda now: (Contact.last_inquiry_at,),
    "owner": lambda now: (User.name,),
    "action_plan": lambda now: (action_plans.plan_status_sort_key(now),),
}
DEFAULT_SORT, DEFAULT_DIRECTION = "last_inquiry", "desc"
COUNT_LIMIT = 10_000  # counting stops here: "10,000+" is as useful as an exact 187,311 and far cheaper


@dataclass
class LeadFilters:
    values: dict[str, list[str]] = field(default_factory=dict)
    inquiry_types: list[str] = field(default_factory=list)
    action_plan: list[str] = field(default_factory=list)
    owner_ids: list[int] = field(default_factory=list)
    min_interest: int | None = None
    activity: str | None = None
    activity_from: date | None = None
    activity_to: date | None = None
    keyword: str = ""
    archived: bool = False  # the `Archived` choice lists archived contacts instead (SPEC §3.10)
    sort: str = DEFAULT_SORT
    direction: str = DEFAULT_DIRECTION
    page: int = 1

    @classmethod
    def from_args(cls, args, contact_sources=(), business_sources=()) -> "LeadFilters":
        """Parse request args (a MultiDict), keeping only well-formed, known values."""
        allowed_free = {"contact_source": set(contact_sources), "business_source": set(business_sources)}
        filters = cls()
        for name, (_column, allowed) in MULTI_VALUE_FILTERS.items():
            known = set(allowed) if allowed else allowed_free[name]
            chosen = [value for value in args.getlist(name) if value in known]
            if chosen:
                filters.values[name] = list(dict.fromkeys(chosen))
        filters.inquiry_types = [t for t in args.getlist("inquiry_type") if t in v.INQUIRY_TYPES]
        filters.action_plan = [s for s in args.getlist("action_plan") if s in v.ACTION_PLAN_STATUSES]
        filters.owner_ids = [int(o) for o in args.getlist("owner") if o.isdigit()]
        interest = args.get("interest_level", "")
        filters.min_interest = int(interest) if interest.isdigit() and int(interest) <= 5 else None
        activity = args.get("activity", "")
        filters.activity = activity if activity in v.ACTIVITY_PERIODS else None
        filters.activity_from = _parse_date(args.get("activity_from"))
        filters.activity_to = _parse_date(args.get("activity_to"))
        filters.keyword = (args.get("keyword") or "").strip()[:100]
        filters.archived = args.get("archived") == "1"
        sort = args.get("sort", DEFAULT_SORT)
        filters.sort = sort if sort in SORTS else DEFAULT_SORT
        direction = args.get("dir", DEFAULT_DIRECTION)
        filters.direction = direction if direction in ("asc", "desc") else DEFAULT_DIRECTION
        page = args.get("page", "1")
        filters.page = min(int(page), 100_000) if page.isdigit() and int(page) >= 1 else 1
        return filters

    def chosen(self, name: str) -> list:
        return {"inquiry_type": self.inquiry_types, "action_plan": self.action_plan,
                "owner": self.owner_ids}.get(name, self.values.get(name, []))

    def is_chosen(self, name: str, value) -> bool:
        return value in self.chosen(name)

    def has(self, name: str) -> bool:
        return bool(self.chosen(name))


def _parse_date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def activity_window(filters: LeadFilters, now: datetime) -> tuple[datetime | None, datetime | None]:
    today = datetime.combine(now.date(), time.min)
    if filters.activity == "Today":
        return today, None
    if filters.activity == "This week":
        return today - timedelta(days=now.weekday()), None
    if filters.activity == "Last 30 days":
        return now - timedelta(days=30), None
    start = datetime.combine(filters.activity_from, time.min) if filters.activity_from else None
    end = datetime.combine(filters.activity_to + timedelta(days=1), time.min) if filters.activity_to else None
    return start, end


def _prefix(column, prefix: str) -> ColumnElement[bool]:
    """`column` starts with `prefix`, as a range both databases answer from the column's index."""
    return and_(column >= prefix, column < prefix + "\U0010ffff")


def keyword_condition(viewer: User, keyword: str) -> ColumnElement[bool]:
    """Name, street, city, zip and MLS number by word prefix; email and phone by prefix, and only
    where the viewer may see them (a masked phone must not find its contact). One IN over a UNION
    of index lookups: an OR of them would make PostgreSQL scan every contact."""
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
    return Contact.id.in_(union_all(*candidates))


def filtered_contacts(viewer: User, filters: LeadFilters, now: datetime) -> Select:
    archived = visibility.archived_condition(viewer) if filters.archived else Contact.archived_at.is_(None)
    query = visibility.visible_contacts(viewer).where(archived)
    for name, chosen in filters.values.items():
        query = query.where(MULTI_VALUE_FILTERS[name][0].in_(chosen))
    if filters.inquiry_types:
        query = query.where(exists().where(Lead.contact_id == Contact.id,
                                           Lead.inquiry_type.in_(filters.inquiry_types)))
    if filters.action_plan:
        query = query.where(or_(*(action_plans.plan_status_condition(s, now) for s in filters.action_plan)))
    if filters.owner_ids and viewer.role != "agent":
        query = query.where(Contact.owner_id.in_(filters.owner_ids))
    if filters.min_interest:
        query = query.where(Contact.interest_level >= filters.min_interest)
    start, end = activity_window(filters, now)
    if start:
        query = query.where(Contact.last_activity_at >= start)
    if end:
        query = query.where(Contact.last_activity_at < end)
    if filters.keyword:
        query = query.where(keyword_condition(viewer, filters.keyword))
    return query


@dataclass
class LeadRow:
    contact: Contact
    owner_name: str | None
    pending_request: str | None
    plan_status: str | None


@dataclass
class LeadPage:
    rows: list[LeadRow]
    total: int  # at most COUNT_LIMIT + 1
    page: int
    page_size: int

    @property
    def total_display(self) -> str:
        return f"{COUNT_LIMIT:,}+" if self.total > COUNT_LIMIT else f"{self.total:,}"

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, COUNT_LIMIT) // self.page_size))


def search(viewer: User, filters: LeadFilters, page_size: int) -> LeadPage:
    now = clock.now()
    base = filtered_contacts(viewer, filters, now)
    counted = base.with_only_columns(Contact.id).order_by(None).limit(COUNT_LIMIT + 1).subquery()
    total = db.session.scalar(select(func.count()).select_from(counted))
    pending = (select(ManageRequest.kind)
               .where(ManageRequest.contact_id == Contact.id, ManageRequest.status == "Pending")
               .limit(1).scalar_subquery())
    order_columns = SORTS[filters.sort](now)
    ordered = [c.desc() if filters.direction == "desc" else c.asc() for c in order_columns]
    id_order = Contact.id.desc() if filters.direction == "desc" else Contact.id.asc()
    page = min(filters.page, LeadPage([], total, 1, page_size).pages)
    query = (base.outerjoin(User, User.id == Contact.owner_id)
             .add_columns(User.name, pending)
             .order_by(*ordered, id_order)
             .limit(page_size).offset((page - 1) * page_size))
    rows = [LeadRow(contact, owner, request, action_plans.plan_status(contact, now))
            for contact, owner, request in db.session.execute(query)]
    return LeadPage(rows=rows, total=total, page=page, page_size=page_size)
