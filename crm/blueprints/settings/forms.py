"""Forms of Settings › Users, Offices and Sources (SPEC §3.8). Roles, offices and zones are checked
by the accounts service, which says what is wrong beside the field."""
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Regexp

from crm.models.values import ROLES

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
