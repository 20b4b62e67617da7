"""Settings › API keys (docs/product.md#settings, #events-api): the broker lists, creates and revokes the events API's
keys. A new key is shown once, in the answer to its creation, and never again (only its hash is kept)."""
from flask import abort, render_template, url_for

from crm import hx
from crm.blueprints.settings import bp
from crm.blueprints.settings.forms import ApiKeyForm
from crm.extensions import db
from crm.models import ApiKey
from crm.services import api_keys as api_key_service


def _page(form: ApiKeyForm | None = None, new_key: str | None = None, status: int = 200):
    return render_template("settings/api_keys.html", keys=api_key_service.all_keys(), form=form or ApiKeyForm(),
                           new_key=new_key), status


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
    api_key_service.revoke(api_key)
    db.session.commit()
    return hx.answer(f"The key {api_key.name} ({api_key.prefix}…) is revoked: requests with it now get 401.",
                     back_to=url_for("settings.api_keys"))
