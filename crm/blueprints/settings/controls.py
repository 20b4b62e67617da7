"""Settings for brokerage controls (docs/product.md#settings): action plans, role permissions, the trash."""
from flask import abort, render_template, request, url_for
from flask_login import current_user

from crm import hx
from crm.blueprints.settings import bp
from crm.blueprints.settings.forms import PERMISSIONS, NewPlanForm, PlanSettingsForm, TaskForm, permissions_form
from crm.extensions import db
from crm.models import ActionPlan
from crm.models.values import ROLES
from crm.services import action_plans, export, paging, settings, trash

# --- Action plans ---------------------------------------------------------------------------------

def _plans_page(settings_form=None, new_form=None, status: int = 200):
    settings_form = settings_form or PlanSettingsForm(data={
        "plan_in_use_id": settings.get("plan_in_use_id") or 0,
        "days_allowed_ignored": settings.get("days_allowed_ignored"),
        "completed_plans_to_id": settings.get("completed_plans_to_id") or 0})
    return render_template("settings/action_plans.html", plans=action_plans.all_plans(),
                           settings_form=settings_form, new_form=new_form or NewPlanForm(),
                           plan_in_use_id=settings.get("plan_in_use_id")), status


@bp.route("/action-plans")
def action_plan_list():
    return _plans_page()


@bp.route("/action-plans/settings", methods=["POST"])
def save_plan_settings():
    form = PlanSettingsForm()
    if not form.validate_on_submit():
        return _plans_page(settings_form=form, status=422)
    settings.put("plan_in_use_id", form.plan_in_use_id.data or None)
    settings.put("days_allowed_ignored", form.days_allowed_ignored.data)
    settings.put("completed_plans_to_id", form.completed_plans_to_id.data or None)
    db.session.commit()
    return hx.answer("Action plan settings saved.", back_to=url_for("settings.action_plan_list"))


@bp.route("/action-plans", methods=["POST"])
def create_action_plan():
    form = NewPlanForm()
    if form.validate_on_submit():
        try:
            plan = action_plans.create_plan(form.name.data)
        except action_plans.PlanError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            return hx.answer(f"Plan “{plan.name}” created: add its tasks.",
                             back_to=url_for("settings.action_plan", plan_id=plan.id))
    return _plans_page(new_form=form, status=422)


def _plan_or_404(plan_id: int) -> ActionPlan:
    plan = db.session.get(ActionPlan, plan_id)
    if plan is None:
        abort(404)
    return plan


def _plan_page(plan: ActionPlan, form=None, refusal: str | None = None, status: int = 200):
    return render_template("settings/action_plan.html", plan=plan, form=form or TaskForm(),
                           notice=hx.Notice(refusal, "error") if refusal else None,
                           in_use=settings.get("plan_in_use_id") == plan.id), status


@bp.route("/action-plans/<int:plan_id>")
def action_plan(plan_id: int):
    return _plan_page(_plan_or_404(plan_id))


@bp.route("/action-plans/<int:plan_id>/tasks", methods=["POST"])
def add_plan_task(plan_id: int):
    plan = _plan_or_404(plan_id)
    form = TaskForm()
    if not form.validate_on_submit():
        return _plan_page(plan, form, status=422)
    action_plans.add_task(plan, form.kind.data, form.title.data, form.due_days.data)
    db.session.commit()
    return hx.answer(f"Task added to “{plan.name}”.", back_to=url_for("settings.action_plan", plan_id=plan.id))


@bp.route("/action-plans/<int:plan_id>/tasks/<int:task_id>/delete", methods=["POST"])
def remove_plan_task(plan_id: int, task_id: int):
    plan = _plan_or_404(plan_id)
    try:
        action_plans.remove_task(plan, task_id)
    except action_plans.PlanError as error:
        return _plan_page(plan, refusal=str(error), status=422)
    db.session.commit()
    return hx.answer("Task removed.", back_to=url_for("settings.action_plan", plan_id=plan.id))


@bp.route("/action-plans/<int:plan_id>/delete", methods=["POST"])
def delete_action_plan(plan_id: int):
    plan = _plan_or_404(plan_id)
    try:
        action_plans.delete_plan(plan)
    except action_plans.PlanError as error:
        db.session.rollback()
        return _plan_page(plan, refusal=str(error), status=422)
    db.session.commit()
    return hx.answer(f"Plan “{plan.name}” deleted.", back_to=url_for("settings.action_plan_list"))


# --- Roles and permissions ------------------------------------------------------------------------

def _permissions_page(form, status: int = 200):
    return render_template("settings/permissions.html", form=form, permissions=PERMISSIONS, roles=ROLES,
                           exports=export.recent_exports()), status


@bp.route("/permissions", methods=["GET", "POST"])
def permissions():
    if request.method == "GET":
        form = permissions_form(data={key: settings.get(key) for key, _label in PERMISSIONS})
        return _permissions_page(form)
    form = permissions_form()
    if not form.validate_on_submit():
        return _permissions_page(form, 422)
    for key, _label in PERMISSIONS:
        settings.put(key, [role for role in ROLES if role in (form[key].data or [])])
    db.session.commit()
    return hx.answer("Permissions saved.", back_to=url_for("settings.permissions"))


# --- Trash ------------------------------------------------------------------------------------------

def _trash_page(refusal: str | None = None, status: int = 200):
    page = paging.page_number(request.args)
    rows, has_next, total = trash.trashed(page)
    return render_template("settings/trash.html", rows=rows, has_next=has_next, total=total, page=page,
                           keep_days=trash.KEEP_DAYS, notice=hx.Notice(refusal, "error") if refusal else None), status


@bp.route("/trash")
def trash_list():
    return _trash_page()


@bp.route("/trash/<int:contact_id>/restore", methods=["POST"])
def restore_contact(contact_id: int):
    try:
        contact = trash.restore(contact_id, current_user)
    except trash.TrashError as error:
        return _trash_page(str(error), 422)
    db.session.commit()
    return hx.answer(f"{contact.name} was restored with all its leads, notes and history.",
                     back_to=url_for("settings.trash_list"))
