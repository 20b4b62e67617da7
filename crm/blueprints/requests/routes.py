"""Requests (docs/product.md#requests): a manager's pending Delete/Archive requests with Approve and Decline."""
from flask import abort, render_template, request, url_for
from flask_login import current_user

from crm import hx, policy
from crm.blueprints.guards import roles_required
from crm.blueprints.requests import bp
from crm.extensions import db
from crm.services import manage, requests, visibility
from crm.services.errors import FieldError
from crm.services.requests import PendingRow


@bp.route("/requests")
@roles_required(policy.is_decider)
def index():
    return render_template("requests/index.html", rows=requests.pending_for(current_user))


def _decide(manage_request, approve: bool) -> tuple[str, int]:
    """The decision's outcome message and status: 409 when another manager decided first."""
    try:
        manage.decide(manage_request, current_user, approve, request.form.get("note", ""))
    except requests.AlreadyDecided as error:
        db.session.rollback()
        return str(error), 409
    except FieldError as error:  # the approved action itself is refused (e.g. archived already)
        db.session.rollback()
        return str(error), 422
    db.session.commit()
    done = "approved" if approve else "declined"
    return f"{manage_request.kind} request for {manage_request.contact.name} {done}.", 200


@bp.route("/requests/<int:request_id>/<any(approve, decline):decision>", methods=["POST"])
@roles_required(policy.is_decider)
def decide(request_id: int, decision: str):
    manage_request = requests.get_for_decider(current_user, request_id)
    if manage_request is None:
        abort(404)
    message, status = _decide(manage_request, decision == "approve")
    row = PendingRow(manage_request, manage_request.contact, manage_request.requested_by.name)
    return hx.answer(message, status=status, back_to=url_for("requests.index"),
                     fragment=lambda notice: hx.render_fragment("requests/_row.html", "row", row=row, notice=notice))


@bp.route("/contacts/<int:contact_id>/request/<any(approve, decline):decision>", methods=["POST"])
@roles_required(policy.is_decider)
def decide_from_leads(contact_id: int, decision: str):
    """The Approve/Decline buttons of the Leads `Request` column: the contact's pending request."""
    contact = visibility.get_visible_contact(current_user, contact_id)
    if contact is None:
        abort(404)
    pending = requests.pending_request(contact)
    manage_request = requests.get_for_decider(current_user, pending.id) if pending else None
    if manage_request is None:
        message, status = "This request was already decided.", 409
    else:
        message, status = _decide(manage_request, decision == "approve")
    return hx.answer(message, status=status, back_to=url_for("contacts.index"), fragment=lambda notice: (
        hx.render_fragment("requests/_lead_cell.html", "request_cell", notice=notice)))
