"""The forms of Settings (docs/product.md#settings). Roles, offices and zones are checked by the accounts service,
which says what is wrong beside the field."""
import re

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, EmailField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from crm.extensions import db
from crm.models import User
from crm.models.values import ROLES, TASK_KINDS
from crm.services import action_plans, manage, routing
from crm.services import api_keys as api_key_service

# The shape of an address; email-validator's Email() refuses reserved domains such as the demo's `.test`.
EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def _office_id(value) -> int | None:
    return int(value) if value not in (None, "", "None") and str(value).isdigit() else None


class RowForm(FlaskForm):
    """A form repeated once per row under a prefix. CSRFProtect checks every POST's `csrf_token` app-wide;
    the form's own check would want a prefixed token instead."""

    class Meta:
        csrf = False


class UserForm(RowForm):
    role = SelectField("Role", choices=[(role, role.capitalize()) for role in ROLES], validate_choice=False)
    office = SelectField("Office", coerce=_office_id, validate_choice=False)

    def with_offices(self, offices) -> "UserForm":
        self.office.choices = [("", "No office")] + [(office.id, office.name) for office in offices]
        return self


class InviteForm(UserForm):
    name = StringField("Name", [InputRequired("Enter the user's name."), Length(max=120)])
    email = EmailField("Email", [InputRequired("Enter the user's email."),
                                 Regexp(EMAIL_SHAPE, message="Enter a valid email address."), Length(max=254)])


class OfficeForm(RowForm):
    name = StringField("Name", [InputRequired("Enter the office's name."), Length(max=120)])
    time_zone = StringField("Time zone", [InputRequired("Enter a time zone."), Length(max=64)])


class SourcesForm(FlaskForm):
    contact_sources = TextAreaField("Contact Source values")
    business_sources = TextAreaField("Business Source values")


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


class TerritoryForm(FlaskForm):
    service_zips = TextAreaField("Service zip codes")
    sponsored_zips = TextAreaField("Sponsored zip codes")
    guaranteed_display = BooleanField("Guaranteed Display")
    phone = StringField("Mobile phone for offer texts")


class OfferSettingsForm(FlaskForm):
    claim_window_minutes = IntegerField("Claim window minutes", [
        InputRequired("Enter a number of minutes."),
        NumberRange(min=1, max=1440, message="Enter a number of minutes from 1 to 1440.")])
    update_request_days = IntegerField("Update request days", [
        InputRequired("Enter a number of days."),
        NumberRange(min=1, max=365, message="Enter a number of days from 1 to 365.")])


class ApiKeyForm(FlaskForm):
    name = StringField("Name", [DataRequired("Name the website or system that will use the key."),
                                Length(max=120, message="Use at most 120 characters.")])
    rate_limit = IntegerField("Requests per minute", [
        InputRequired("Enter how many requests per minute the key may make."),
        NumberRange(min=1, max=100_000, message="Enter a number from 1 to 100,000.")],
        default=api_key_service.DEFAULT_RATE_LIMIT)


PERMISSIONS = [(action.setting, action.label) for action in manage.ACTIONS.values()]
PERMISSIONS.append(("roles_may_export", "Dl CSV (export)"))


class PlanSettingsForm(FlaskForm):
    plan_in_use_id = SelectField("Plan in use", coerce=int)
    days_allowed_ignored = IntegerField("Days allowed ignored", [
        InputRequired("Enter a number of days."),
        NumberRange(min=1, max=365, message="Enter a number of days from 1 to 365.")])
    completed_plans_to_id = SelectField("Completed plans go to", coerce=int)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.plan_in_use_id.choices = [(0, "No plan")] + [(p.id, p.name) for p in action_plans.all_plans()]
        people = db.session.scalars(select(User).where(User.is_active_user.is_(True)).order_by(User.name))
        self.completed_plans_to_id.choices = [(0, "Stay with the owner")] + [
            (user.id, f"{user.name} ({user.role})") for user in people]


class NewPlanForm(FlaskForm):
    name = StringField("Plan name", [DataRequired("Enter a name for the plan."), Length(max=120)])


class TaskForm(FlaskForm):
    kind = SelectField("Task type", choices=[(kind, kind) for kind in TASK_KINDS])
    title = StringField("Task", [DataRequired("Describe the task."), Length(max=200)])
    due_days = IntegerField("Due (days after start)", [
        InputRequired("Enter the day the task is due: 0 is the day the plan starts."),
        NumberRange(min=0, max=3650, message="Due days cannot be negative: 0 is the day the plan starts.")])


class RoleChoices(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        unknown = [role for role in self.data or [] if role not in ROLES]
        if unknown:
            raise ValidationError(f"Unknown role: {', '.join(unknown)}. The roles are {', '.join(ROLES)}.")


def permissions_form(**kwargs) -> FlaskForm:
    fields = {key: RoleChoices(label, choices=[(role, role) for role in ROLES]) for key, label in PERMISSIONS}
    return type("PermissionsForm", (FlaskForm,), fields)(**kwargs)
