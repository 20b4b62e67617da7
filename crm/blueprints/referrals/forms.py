"""The referral's form (docs/product.md#referrals): `Referral Status` grouped by sub-tab, a notes box and `Save`."""
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from crm.models.values import REFERRAL_TABS
from crm.services.referrals import NOTE_MAX_LENGTH

NOTE_TOO_LONG = f"A note can have at most {NOTE_MAX_LENGTH} characters."


class ReferralForm(FlaskForm):
    # The service checks the status (and logs a refusal), so the form does not drop unknown values.
    referral_status = SelectField(
        "Referral Status", validate_choice=False,
        choices=[SelectChoice(status, status, optgroup=tab)
                 for tab, statuses in REFERRAL_TABS.items() for status in statuses])
    note = TextAreaField("Notes", [Length(max=NOTE_MAX_LENGTH, message=NOTE_TOO_LONG)])
    submit = SubmitField("Save")


class NoteForm(FlaskForm):
    note = TextAreaField("Private note", [DataRequired(message="Write the note first."),
                                          Length(max=NOTE_MAX_LENGTH, message=NOTE_TOO_LONG)])
    submit = SubmitField("Add note")
