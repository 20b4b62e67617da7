"""Territories (docs/product.md#settings, #masking, #offers-and-claims): each agent's service zip codes (eligibility for
appointment offers), zip code sponsorships (unmask contacts there, rank first) and Guaranteed Display."""
import re
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select

from crm import policy
from crm.extensions import db
from crm.models import ServiceZip, User, ZipSponsorship
from crm.services import activity, paging
from crm.services.errors import FieldError
from crm.validation import is_phone

ZIP_PATTERN = re.compile(r"^\d{5}$")
MAX_ZIPS = 200


class TerritoryError(FieldError):
    """Bad input for one field: the message is shown next to it; nothing is changed."""


def parse_zips(field: str, text: str) -> list[str]:
    """Zip codes separated by commas, spaces or lines; sorted, without duplicates."""
    values = [value for value in re.split(r"[\s,;]+", text or "") if value]
    wrong = [value for value in values if not ZIP_PATTERN.match(value)]
    if wrong:
        raise TerritoryError(f"Not a 5-digit zip code: {', '.join(wrong[:5])}.", field)
    if len(set(values)) > MAX_ZIPS:
        raise TerritoryError(f"At most {MAX_ZIPS} zip codes per agent.", field)
    return sorted(set(values))


@dataclass
class Territory:
    agent: User
    service_zips: list[str]
    sponsored_zips: list[str]


def _zips_by_agent(model, agent_ids: list[int]) -> dict[int, list[str]]:
    found = defaultdict(list)
    rows = db.session.execute(select(model.user_id, model.zip).where(model.user_id.in_(agent_ids))
                              .order_by(model.zip))
    for user_id, zip_code in rows:
        found[user_id].append(zip_code)
    return found


def territories(name_filter: str, page: int, page_size: int) -> tuple[list[Territory], bool]:
    """A page of active agents with their zips (three queries whatever the page size)."""
    query = select(User).where(User.is_agent, User.is_active_user.is_(True))
    if name_filter:
        pattern = f"%{name_filter.lower()}%"
        query = query.where(or_(func.lower(User.name).like(pattern), func.lower(User.email).like(pattern)))
    agents, has_next = paging.offset_page(query.order_by(User.name, User.id), page, page_size)
    agent_ids = [agent.id for agent in agents]
    served, sponsored = _zips_by_agent(ServiceZip, agent_ids), _zips_by_agent(ZipSponsorship, agent_ids)
    return [Territory(agent, served[agent.id], sponsored[agent.id]) for agent in agents], has_next


def agent_by_id(user_id: int) -> User | None:
    """The agent whose territory is asked for; None for a user who is not an agent."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_agent else None


def territory_of(agent: User) -> Territory:
    return Territory(agent, _zips_by_agent(ServiceZip, [agent.id])[agent.id],
                     _zips_by_agent(ZipSponsorship, [agent.id])[agent.id])


def _replace_zips(model, agent: User, zips: list[str]) -> None:
    db.session.execute(delete(model).where(model.user_id == agent.id))
    db.session.add_all([model(user_id=agent.id, zip=zip_code) for zip_code in zips])


def set_territory(agent: User, actor: User, service_text: str, sponsored_text: str,
                  guaranteed_display: bool, phone: str = "") -> Territory:
    """Replace the agent's zips, Guaranteed Display and the phone offers are texted to; logged."""
    if not policy.is_agent(agent):
        raise TerritoryError("Only agents have territories.", "service_zips")
    service_zips = parse_zips("service_zips", service_text)
    sponsored_zips = parse_zips("sponsored_zips", sponsored_text)
    phone = (phone or "").strip()
    if phone and not is_phone(phone):
        raise TerritoryError("Enter a phone number of 7 to 15 digits, or leave it empty.", "phone")
    _replace_zips(ServiceZip, agent, service_zips)
    _replace_zips(ZipSponsorship, agent, sponsored_zips)
    agent.guaranteed_display, agent.phone = guaranteed_display, phone or None
    activity.log(None, actor, "Territory", f"{agent.name}: serves {', '.join(service_zips) or 'no zip'}; "
                 f"sponsors {', '.join(sponsored_zips) or 'no zip'}; "
                 f"Guaranteed Display {'yes' if guaranteed_display else 'no'}; "
                 f"offer texts to {phone or 'nobody'}", category="settings")
    return Territory(agent, service_zips, sponsored_zips)
