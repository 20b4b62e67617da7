"""Settings › API keys (SPEC §3.8, §5): the broker lists, creates and revokes the events API's keys.
A new key is shown once, in the answer to its creation, and never again (only its hash is kept)."""
from flask import abort, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from crm import hx
from crm.blueprints.auth.forms import ButtonForm
from crm.blueprints.settings import bp
from crm.extensions import db
from crm.models import ApiKey
from crm.services import api_keys as api_key_service


class ApiKeyForm(FlaskForm):
    name = StringField("Name", [DataRequired("Name the website or system that will use the key."),
                                Length(max=120, message="Use at most 120 characters.")])
    rate_limit = IntegerField("Requests per minute", [
        InputRequired("Enter how many requests per minute the key may make."),
        NumberRange(min=1, max=100_000, message="Enter a number from 1 to 100,000.")],
        default=api_key_service.DEFAULT_RATE_LIMIT)


def _page(form: ApiKeyForm | None = None, new_key: str | None = None, status: int = 200):
    return render_template("settings/api_keys.html", keys=api_key_service.all_keys(), form=form or ApiKeyForm(),
                           new_key=new_key, button=ButtonForm()), status


@bp.route("/api-keys")
def api_keys():
    return _page()


@bp.route("/api-keys", methods=["POST"])
def create_api_key():
    form = ApiKeyForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    api_key, plain = api_key_service.create_key(form.name.data, form.rate_limit.data)
    db.session.commit()
    return _page(new_key=plain, status=201)


@bp.route("/api-keys/<int:key_id>/revoke", methods=["POST"])
def revoke_api_key(key_id: int):
    api_key = db.session.get(ApiKey, key_id) or abort(404)
    revoked = None
    if ButtonForm().validate_on_submit():
        api_key_service.revoke(api_key)
        db.session.commit()
        revoked = f"The key {api_key.name} ({api_key.prefix}…) is revoked: requests with it now get 401."
    return hx.answer(revoked, back_to=url_for("settings.api_keys"))
