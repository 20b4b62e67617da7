"""The authorization matrix (docs/product.md#trust): every route of app.url_map, as every role and signed out, on
the role's own objects and on others' (another agent's, another office's). A route missing from
MATRIX fails the first test, so a new route cannot skip the matrix.

Expectations: signed out → the sign-in page (public routes excepted); a role the route is not for →
403 or 404; an allowed role on an object it cannot see → 404 for reads and writes alike; an allowed
role on its own object → neither 403, 404 nor 500."""
from dataclasses import dataclass, field

import pytest
from flask import url_for

from crm.extensions import db
from crm.models import (
    ActionPlan,
    ActionPlanTask,
    ContactImport,
    ContactShare,
    ContactTask,
    LeadFlowRule,
    SmartList,
    WebhookSubscription,
)
from crm.services import action_plans, api_keys, outbox, requests, trash, webhooks

from referral_helpers import convert, give_territory

ROLES = ("agent", "concierge", "manager", "broker")
EVERYONE = ROLES
STAFF = ("concierge", "manager", "broker")
DECIDERS = ("manager", "broker")
OWNERS = ("agent", "manager", "broker")  # who works or manages referrals (not the concierge)
BROKER = ("broker",)


@dataclass(frozen=True)
class Route:
    roles: tuple[str, ...]  # who may use it ("public": anyone, signed in or not)
    objects: str | None = None  # which kind of object its ids name
    extra: dict = field(default_factory=dict)  # fixed URL values (section name, action, ...)
    form: dict = field(default_factory=dict)  # what a POST sends


MATRIX: dict[str, Route] = {
    "static": Route(("public",), extra={"filename": "crm.css"}),
    "auth.login": Route(("public",)),
    "auth.logout": Route(EVERYONE),
    "auth.forgot_password": Route(("public",)),
    "auth.set_password": Route(("public",), extra={"token": "not-a-link"}),
    "api.post_event": Route(("public",)),
    "api.openapi": Route(("public",)),
    "contacts.home": Route(EVERYONE),
    "contacts.index": Route(EVERYONE),
    "contacts.new": Route(EVERYONE),
    "contacts.detail": Route(EVERYONE, "contact"),
    "contacts.show_section": Route(EVERYONE, "contact", {"name": "person"}),
    "contacts.edit_section": Route(EVERYONE, "contact", {"name": "person"}),
    "contacts.save_section": Route(EVERYONE, "contact", {"name": "person"}),
    "contacts.more_leads": Route(EVERYONE, "contact"),
    "contacts.more_log": Route(EVERYONE, "contact"),
    "contacts.save_list": Route(EVERYONE, form={"name": "Matrix list"}),
    "contacts.open_list": Route(EVERYONE, "smart_list"),
    "contacts.rename_list": Route(EVERYONE, "smart_list", form={"name": "Renamed list"}),
    "contacts.delete_list": Route(EVERYONE, "smart_list"),
    "dashboard.index": Route(EVERYONE),
    "manage.act": Route(OWNERS, "contact", {"action": "convert"}),
    "manage.unarchive": Route(OWNERS, "contact"),
    "manage.bulk": Route(OWNERS, form={"action": "convert"}),
    "manage.compliance": Route(DECIDERS),
    "manage.stop_sharing": Route(OWNERS, "share"),
    "manage.tick_task": Route(OWNERS, "task"),
    "requests.index": Route(DECIDERS),
    "requests.decide": Route(DECIDERS, "request", {"decision": "decline"}),
    "requests.decide_from_leads": Route(DECIDERS, "contact", {"decision": "decline"}),
    "export.dialog": Route(DECIDERS),
    "export.download": Route(DECIDERS),
    "referrals.index": Route(EVERYONE),
    "referrals.detail": Route(EVERYONE, "contact"),
    "referrals.save": Route(EVERYONE, "contact"),
    "referrals.add_note": Route(EVERYONE, "contact"),
    "offers.index": Route(EVERYONE),
    "offers.detail": Route(("agent",), "offer"),
    "offers.claim": Route(("agent",), "offer"),
    "offers.decline": Route(("agent",), "offer"),
    "preferences.edit": Route(EVERYONE),
    "preferences.save": Route(EVERYONE),
    "preferences.change_password": Route(EVERYONE),
    "concierge.queue": Route(STAFF),
    "concierge.convert": Route(STAFF, "contact"),
    "concierge.set_lead_status": Route(STAFF, "contact"),
    "concierge.not_workable": Route(STAFF, "contact"),
    "concierge.routing_log": Route(STAFF, "contact"),
    "settings.index": Route(BROKER),
    "settings.action_plan_list": Route(BROKER),
    "settings.create_action_plan": Route(BROKER),
    "settings.action_plan": Route(BROKER, "plan"),
    "settings.delete_action_plan": Route(BROKER, "plan"),
    "settings.add_plan_task": Route(BROKER, "plan"),
    "settings.remove_plan_task": Route(BROKER, "plan_task"),
    "settings.save_plan_settings": Route(BROKER),
    "settings.api_keys": Route(BROKER),
    "settings.create_api_key": Route(BROKER),
    "settings.revoke_api_key": Route(BROKER, "api_key"),
    "settings.lead_flow": Route(BROKER),
    "settings.add_lead_flow_rule": Route(BROKER),
    "settings.delete_lead_flow_rule": Route(BROKER, "rule"),
    "settings.move_lead_flow_rule": Route(BROKER, "rule", {"direction": "up"}),
    "settings.notification_log": Route(BROKER),
    "settings.retry_notification": Route(BROKER, "message"),
    "settings.offer_settings": Route(BROKER),
    "settings.permissions": Route(BROKER),
    "settings.territory_list": Route(BROKER),
    "settings.save_territory": Route(BROKER, "territory"),
    "settings.trash_list": Route(BROKER),
    "settings.restore_contact": Route(BROKER, "trashed"),
    "settings.user_list": Route(BROKER),
    "settings.invite_user": Route(BROKER),
    "settings.change_user": Route(BROKER, "user"),
    "settings.set_user_active": Route(BROKER, "user", {"action": "reactivate"}),
    "settings.office_list": Route(BROKER),
    "settings.add_office": Route(BROKER),
    "settings.change_office": Route(BROKER, "office"),
    "settings.sources": Route(BROKER),
    "imports.index": Route(DECIDERS),
    "imports.upload": Route(DECIDERS),
    "imports.detail": Route(DECIDERS, "import"),
    "imports.progress": Route(DECIDERS, "import"),
    "imports.skipped_rows": Route(DECIDERS, "import"),
    "imports.start": Route(DECIDERS, "import"),
    "imports.cancel": Route(DECIDERS, "import"),
    "imports.undo": Route(DECIDERS, "import"),
    "imports.save_mapping": Route(DECIDERS, "import"),
    "imports.use_mapping": Route(DECIDERS, "import"),
    "webhooks.index": Route(BROKER),
    "webhooks.subscribe": Route(BROKER),
    "webhooks.detail": Route(BROKER, "subscription"),
    "webhooks.send_test": Route(BROKER, "subscription"),
    "webhooks.delete": Route(BROKER, "subscription"),
    "webhooks.redeliver": Route(BROKER, "delivery"),
}


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - MATRIX.keys() == set(), "add these routes to the authorization matrix"
    assert MATRIX.keys() - endpoints == set(), "these routes no longer exist"


@pytest.fixture
def world(users, make_contact, tmp_path):
    """Objects of agent@demo.test's office (Downtown) and of the other office (Westshore)."""
    give_territory(users["agent"], serves=["33602"], sponsors=["33602"])
    give_territory(users["agent2"], serves=["33629"])
    own = make_contact(users["agent"], "Own", "Contact", zip="33602", emails=["own@example.com"])
    colleague = make_contact(users["agent2"], "Colleague", "Contact", zip="33629")
    west = make_contact(users["west_agent"], "West", "Contact", zip="33611")
    offer_to_agent = convert(make_contact(None, "Offer", "Mine", zip="33602", street="1 A St"), users["concierge"])
    offer_to_agent2 = convert(make_contact(None, "Offer", "Theirs", zip="33629", street="2 B St"), users["concierge"])
    own_request = requests.create(own, users["agent"], "Archive")
    west_request = requests.create(west, users["west_agent"], "Archive")
    plan = ActionPlan(name="Matrix plan")
    db.session.add(plan)
    db.session.flush()
    plan_task = ActionPlanTask(plan_id=plan.id, kind="Call", title="Call", due_days=1)
    db.session.add(plan_task)
    db.session.flush()
    for contact in (own, colleague, west):
        action_plans.start_plan(contact, plan)
    db.session.add_all([ContactShare(contact_id=own.id, user_id=users["agent2"].id),
                        ContactShare(contact_id=west.id, user_id=users["agent2"].id)])
    key, _plain = api_keys.create_key("matrix.example")
    rule = LeadFlowRule(position=1, zip="33602", assign_to_id=users["agent"].id)
    message = outbox.enqueue_email("agent@demo.test", "Hi", "Body", kind="alert")
    trashed = make_contact(users["agent"], "Trashed", "Contact")
    trash.move_to_trash(trashed, users["broker"])
    db.session.add(rule)
    lists = {role: SmartList(owner_id=users[role].id, name=f"{role} list", query="priority=Hot")
             for role in (*ROLES, "agent2")}
    upload = tmp_path / "people.csv"
    upload.write_text("Name,Email\nAna Ruiz,ana@example.com\n")
    imported = {role: ContactImport(created_by_id=users[role].id, filename="people.csv", stored_path=str(upload),
                                    file_format="csv", headers='["Name", "Email"]', total_rows=1)
                for role in DECIDERS}
    subscription = WebhookSubscription(url="https://hooks.example/crm", event_types="lead.created",
                                       secret="whsec_" + "A" * 32, created_by_id=users["broker"].id)
    db.session.add_all([*lists.values(), *imported.values(), subscription])
    db.session.flush()
    delivery = webhooks.send_test_event(subscription)
    db.session.commit()

    def task_of(contact):
        return db.session.scalar(db.select(ContactTask.id).where(ContactTask.contact_id == contact.id).limit(1))

    # (own object, someone else's) for each kind, per role: None where the role sees everything.
    def values(kind: str, role: str) -> tuple[dict, dict | None]:
        other_contact = {"agent": colleague, "manager": west}.get(role)
        if kind == "contact":
            return {"contact_id": own.id}, other_contact and {"contact_id": other_contact.id}
        if kind == "share":
            mine = {"contact_id": own.id, "user_id": users["agent2"].id}
            return mine, role in ("agent", "manager") and {"contact_id": west.id, "user_id": users["agent2"].id}
        if kind == "task":
            return ({"contact_id": own.id, "task_id": task_of(own)},
                    other_contact and {"contact_id": other_contact.id, "task_id": task_of(other_contact)})
        if kind == "offer":
            return {"offer_id": offer_to_agent.id}, {"offer_id": offer_to_agent2.id}
        if kind == "request":
            return {"request_id": own_request.id}, role == "manager" and {"request_id": west_request.id}
        if kind == "plan":
            return {"plan_id": plan.id}, None
        if kind == "plan_task":
            return {"plan_id": plan.id, "task_id": plan_task.id}, None
        if kind == "api_key":
            return {"key_id": key.id}, None
        if kind == "rule":
            return {"rule_id": rule.id}, None
        if kind == "message":
            return {"message_id": message.id}, None
        if kind == "territory":
            return {"user_id": users["agent"].id}, None
        if kind == "trashed":
            return {"contact_id": trashed.id}, None
        if kind == "smart_list":
            return {"list_id": lists[role].id}, {"list_id": lists["agent2"].id}
        if kind == "import":
            mine = imported.get(role, imported["broker"])
            return {"import_id": mine.id}, role == "manager" and {"import_id": imported["broker"].id}
        if kind == "user":
            return {"user_id": users["agent"].id}, None
        if kind == "office":
            return {"office_id": users["agent"].office_id}, None
        if kind == "subscription":
            return {"subscription_id": subscription.id}, None
        if kind == "delivery":
            return {"delivery_id": delivery.id}, None
        return {}, None
    return values


def _methods(app, endpoint: str) -> list[str]:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _send(client, method: str, url: str, form: dict | None = None):
    return client.get(url) if method == "GET" else client.post(url, form or {})


def _url(app, endpoint: str, route: Route, values: dict) -> str:
    with app.test_request_context():
        return url_for(endpoint, **route.extra, **values)


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_the_route_answers_each_role_as_the_matrix_says(app, web, login_as, users, world, endpoint):
    route = MATRIX[endpoint]
    methods = _methods(app, endpoint)
    problems = []
    for method in methods:
        own, _other = world(route.objects, "broker") if route.objects else ({}, None)
        url = _url(app, endpoint, route, own)
        signed_out = _send(web, method, url)
        if "public" in route.roles:
            if signed_out.status_code >= 500:
                problems.append(f"signed out {method} {url}: {signed_out.status_code}")
            continue
        if not (signed_out.status_code in (302, 401) and "/login" in signed_out.headers.get("Location", "/login")):
            problems.append(f"signed out {method} {url}: {signed_out.status_code}")
    if "public" in route.roles:
        assert problems == []
        return
    for role in ROLES:
        client = login_as(users[role])
        own, other = world(route.objects, role) if route.objects else ({}, None)
        for method in methods:
            answer = _send(client, method, _url(app, endpoint, route, own), route.form).status_code
            if role not in route.roles and answer not in (403, 404):
                problems.append(f"{role} {method} (not theirs to use): {answer}")
            if role in route.roles and answer in (403, 404) or answer >= 500:
                problems.append(f"{role} {method} own object: {answer}")
            if other and role in route.roles:
                answer = _send(client, method, _url(app, endpoint, route, other), route.form).status_code
                if answer != 404:
                    problems.append(f"{role} {method} someone else's object: {answer}")
    assert problems == []
