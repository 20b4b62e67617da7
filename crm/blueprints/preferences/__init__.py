"""A user's own preferences: whether digest emails of passive website activity come (SPEC §4.7)."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField

from crm.extensions import db

bp = Blueprint("preferences", __name__)


class PreferencesForm(FlaskForm):
    digest_emails = BooleanField("Send me digest emails")


@bp.route("/preferences", methods=["GET", "POST"])
def edit():
    form = PreferencesForm(data={"digest_emails": current_user.digest_emails})
    if form.validate_on_submit():
        current_user.digest_emails = form.digest_emails.data
        db.session.commit()
        flash("Digest emails turned " + ("on." if current_user.digest_emails else "off."), "success")
        return redirect(url_for("preferences.edit"))
    return render_template("preferences/edit.html", form=form), 422 if form.errors else 200
