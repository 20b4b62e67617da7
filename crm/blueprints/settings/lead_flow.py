"""Settings › Lead flow rules (SPEC §5): which agent gets new website contacts, by source and zip."""
import re

from flask import abort, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional, Regexp

from crm import hx
from crm.blueprints.auth.forms import ButtonForm
from crm.blueprints.settings import bp
from crm.extensions import db
from crm.models import LeadFlowRule, User
from crm.services import routing

ZIP_CODE = re.compile(r"^\d{5}$")


class RuleForm(FlaskForm):
    source = StringField("Source", [Optional(), Length(max=120, message="Use at most 120 characters.")],
                         description="The event's source, like smithandassociates.com; empty matches any.")
    zip = StringField("Zip code", [Optional(), Regexp(ZIP_CODE, message="Enter a 5-digit zip code.")],
                      description="The property's zip code; empty matches any.")
    assign_to_id = SelectField("Assign to", coerce=int)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        agents = db.session.execute(routing.active_agents().add_columns(User.name).order_by(User.name))
        self.assign_to_id.choices = [(agent_id, name) for agent_id, name in agents]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.source.data or "").strip() and not (self.zip.data or "").strip():
            self.source.errors.append("Give a source, a zip code or both: a rule for everything would hide "
                                      "round robin.")
            return False
        return valid


def _page(form: RuleForm | None = None, status: int = 200):
    return render_template("settings/lead_flow.html", rules=routing.rules(), form=form or RuleForm(),
                           button=ButtonForm()), status


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
    if ButtonForm().validate_on_submit():
        routing.move_rule(rule, -1 if direction == "up" else 1)
        db.session.commit()
    return redirect(url_for("settings.lead_flow"))


@bp.route("/lead-flow/<int:rule_id>/delete", methods=["POST"])
def delete_lead_flow_rule(rule_id: int):
    rule = _rule_or_404(rule_id)
    deleted = None
    if ButtonForm().validate_on_submit():
        routing.delete_rule(rule)
        db.session.commit()
        deleted = "Rule deleted."
    return hx.answer(deleted, back_to=url_for("settings.lead_flow"))
