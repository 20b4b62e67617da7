"""The concierge's queue (docs/product.md#roles, #offers-and-claims, #lead-status): raw leads with their Lead Status,
`Not Workable`, converting a lead into an appointment, the offers under way, `Unclaimed` ones and the routing log.
Managers and the broker may do all of it too (within what they see)."""
from datetime import datetime

from flask import current_app, render_template, request, url_for
from flask_login import current_user

from crm import clock, hx, policy
from crm.blueprints.concierge import bp
from crm.blueprints.concierge.forms import ConvertForm
from crm.blueprints.guards import roles_required
from crm.blueprints.lookups import visible_contact_or_404
from crm.extensions import db
from crm.models.values import LEAD_STATUSES, OfferStatus, RecipientStatus
from crm.services import activity, local_time, offers, paging, referrals
from crm.wording import plural


@bp.before_request
@roles_required(policy.works_concierge_desk)
def staff_only():
    return None




def _queue_context(notice: hx.Notice | None = None) -> dict:
    keyword = (request.values.get("keyword") or "").strip()[:100]
    page = paging.page_number(request.args)
    return dict(raw=referrals.raw_leads(current_user, page, current_app.config["PAGE_SIZE"], keyword),
                keyword=keyword, count_cap=referrals.COUNT_CAP,
                open_offers=offers.open_offers(current_user), unclaimed=offers.unclaimed_offers(current_user),
                lead_statuses=LEAD_STATUSES, now=clock.now(), time_left=offers.time_left, notice=notice)


@bp.route("/")
def queue():
    return hx.render_page("concierge/queue.html", "queue", **_queue_context())


def _after_action(text: str, status: int = 200, contact=None):
    """The queue again with the notice in it; from Contact Details (`return_to=contact`): the contact."""
    if contact is not None and request.form.get("return_to") == "contact":
        return hx.answer(text, back_to=url_for("contacts.detail", contact_id=contact.id))
    return hx.answer(text, status=status, back_to=url_for("concierge.queue"), fragment=lambda notice: (
        hx.render_fragment("concierge/queue.html", "queue", **_queue_context(notice))))


@bp.route("/<int:contact_id>/lead-status", methods=["POST"])
def set_lead_status(contact_id: int):
    contact = visible_contact_or_404(contact_id)
    try:
        changed = referrals.set_lead_status(contact, current_user, request.form.get("lead_status", ""))
    except referrals.ReferralError as error:
        db.session.rollback()
        referrals.log_refusal(contact, current_user, error)
        db.session.commit()
        return _after_action(f"{contact.name}: {error}", 422)
    db.session.commit()
    return _after_action(f"{contact.name}: Lead Status is {contact.lead_status}."
                         if changed else f"{contact.name}: Lead Status was {contact.lead_status} already.")


@bp.route("/<int:contact_id>/not-workable", methods=["POST"])
def not_workable(contact_id: int):
    contact = visible_contact_or_404(contact_id)
    referrals.mark_not_workable(contact, current_user)
    db.session.commit()
    return _after_action(f"{contact.name} is marked Not Workable: it is in the owner's Inactive Leads.",
                         contact=contact)


def _conversion_message(offer) -> str:
    name = offer.contact.name
    if offer.status == OfferStatus.UNCLAIMED:
        return f"{name} is converted, but no active agent serves its zip code: it is Unclaimed in the queue."
    offered = next(r for r in offer.recipients if r.status == RecipientStatus.OFFERED)
    minutes = int((offered.expires_at - offered.offered_at).total_seconds() // 60)
    return f"{name} is converted: offered to {offered.user.name}, who has {plural(minutes, 'minute')} to claim it."


@bp.route("/<int:contact_id>/convert", methods=["GET", "POST"])
def convert(contact_id: int):
    contact = visible_contact_or_404(contact_id)
    form, zone = ConvertForm(), local_time.appointment_zone(contact, current_user)
    blocked = offers.conversion_blocker(contact)
    if blocked is None and form.validate_on_submit():
        appointment_at = local_time.to_utc(datetime.combine(form.date.data, form.time.data), zone)
        try:
            offer = offers.convert_to_appointment(contact, current_user, appointment_at, form.note.data)
        except offers.OfferError as error:
            db.session.rollback()
            (form[error.field].errors if error.field else form.form_errors).append(str(error))
        else:
            db.session.commit()
            return hx.answer(_conversion_message(offer), back_to=url_for("concierge.queue"))
    status = 422 if form.errors or (blocked and request.method == "POST") else 200
    return render_template("concierge/convert.html", contact=contact, form=form, zone=zone, blocked=blocked), status


@bp.route("/<int:contact_id>/routing")
def routing_log(contact_id: int):
    contact = visible_contact_or_404(contact_id)
    return render_template("concierge/routing.html", contact=contact,
                           entries=activity.entries_for(contact, category="routing"))
