from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length


class PreferencesForm(FlaskForm):
    digest_emails = BooleanField("Send me digest emails")
    time_zone = StringField("Time zone", [Length(max=64)])
