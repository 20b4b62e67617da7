"""Settings › Territories (docs/product.md#settings): each agent's service zip codes, zip code sponsorships and
Guaranteed Display; and Settings › Offers: the claim window and the update-request days."""
from flask import abort, render_template, request, url_for
from flask_login import current_user

from crm import hx
from crm.blueprints.settings import bp
from crm.blueprints.settings.forms import OfferSettingsForm, TerritoryForm
from crm.extensions import db
from crm.services import offers, paging, settings, territories

AGENTS_PER_PAGE = 50


def _territory_form(territory: territories.Territory, formdata=None) -> TerritoryForm:
    return TerritoryForm(formdata=formdata, prefix=f"agent-{territory.agent.id}", data={
        "service_zips": " ".join(territory.service_zips), "sponsored_zips": " ".join(territory.sponsored_zips),
        "guaranteed_display": territory.agent.guaranteed_display, "phone": territory.agent.phone or ""})



@bp.route("/territories")
def territory_list():
    name_filter = request.args.get("q", "").strip()[:100]
    page = paging.page_number(request.args)
    rows, has_next = territories.territories(name_filter, page, AGENTS_PER_PAGE)
    return render_template("settings/territories.html", rows=[(t, _territory_form(t)) for t in rows],
                           name_filter=name_filter, page=page, has_next=has_next)


@bp.route("/territories/<int:user_id>", methods=["POST"])
def save_territory(user_id: int):
    agent = territories.agent_by_id(user_id) or abort(404)
    form = TerritoryForm(prefix=f"agent-{agent.id}")
    try:
        territory = territories.set_territory(agent, current_user, form.service_zips.data,
                                              form.sponsored_zips.data, form.guaranteed_display.data,
                                              form.phone.data)
    except territories.TerritoryError as error:
        db.session.rollback()
        form.validate()
        form[error.field].errors.append(str(error))
        return _territory_answer(territories.territory_of(agent), form,
                                 f"{agent.name}'s territory was not saved: {error}", 422)
    db.session.commit()
    return _territory_answer(territory, _territory_form(territory), f"Saved {agent.name}'s territory.")


def _territory_answer(territory: territories.Territory, form: TerritoryForm, text: str, status: int = 200):
    """The agent's form again, saying it was saved; a refusal shows at its field instead."""
    return hx.answer(text, status=status, back_to=url_for("settings.territory_list", q=territory.agent.name),
                     fragment=lambda notice: hx.render_fragment("settings/_territory.html", "territory",
                                                                territory=territory, form=form,
                                                                notice=notice if status == 200 else None))


@bp.route("/offers", methods=["GET", "POST"])
def offer_settings():
    form = OfferSettingsForm(data={key: settings.get(key) for key in ("claim_window_minutes", "update_request_days")})
    if form.validate_on_submit():
        offers.set_timing(current_user, form.claim_window_minutes.data, form.update_request_days.data)
        db.session.commit()
        return hx.answer("Saved. New offers use the new claim window.", back_to=url_for("settings.offer_settings"))
    return render_template("settings/offers.html", form=form), 422 if form.errors else 200
