"""A user's own preferences: digest emails (docs/product.md#alerts), their time zone (docs/product.md#time) and
`Change password` (docs/product.md#settings)."""
from flask import render_template, url_for
from flask_login import current_user, login_user

from crm import hx
from crm.blueprints.auth.forms import ChangePasswordForm
from crm.blueprints.preferences import bp
from crm.blueprints.preferences.forms import PreferencesForm
from crm.extensions import db
from crm.services import accounts, local_time, passwords
from crm.services.errors import FieldError


def _page(form: PreferencesForm | None = None, password_form: ChangePasswordForm | None = None, status: int = 200):
    form = form or PreferencesForm(formdata=None, data={"digest_emails": current_user.digest_emails,
                                                        "time_zone": current_user.time_zone or ""})
    office_zone = current_user.office.time_zone if current_user.office else local_time.DEFAULT_TIME_ZONE
    return render_template("preferences/edit.html", form=form, password_form=password_form or ChangePasswordForm(
        formdata=None), office_zone=office_zone, zone_names=sorted(local_time.zone_names())), status


@bp.route("/preferences")
def edit():
    return _page()


@bp.route("/preferences", methods=["POST"])
def save():
    form = PreferencesForm()
    if form.validate_on_submit():
        try:
            accounts.set_personal_zone(current_user, form.time_zone.data or "")
        except FieldError as error:
            db.session.rollback()
            form.time_zone.errors.append(str(error))
        else:
            current_user.digest_emails = form.digest_emails.data
            db.session.commit()
            return hx.answer("Digest emails turned " + ("on." if current_user.digest_emails else "off.") +
                             f" Times show in {local_time.zone_name_of(current_user)}.",
                             back_to=url_for("preferences.edit"))
    return _page(form=form, status=422)


@bp.route("/preferences/password", methods=["POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            passwords.change_password(current_user, form.current_password.data, form.new_password.data,
                                      form.confirm_password.data)
        except FieldError as error:
            db.session.rollback()
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            # this session carries the new version; the others have ended
            login_user(current_user._get_current_object())
            return hx.answer("Your password is changed. Your other sessions are signed out.",
                             back_to=url_for("preferences.edit"))
    return _page(password_form=form, status=422)
