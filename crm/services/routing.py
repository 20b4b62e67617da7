"""Lead routing for new website contacts (SPEC §5): the brokerage's lead-flow rules by source and
zip code first, else round robin among eligible agents; the routing log on the contact says why.

Round robin hands each new contact to the eligible agent routed to least recently. The pick and
its stamp are one UPDATE, and on PostgreSQL agents being stamped by a concurrent request are
skipped (SKIP LOCKED), so simultaneous events go to different agents.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, exists, func, or_, select, update
from sqlalchemy.orm import joinedload

from crm import clock
from crm.extensions import db
from crm.models import Contact, Lead, LeadFlowRule, ServiceZip, User
from crm.services import activity


def active_agents():
    return select(User.id).where(User.role == "agent", User.is_active_user.is_(True))


def has_active_owner(contact: Contact) -> bool:
    return contact.owner is not None and contact.owner.is_active_user


def _describe(rule: LeadFlowRule) -> str:
    return f"source {rule.source or 'any'}, zip {rule.zip or 'any'}"


def matching_rule(source: str | None, zip_code: str | None) -> LeadFlowRule | None:
    """The first rule (by position) whose source and zip fit and whose agent is still active."""
    source_fits = or_(LeadFlowRule.source.is_(None), func.lower(LeadFlowRule.source) == (source or "").lower())
    zip_fits = or_(LeadFlowRule.zip.is_(None), LeadFlowRule.zip == (zip_code or ""))
    query = (select(LeadFlowRule)
             .where(source_fits, zip_fits, LeadFlowRule.assign_to_id.in_(active_agents()))
             .order_by(LeadFlowRule.position, LeadFlowRule.id).limit(1).options(joinedload(LeadFlowRule.assign_to)))
    return db.session.scalar(query)


def _round_robin_pool(zip_code: str | None):
    """Agents serving the zip when any do, else every active agent. Returns (condition, why)."""
    if zip_code:
        serves_zip = exists().where(ServiceZip.user_id == User.id, ServiceZip.zip == zip_code)
        if db.session.scalar(select(exists(active_agents().where(serves_zip)))):
            return serves_zip, f"agents serving zip {zip_code}"
    return None, "all active agents"


def _next_agent(pool_condition) -> User | None:
    eligible = active_agents()
    if pool_condition is not None:
        eligible = eligible.where(pool_condition)
    least_recent = eligible.order_by(User.last_routed_at.asc().nulls_first(), User.id).limit(1)
    for candidate in (least_recent.with_for_update(skip_locked=True), least_recent):
        stamp = (update(User).where(User.id == candidate.scalar_subquery()).values(last_routed_at=clock.now())
                 .returning(User).execution_options(synchronize_session=False))
        agent = db.session.scalars(stamp).first()
        if agent is not None:
            return agent
    return None


@dataclass
class Decision:
    """Who gets a lead and why: the routing log's line."""
    agent: User | None
    why: str


def _facts(source: str | None, zip_code: str | None) -> str:
    return f"source {source or 'unknown'}, zip {zip_code or 'unknown'}"


def _by_rule(rule: LeadFlowRule, facts: str) -> Decision:
    agent = rule.assign_to
    return Decision(agent, f"Lead-flow rule ({_describe(rule)}) matched {facts}: assigned to {agent.name}.")


def _by_round_robin(agent: User | None, facts: str, pool: str) -> Decision:
    if agent is None:
        return Decision(None, f"No lead-flow rule matched {facts} and no agent is active: left unassigned.")
    return Decision(agent, f"No lead-flow rule matched {facts}: round robin among {pool} assigned to {agent.name}.")


def route_new_contact(source: str | None, zip_code: str | None) -> Decision:
    """The owner for a new contact: the first matching lead-flow rule, else round robin."""
    facts = _facts(source, zip_code)
    rule = matching_rule(source, zip_code)
    if rule is not None:
        return _by_rule(rule, facts)
    pool_condition, pool = _round_robin_pool(zip_code)
    return _by_round_robin(_next_agent(pool_condition), facts, pool)


class _RoundRobin:
    """The round robin of `_next_agent` played in memory for many contacts: each pick is the pool's
    agent routed to least recently, and goes to the back of the line (stamped a microsecond after
    the pick before, so the next import's line continues in the same order)."""

    def __init__(self, now):
        self.now, self.picks = now, 0
        agents = db.session.scalars(select(User).where(User.id.in_(active_agents())))
        self.agents = {agent.id: agent for agent in agents}
        self.line = {agent.id: (agent.last_routed_at is not None, agent.last_routed_at or now, agent.id)
                     for agent in self.agents.values()}
        self.stamps: dict[int, datetime] = {}
        self.pools: dict[str | None, tuple[set[int], str]] = {}

    def pool(self, zip_code: str | None) -> tuple[set[int], str]:
        if zip_code not in self.pools:
            condition, why = _round_robin_pool(zip_code)
            members = set(self.agents) if condition is None else set(
                db.session.scalars(active_agents().where(condition)))
            self.pools[zip_code] = (members, why)
        return self.pools[zip_code]

    def next_agent(self, members: set[int]) -> User | None:
        if not members:
            return None
        agent_id = min(members, key=self.line.__getitem__)
        self.picks += 1
        self.stamps[agent_id] = self.now + timedelta(microseconds=self.picks)
        self.line[agent_id] = (True, self.stamps[agent_id], agent_id)
        return self.agents[agent_id]

    def stamp(self) -> None:
        if self.stamps:
            db.session.execute(update(User.__table__).where(User.__table__.c.id == bindparam("agent_id")),
                               [{"agent_id": agent_id, "last_routed_at": at} for agent_id, at in self.stamps.items()])


def route_new_contacts(requests: list[tuple[str | None, str | None]]) -> list[Decision]:
    """`route_new_contact` for many new contacts at once (an import), by (source, zip): the same
    rules and round robin, with a query per distinct source and zip instead of three per contact."""
    rules: dict[tuple[str, str], LeadFlowRule | None] = {}
    line = _RoundRobin(clock.now())
    decisions = []
    for source, zip_code in requests:
        key = ((source or "").lower(), zip_code or "")
        if key not in rules:
            rules[key] = matching_rule(source, zip_code)
        if rules[key] is not None:
            decisions.append(_by_rule(rules[key], _facts(source, zip_code)))
            continue
        members, pool = line.pool(zip_code)
        decisions.append(_by_round_robin(line.next_agent(members), _facts(source, zip_code), pool))
    line.stamp()
    return decisions


def to_existing_owner(contact: Contact, inquiry_type: str) -> Decision:
    return Decision(contact.owner, f"{inquiry_type} from an existing contact: went to its owner {contact.owner.name}.")


def assign(contact: Contact, agent: User | None) -> None:
    if agent is not None:
        contact.owner, contact.office_id = agent, agent.office_id


def log(contact: Contact, lead: Lead, decision: Decision) -> None:
    activity.log(contact, None, "Routed", decision.why, category="routing", lead_id=lead.id)


def rules() -> list[LeadFlowRule]:
    return list(db.session.scalars(select(LeadFlowRule).order_by(LeadFlowRule.position, LeadFlowRule.id)))


def add_rule(source: str | None, zip_code: str | None, agent: User) -> LeadFlowRule:
    position = (db.session.scalar(select(func.max(LeadFlowRule.position))) or 0) + 1
    rule = LeadFlowRule(source=source or None, zip=zip_code or None, assign_to_id=agent.id, position=position)
    db.session.add(rule)
    return rule


def move_rule(rule: LeadFlowRule, offset: int) -> None:
    """Swap the rule with its neighbour above (-1) or below (+1)."""
    ordered = rules()
    index = ordered.index(rule)
    other = index + offset
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, each in enumerate(ordered, start=1):
            each.position = position
