"""Manage actions on Contact Details and on selected rows of Leads, plan tasks, compliance
(docs/product.md#action-plans, #manage-actions)."""
from collections.abc import Callable

from flask import abort, render_template, request, url_for
from flask_login import current_user

from crm import hx, policy
from crm.blueprints.guards import roles_required
from crm.blueprints.manage import bp
from crm.blueprints.manage.controls import contact_controls
from crm.extensions import db
from crm.safe_redirect import safe_path
from crm.services import action_plans, manage, requests, settings, visibility


def _visible_contact_or_404(contact_id: int):
    contact = visibility.get_visible_contact(current_user, contact_id)
    if contact is None:
        abort(404)
    return contact


def _refused_on_contact_details(contact, error: Exception):
    """The contact's manage actions again, with why the action was refused."""
    return hx.answer(str(error), status=422, back_to=url_for("contacts.detail", contact_id=contact.id),
                     fragment=lambda notice: hx.render_fragment(
                         "manage/_contact_actions.html", "manage_actions", contact=contact,
                         controls=contact_controls(current_user, contact), notice=notice))


@bp.route("/contacts/<int:contact_id>/manage/<action>", methods=["POST"])
def act(contact_id: int, action: str):
    contact = _visible_contact_or_404(contact_id)
    try:
        message = manage.perform(current_user, action, contact, request.form.get("agent_id", type=int),
                                 request.form.get("reason", ""))
    except manage.NotAllowed:
        abort(403)
    except (manage.ManageError, requests.RequestError) as error:
        db.session.rollback()
        return _refused_on_contact_details(contact, error)
    db.session.commit()
    still_visible = visibility.get_visible_contact(current_user, contact.id)
    return hx.answer(message, back_to=url_for("contacts.detail", contact_id=contact.id) if still_visible
                     else url_for("contacts.index"))


def _on_contact_details(contact, perform: Callable[[], str]):
    """Run one manage action shown on Contact Details and answer with the page or its actions."""
    try:
        message = perform()
    except manage.NotAllowed:
        abort(403)
    except manage.ManageError as error:
        db.session.rollback()
        return _refused_on_contact_details(contact, error)
    db.session.commit()
    return hx.answer(message, back_to=url_for("contacts.detail", contact_id=contact.id))


@bp.route("/contacts/<int:contact_id>/unarchive", methods=["POST"])
def unarchive(contact_id: int):
    contact = _visible_contact_or_404(contact_id)
    return _on_contact_details(contact, lambda: manage.unarchive_contact(current_user, contact))


@bp.route("/contacts/<int:contact_id>/shares/<int:user_id>/delete", methods=["POST"])
def stop_sharing(contact_id: int, user_id: int):
    contact = _visible_contact_or_404(contact_id)
    return _on_contact_details(contact, lambda: manage.stop_sharing(current_user, contact, user_id))


@bp.route("/contacts/<int:contact_id>/tasks/<int:task_id>", methods=["POST"])
def tick_task(contact_id: int, task_id: int):
    contact = _visible_contact_or_404(contact_id)
    if not action_plans.may_tick(current_user, contact):
        abort(403)
    refusal, status = None, 200
    try:
        action_plans.set_task_done(contact, task_id, current_user, done=bool(request.form.get("done")))
        db.session.commit()
    except action_plans.PlanError as error:
        db.session.rollback()
        refusal, status = str(error), 422
    return hx.answer(refusal, status=status, back_to=url_for("contacts.detail", contact_id=contact.id),
                     fragment=lambda notice: hx.render_fragment(
                         "manage/_contact_plan.html", "action_plan", contact=contact,
                         controls=contact_controls(current_user, contact), notice=notice))


def _safe_next(url: str | None) -> str:
    return safe_path(url) or url_for("contacts.index")


@bp.route("/contacts/bulk", methods=["POST"])
def bulk():
    """Selected rows of Leads: one action for all, always after a confirmation that says what
    happens to how many contacts (and, for Hand Off and Share, to which agent)."""
    back = _safe_next(hx.current_url_path() or request.form.get("next"))
    if not request.form.get("action"):
        return _bulk_dialog(None, [], back, "Choose an action in “With selected” first.")
    action = manage.ACTIONS.get(request.form["action"])
    if action is None or manage.role_mode(current_user, action) is None:
        abort(403)
    contact_ids, agent_id = _selected_contact_ids(), request.form.get("agent_id", type=int)
    if not contact_ids:
        return _bulk_dialog(action, contact_ids, back, "Select at least one contact with the boxes in the rows.")
    if not request.form.get("confirmed") or (action.needs_agent and agent_id is None):
        return _bulk_dialog(action, contact_ids, back, status=200)
    try:
        result = manage.perform_bulk(current_user, action.key, contact_ids, agent_id)
    except manage.ManageError as error:
        db.session.rollback()
        return _bulk_dialog(action, contact_ids, back, str(error))
    db.session.commit()
    return hx.answer(result.summary(action.label), back_to=back, category="info" if result.refused else "success")


def _selected_contact_ids() -> list[int]:
    """The ticked rows; lead rows of one contact carry the same id: each contact counts once."""
    return list(dict.fromkeys(int(value) for value in request.form.getlist("contact_ids")
                              if value.isdigit() and len(value) < 19))


def _bulk_dialog(action, contact_ids: list[int], back: str, refusal: str | None = None, status: int = 422):
    context = dict(action=action, how=manage.role_mode(current_user, action) if action else None,
                   contact_ids=contact_ids, back=back, notice=hx.Notice(refusal, "error") if refusal else None,
                   agents=visibility.assignable_agents(current_user) if action and action.needs_agent else [])
    return hx.render_page("manage/bulk.html", "bulk_dialog", **context), status


@bp.route("/compliance")
@roles_required(policy.is_decider)
def compliance():
    agents = action_plans.compliance(current_user)
    agent = next((row for row in agents if row.agent_id == request.args.get("agent", type=int)), None)
    return render_template("manage/compliance.html", agents=agents, agent=agent,
                           ignored=action_plans.ignored_referrals(current_user,
                                                                  agent_id=agent.agent_id if agent else None),
                           days_allowed=settings.get("days_allowed_ignored"))
