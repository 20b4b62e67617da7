"""Settings › Users, Offices and Sources (docs/product.md#settings). Bad input re-renders the page (422) with the
message beside the field and nothing changed."""
from flask import render_template, url_for
from flask_login import current_user

from crm import hx
from crm.blueprints.settings import bp
from crm.blueprints.settings.forms import InviteForm, OfficeForm, SourcesForm, UserForm
from crm.extensions import db
from crm.models import Office, User
from crm.services import accounts, local_time, settings
from crm.services.errors import FieldError


def _attempt(form, change) -> bool:
    """Run `change` (a service call); on FieldError roll back and put the message beside its field."""
    try:
        change()
    except FieldError as error:
        db.session.rollback()
        (form[error.field].errors if error.field and error.field in form else form.form_errors).append(str(error))
        return False
    db.session.commit()
    return True


def _user_form(user: User, offices, formdata=None) -> UserForm:
    return UserForm(formdata=formdata, prefix=f"user-{user.id}",
                    data={"role": user.role, "office": user.office_id}).with_offices(offices)


def _users_page(invite_form: InviteForm | None = None, failed: tuple[int, UserForm] | None = None, status=200):
    offices = accounts.all_offices()
    rows = [(user, failed[1] if failed and failed[0] == user.id else _user_form(user, offices))
            for user in accounts.all_users()]
    invite_form = invite_form or InviteForm(formdata=None, prefix="new").with_offices(offices)
    return render_template("settings/users.html", rows=rows, invite_form=invite_form,
                           state_of=accounts.state_of), status


@bp.route("/users")
def user_list():
    return _users_page()


@bp.route("/users", methods=["POST"])
def invite_user():
    form = InviteForm(prefix="new").with_offices(accounts.all_offices())
    if form.validate_on_submit() and _attempt(form, lambda: accounts.invite(
            current_user, form.name.data, form.email.data, form.role.data, form.office.data)):
        return hx.answer(f"Invitation sent to {form.email.data.strip().lower()}: the link works once, for 7 days.",
                         back_to=url_for("settings.user_list"))
    return _users_page(invite_form=form, status=422)


@bp.route("/users/<int:user_id>", methods=["POST"])
def change_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserForm(prefix=f"user-{user.id}").with_offices(accounts.all_offices())
    if form.validate_on_submit() and _attempt(form, lambda: accounts.change_role_and_office(
            current_user, user, form.role.data, form.office.data)):
        return hx.answer(f"Saved {user.name}: {user.role}{', ' + user.office.name if user.office else ''}.",
                         back_to=url_for("settings.user_list"))
    return _users_page(failed=(user.id, form), status=422)


@bp.route("/users/<int:user_id>/<any(deactivate, reactivate):action>", methods=["POST"])
def set_user_active(user_id: int, action: str):
    user = db.get_or_404(User, user_id)
    form = UserForm(prefix=f"user-{user.id}").with_offices(accounts.all_offices())
    if form.validate_on_submit() and _attempt(form, lambda: accounts.set_active(
            current_user, user, action == "reactivate")):
        return hx.answer(f"{user.name} is active again: they can sign in and get leads." if action == "reactivate"
                         else f"{user.name} is deactivated: they cannot sign in and get no leads, offers or digests. "
                         f"Their {accounts.contacts_owned_by(user)} contacts stay: hand them off from Leads.",
                         back_to=url_for("settings.user_list"))
    return _users_page(failed=(user.id, form), status=422)


def _offices_page(add_form: OfficeForm | None = None, failed: tuple[int, OfficeForm] | None = None, status=200):
    rows = [(office, failed[1] if failed and failed[0] == office.id else
             OfficeForm(formdata=None, prefix=f"office-{office.id}", obj=office)) for office in accounts.all_offices()]
    add_form = add_form or OfficeForm(formdata=None, prefix="new", data={"time_zone": local_time.DEFAULT_TIME_ZONE})
    return render_template("settings/offices.html", rows=rows, add_form=add_form,
                           zone_names=sorted(local_time.zone_names())), status


@bp.route("/offices")
def office_list():
    return _offices_page()


@bp.route("/offices", methods=["POST"])
def add_office():
    form = OfficeForm(prefix="new")
    if form.validate_on_submit() and _attempt(form, lambda: accounts.add_office(
            current_user, form.name.data, form.time_zone.data)):
        return hx.answer(f"Office {form.name.data.strip()} added.", back_to=url_for("settings.office_list"))
    return _offices_page(add_form=form, status=422)


@bp.route("/offices/<int:office_id>", methods=["POST"])
def change_office(office_id: int):
    office = db.get_or_404(Office, office_id)
    form = OfficeForm(prefix=f"office-{office.id}")
    if form.validate_on_submit() and _attempt(form, lambda: accounts.update_office(
            current_user, office, form.name.data, form.time_zone.data)):
        return hx.answer(f"Saved office {office.name} ({office.time_zone}).", back_to=url_for("settings.office_list"))
    return _offices_page(failed=(office.id, form), status=422)


@bp.route("/sources", methods=["GET", "POST"])
def sources():
    form = SourcesForm(data={key: "\n".join(settings.get(key)) for key in accounts.SOURCE_SETTINGS})
    if form.validate_on_submit() and _attempt(form, lambda: [
            accounts.set_sources(current_user, key, form[key].data) for key in accounts.SOURCE_SETTINGS]):
        return hx.answer("Saved the Contact Source and Business Source values.", back_to=url_for("settings.sources"))
    return render_template("settings/sources.html", form=form), 422 if form.errors else 200
