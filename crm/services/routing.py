"""Lead routing for new website contacts (docs/product.md#events-api): the brokerage's lead-flow rules by source and
zip code first, else round robin among eligible agents; the routing log on the contact says why.

Round robin hands each new contact to the eligible agent routed to least recently. The pick and
its stamp are one UPDATE (which also returns what the lead alert needs to know of the agent), and
on PostgreSQL agents being stamped by a concurrent request are skipped (SKIP LOCKED), so
simultaneous events go to different agents.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import ColumnElement, DateTime, String, bindparam, case, exists, func, or_, select, update
from sqlalchemy.orm import joinedload

from crm import clock
from crm.extensions import db
from crm.models import LeadFlowRule, Office, ServiceZip, User
from crm.services import local_time, masking


def active_agents():
    return select(User.id).where(User.is_agent, User.is_active_user.is_(True))


@dataclass
class Agent:
    """What routing and the lead alert need to know of an agent, read with the routing statement."""
    id: int
    name: str
    email: str
    role: str
    office_id: int | None
    is_active_user: bool
    digest_emails: bool
    guaranteed_display: bool
    sponsors_zip: bool  # sponsors the contact's zip (docs/product.md#masking masking)
    time_zone: str  # their own, else their office's: the alert's times are in it


def time_zone_of(user) -> ColumnElement[str]:
    """SQL for `local_time.zone_name_of` (`user`: User or an alias of it)."""
    office_zone = select(Office.time_zone).where(Office.id == user.office_id).scalar_subquery()
    return func.coalesce(user.time_zone, office_zone, local_time.DEFAULT_TIME_ZONE)


AGENT_COLUMNS = (User.id, User.name, User.email, User.role, User.office_id, User.is_active_user,
                 User.digest_emails, User.guaranteed_display)


def agent_from(row, prefix: str = "") -> Agent | None:
    """An Agent from a result row whose agent columns carry `prefix`; None when the id is NULL."""
    values = {name: getattr(row, prefix + name) for name in Agent.__dataclass_fields__}
    return None if values["id"] is None else Agent(**values)


def describe(source: str | None, zip_code: str | None) -> str:
    return f"source {source or 'any'}, zip {zip_code or 'any'}"


def matching_rule_id():
    """Scalar subquery: the first rule (by position) whose source and zip fit and whose agent is
    still active. Parameters: `rule_parameters`."""
    source_fits = or_(LeadFlowRule.source.is_(None), func.lower(LeadFlowRule.source) == bindparam("rule_source"))
    zip_fits = or_(LeadFlowRule.zip.is_(None), LeadFlowRule.zip == bindparam("rule_zip"))
    return (select(LeadFlowRule.id).where(source_fits, zip_fits, LeadFlowRule.assign_to_id.in_(active_agents()))
            .order_by(LeadFlowRule.position, LeadFlowRule.id).limit(1).scalar_subquery())


def rule_parameters(source: str | None, zip_code: str | None) -> dict:
    return {"rule_source": (source or "").lower(), "rule_zip": zip_code or ""}


@cache
def _stamp_next_agent(skip_locked: bool):
    """Round robin in one UPDATE, built once: the agent routed to least recently, agents serving
    the zip first, stamped as it is picked; it returns the agent and whether it serves the zip
    (then only such agents were in the pool)."""
    serves = exists().where(ServiceZip.user_id == User.id, ServiceZip.zip == bindparam("zip_code"))
    least_recent = (active_agents().order_by(case((serves, 0), else_=1), User.last_routed_at.asc().nulls_first(),
                                             User.id).limit(1))
    if skip_locked:
        least_recent = least_recent.with_for_update(skip_locked=True)
    return (update(User).where(User.id == least_recent.scalar_subquery())
            .values(last_routed_at=bindparam("now", type_=DateTime))
            .returning(*AGENT_COLUMNS, masking.sponsors_zip(User.id, bindparam("contact_zip", type_=String))
                       .label("sponsors_zip"), time_zone_of(User).label("time_zone"), serves.label("serves_zip")))


def _next_agent(zip_code: str | None, contact_zip: str | None) -> tuple[Agent, bool] | None:
    """On PostgreSQL agents being stamped by a concurrent request are skipped, then waited for."""
    parameters = {"zip_code": zip_code or "", "contact_zip": contact_zip, "now": clock.now()}
    for skip_locked in (True, False):
        row = db.session.connection().execute(_stamp_next_agent(skip_locked), parameters).first()
        if row is not None:
            return agent_from(row), bool(row.serves_zip)
    return None


@dataclass
class Decision:
    """Who gets a lead and why: the routing log's line."""
    agent: Agent | User | None
    why: str


def _facts(source: str | None, zip_code: str | None) -> str:
    return f"source {source or 'unknown'}, zip {zip_code or 'unknown'}"


def _by_rule(rule_source: str | None, rule_zip: str | None, agent: Agent | User, facts: str) -> Decision:
    return Decision(agent, f"Lead-flow rule ({describe(rule_source, rule_zip)}) matched {facts}: "
                           f"assigned to {agent.name}.")


def _by_round_robin(agent: Agent | User | None, facts: str, pool: str) -> Decision:
    if agent is None:
        return Decision(None, f"No lead-flow rule matched {facts} and no agent is active: left unassigned.")
    return Decision(agent, f"No lead-flow rule matched {facts}: round robin among {pool} assigned to {agent.name}.")


def route_new_contact(source: str | None, zip_code: str | None, rule: tuple[str | None, str | None, Agent] | None,
                      contact_zip: str | None) -> Decision:
    """The owner for a new contact: the first matching lead-flow rule (`rule`: its source, zip and
    agent, looked up by the caller with `matching_rule_id`), else round robin."""
    facts = _facts(source, zip_code)
    if rule is not None:
        return _by_rule(*rule, facts)
    picked = _next_agent(zip_code, contact_zip)
    if picked is None:
        return _by_round_robin(None, facts, "")
    agent, serves_zip = picked
    return _by_round_robin(agent, facts, f"agents serving zip {zip_code}" if serves_zip else "all active agents")


def matching_rule(source: str | None, zip_code: str | None) -> LeadFlowRule | None:
    """The rule `matching_rule_id` picks, as an object with its agent."""
    query = (select(LeadFlowRule).where(LeadFlowRule.id == matching_rule_id())
             .options(joinedload(LeadFlowRule.assign_to)))
    return db.session.scalar(query, rule_parameters(source, zip_code))


def _round_robin_pool(zip_code: str | None):
    """Agents serving the zip when any do, else every active agent. Returns (condition, why)."""
    if zip_code:
        serves_zip = exists().where(ServiceZip.user_id == User.id, ServiceZip.zip == zip_code)
        if db.session.scalar(select(exists(active_agents().where(serves_zip)))):
            return serves_zip, f"agents serving zip {zip_code}"
    return None, "all active agents"


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
    rules_found: dict[tuple[str, str], LeadFlowRule | None] = {}
    line = _RoundRobin(clock.now())
    decisions = []
    for source, zip_code in requests:
        key = ((source or "").lower(), zip_code or "")
        if key not in rules_found:
            rules_found[key] = matching_rule(source, zip_code)
        rule = rules_found[key]
        if rule is not None:
            decisions.append(_by_rule(rule.source, rule.zip, rule.assign_to, _facts(source, zip_code)))
            continue
        members, pool = line.pool(zip_code)
        decisions.append(_by_round_robin(line.next_agent(members), _facts(source, zip_code), pool))
    line.stamp()
    return decisions


def to_existing_owner(owner: Agent, inquiry_type: str) -> Decision:
    return Decision(owner, f"{inquiry_type} from an existing contact: went to its owner {owner.name}.")


def rules() -> list[LeadFlowRule]:
    return list(db.session.scalars(select(LeadFlowRule).order_by(LeadFlowRule.position, LeadFlowRule.id)))


def add_rule(source: str | None, zip_code: str | None, agent_id: int) -> LeadFlowRule:
    """A rule after the others (blank source or zip: any); `rule.assign_to` is the agent."""
    position = (db.session.scalar(select(func.max(LeadFlowRule.position))) or 0) + 1
    rule = LeadFlowRule(source=(source or "").strip() or None, zip=(zip_code or "").strip() or None,
                        assign_to_id=agent_id, position=position)
    db.session.add(rule)
    db.session.flush()
    return rule


def delete_rule(rule: LeadFlowRule) -> None:
    db.session.delete(rule)


def move_rule(rule: LeadFlowRule, offset: int) -> None:
    """Swap the rule with its neighbour above (-1) or below (+1)."""
    ordered = rules()
    index = ordered.index(rule)
    other = index + offset
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, each in enumerate(ordered, start=1):
            each.position = position
