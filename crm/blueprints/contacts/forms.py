"""Add Lead and the in-place section editors of Contact Details."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from crm.models import Contact, Lead
from crm.models import values as v
from crm.services import settings
from crm.services.contacts import split_name
from crm.validation import clean_name, fits, is_email, is_phone, max_length


def _choices(values, blank: str | None = None):
    return ([("", blank)] if blank is not None else []) + [(value, value) for value in values]


def _valid_phone(_form, field):
    if field.data and not is_phone(field.data):
        raise ValidationError("Enter a phone number of 7 to 15 digits.")


def _valid_email(_form, field):
    if field.data and not is_email(field.data.strip()):
        raise ValidationError("Enter an email address like name@example.com.")


def _valid_name(_form, field):
    """Add Lead's one Name box becomes a first and a last name: each must fit its column."""
    first, last = split_name(field.data)
    if len(first) > max_length(Contact.first_name) or len(last) > max_length(Contact.last_name):
        raise ValidationError(f"The first and the last name can have at most {max_length(Contact.first_name)} "
                              "characters each.")


def _valid_email_lines(_form, field):
    for line in (field.data or "").split():
        if not is_email(line):
            raise ValidationError(f"“{line}” is not an email address.")


def _valid_phone_lines(_form, field):
    for line in (field.data or "").splitlines():
        if line.strip() and not is_phone(line):
            raise ValidationError(f"“{line.strip()}” is not a phone number of 7 to 15 digits.")


ZIP = Regexp(r"^\d{5}(-\d{4})?$", message="Enter a 5-digit zip code.")
STATE = Regexp(r"^[A-Za-z]{2}$", message="Enter a 2-letter state.")


# The form field of each editable contact attribute; Contact Source and Business Source read their
# choices from settings each time a form is built.
CONTACT_FIELDS = {
    "first_name": StringField("First Name", [DataRequired(), fits(Contact.first_name)], filters=[clean_name]),
    "last_name": StringField("Last Name", [Optional(), fits(Contact.last_name)], filters=[clean_name]),
    "street": StringField("Street", [Optional(), fits(Contact.street)], filters=[clean_name]),
    "city": StringField("City", [Optional(), fits(Contact.city)], filters=[clean_name]),
    "state": StringField("State", [Optional(), STATE]),
    "zip": StringField("Zip", [Optional(), ZIP]),
    "emails": TextAreaField("Emails", [_valid_email_lines]),
    "phones": TextAreaField("Phones", [_valid_phone_lines]),
    "contact_status": SelectField("Contact Status", choices=_choices(v.CONTACT_STATUSES)),
    "contact_type": SelectField("Contact Type", choices=_choices(v.CONTACT_TYPES)),
    "contact_source": SelectField("Contact Source", choices=lambda: _choices(settings.get("contact_sources"))),
    "business_source": SelectField(
        "Business Source", choices=lambda: _choices(settings.get("business_sources"), blank="—")),
    "priority": SelectField("Priority", choices=_choices(v.PRIORITIES, blank="—")),
    "interest_level": SelectField(
        "Interest Level", coerce=int, choices=[(i, f"{i} stars") for i in v.INTEREST_LEVELS]),
    "time_frame": SelectField("Time Frame", choices=_choices(v.TIME_FRAMES)),
    "lead_status": SelectField("Lead Status", choices=_choices(v.LEAD_STATUSES)),
    "buy_sell_rent": SelectField("Buy/Sell/Rent", choices=_choices(v.BUY_SELL_RENT, blank="—")),
    "financing": SelectField("Financing", choices=_choices(v.FINANCING, blank="—")),
    "prequalified": BooleanField("Prequalified"),
    "lender_name": StringField("Lender Name", [Optional(), fits(Contact.lender_name)], filters=[clean_name]),
    "loan_officer_name": StringField("Loan Officer Name", [Optional(), fits(Contact.loan_officer_name)],
                                     filters=[clean_name]),
    "loan_officer_email": StringField("Loan Officer Email", [Optional(), _valid_email]),
    "is_referral": BooleanField("Referral"),
    "referral_source": StringField("Referral Source", [Optional(), fits(Contact.referral_source)],
                                   filters=[clean_name]),
}


def section_form(field_names: list[str], **kwargs) -> FlaskForm:
    fields = {name: CONTACT_FIELDS[name] for name in field_names}
    form_class = type("SectionForm", (FlaskForm,), {**fields, "submit": SubmitField("Save")})
    return form_class(**kwargs)


class AddLeadForm(FlaskForm):
    lead_source = SelectField("Lead Source")
    lead_assignment = SelectField("Lead Assignment", coerce=int)
    buy_sell_rent = SelectField("Buy/Sell/Rent", choices=_choices(v.BUY_SELL_RENT, blank="—"))
    financing = SelectField("Financing", choices=_choices(v.FINANCING, blank="—"))
    prequalified = BooleanField("Prequalified")
    lender_name = StringField("Lender Name", [Optional(), fits(Contact.lender_name)], filters=[clean_name])
    loan_officer_name = StringField("Loan Officer Name", [Optional(), fits(Contact.loan_officer_name)],
                                    filters=[clean_name])
    loan_officer_email = StringField("Loan Officer Email", [Optional(), _valid_email])
    status = SelectField("Status", choices=_choices(v.CONTACT_STATUSES), default="Assigned")
    referral = BooleanField("Referral")
    referral_source = StringField("Referral Source", [Optional(), fits(Contact.referral_source)], filters=[clean_name])
    name = StringField("Name", [DataRequired(), _valid_name], filters=[clean_name])
    email = StringField("Email", [Optional(), _valid_email])
    phone = StringField("Phone", [Optional(), _valid_phone])
    mls_number = StringField("Lead Property MLSID", [Optional(), fits(Lead.mls_number)], filters=[clean_name])
    property_id = StringField("Property ID", [Optional(), fits(Lead.property_id)], filters=[clean_name])
    message = TextAreaField("Contact Message", [Optional(), Length(max=5000)])
    submit = SubmitField("Add Lead")

    def __init__(self, agents, **kwargs):
        super().__init__(**kwargs)
        self.lead_source.choices = _choices(settings.get("contact_sources"))
        self.lead_assignment.choices = [(agent.id, agent.name) for agent in agents]

    def contact_fields(self) -> dict:
        """The new contact's fields (its name, email and phone aside); empty answers are None."""
        return dict(owner_id=self.lead_assignment.data, contact_source=self.lead_source.data,
                    contact_status=self.status.data, prequalified=self.prequalified.data,
                    is_referral=self.referral.data,
                    **{name: self[name].data or None for name in (
                        "buy_sell_rent", "financing", "lender_name", "loan_officer_name", "loan_officer_email",
                        "referral_source")})

    def lead_fields(self) -> dict:
        return dict(source=self.lead_source.data,
                    **{name: self[name].data or None for name in ("message", "mls_number", "property_id")})


def field_labels(field_names) -> dict[str, str]:
    return {name: CONTACT_FIELDS[name].args[0] for name in field_names}


class SmartListForm(FlaskForm):
    """`Save List` and renaming: the name's checks (empty, too long, taken) live in the service."""
    name = StringField("List name")
    shared = BooleanField("Share with my office")
    query = StringField("Search")
