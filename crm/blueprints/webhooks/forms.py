from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length

from crm.services.webhooks import EVENT_TYPES


class SubscriptionForm(FlaskForm):
    url = StringField("URL", [DataRequired("Enter the URL that receives the events."),
                              Length(max=500, message="Use at most 500 characters.")])
    event_types = SelectMultipleField(
        "Events", [DataRequired("Choose at least one event.")], choices=[(name, name) for name in EVENT_TYPES],
        widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput())
