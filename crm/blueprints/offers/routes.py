"""Appointment offers as the agent sees them (docs/product.md#offers-and-claims): the page the offer's email and text
link to, with the time left, `Claim` and `Decline`. A refused claim or decline answers 409 with the
reason; an offer never made to the viewer is a 404 like any object that is not theirs."""
from flask import abort, render_template, url_for
from flask_login import current_user

from crm import hx
from crm.blueprints.offers import bp
from crm.extensions import db
from crm.services import offers


@bp.route("/")
def index():
    return render_template("offers/index.html", views=offers.offers_of(current_user))


def _context(view: offers.OfferView, notice: hx.Notice | None = None) -> dict:
    return dict(view=view, contact=view.offer.contact, notice=notice, **offers.visible_details(current_user, view))


@bp.route("/<int:offer_id>")
def detail(offer_id: int):
    view = offers.offer_view(current_user, offer_id)
    if view is None:
        abort(404)
    return hx.render_page("offers/detail.html", "offer", **_context(view))


def _answer(offer_id: int, action: str, outcome: offers.Outcome | None, success_url):
    """`success_url(offer)`: where a successful answer goes. A refusal is logged after the rollback."""
    if outcome is None:
        db.session.rollback()
        outcome = offers.refusal(offer_id, current_user, action)
    db.session.commit()
    if outcome.offer is None:
        abort(404)
    if outcome.ok:
        return hx.answer(outcome.message, back_to=success_url(outcome.offer))
    refused = hx.Notice(outcome.message, "error")
    view = offers.offer_view(current_user, offer_id)
    if view is None:
        return render_template("offers/refused.html", notice=refused), 409
    return render_template("offers/detail.html", **_context(view, refused)), 409


@bp.route("/<int:offer_id>/claim", methods=["POST"])
def claim(offer_id: int):
    return _answer(offer_id, "Claim", offers.claim(offer_id, current_user),
                   lambda offer: url_for("contacts.detail", contact_id=offer.contact_id))


@bp.route("/<int:offer_id>/decline", methods=["POST"])
def decline(offer_id: int):
    return _answer(offer_id, "Decline", offers.decline(offer_id, current_user), lambda _offer: url_for("offers.index"))
