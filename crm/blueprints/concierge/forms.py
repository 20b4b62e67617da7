"""Converting a lead into an appointment (docs/product.md#offers-and-claims): date, time and a note for the agent."""
from flask_wtf import FlaskForm
from wtforms import DateField, SubmitField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length


class ConvertForm(FlaskForm):
    date = DateField("Date", [InputRequired(message="Enter the appointment's date.")])
    time = TimeField("Time", [InputRequired(message="Enter the appointment's time.")])
    note = TextAreaField("Note", [Length(max=2000, message="A note can have at most 2000 characters.")])
    submit = SubmitField("Convert to Appointment")
