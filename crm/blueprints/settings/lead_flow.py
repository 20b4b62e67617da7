"""Settings › Lead flow rules (docs/product.md#events-api): which agent gets new website contacts, by source and zip."""
from flask import abort, redirect, render_template, url_for

from crm import hx
from crm.blueprints.settings import bp
from crm.blueprints.settings.forms import RuleForm
from crm.extensions import db
from crm.models import LeadFlowRule
from crm.services import routing


def _page(form: RuleForm | None = None, status: int = 200):
    return render_template("settings/lead_flow.html", rules=routing.rules(), form=form or RuleForm()), status


def _rule_or_404(rule_id: int) -> LeadFlowRule:
    return db.session.get(LeadFlowRule, rule_id) or abort(404)


@bp.route("/lead-flow")
def lead_flow():
    return _page()


@bp.route("/lead-flow", methods=["POST"])
def add_lead_flow_rule():
    form = RuleForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    agent = routing.add_rule(form.source.data, form.zip.data, form.assign_to_id.data).assign_to
    db.session.commit()
    return hx.answer(f"Rule added: new contacts it matches go to {agent.name}.", back_to=url_for("settings.lead_flow"))


@bp.route("/lead-flow/<int:rule_id>/move/<direction>", methods=["POST"])
def move_lead_flow_rule(rule_id: int, direction: str):
    rule = _rule_or_404(rule_id)
    if direction not in ("up", "down"):
        abort(404)
    routing.move_rule(rule, -1 if direction == "up" else 1)
    db.session.commit()
    return redirect(url_for("settings.lead_flow"))


@bp.route("/lead-flow/<int:rule_id>/delete", methods=["POST"])
def delete_lead_flow_rule(rule_id: int):
    rule = _rule_or_404(rule_id)
    routing.delete_rule(rule)
    db.session.commit()
    return hx.answer("Rule deleted.", back_to=url_for("settings.lead_flow"))
