"""Settings › Notification log (SPEC §4.8): every email and text with its state and last error;
`Retry` sends a message again at the worker's next pass."""
from flask import abort, request, url_for

from crm import hx
from crm.blueprints.auth.forms import ButtonForm
from crm.blueprints.settings import bp
from crm.extensions import db
from crm.models import OutboxMessage
from crm.models.values import OutboxStatus
from crm.services import delivery

PAGE_SIZE = 50
STATE_LABELS: dict[str, str] = {status: status.capitalize() for status in OutboxStatus}


@bp.route("/notifications")
def notification_log():
    status = request.args.get("status")
    status = status if status in STATE_LABELS else None
    page = max(1, request.args.get("page", 1, type=int))
    messages, has_more = delivery.log_page(status, page, PAGE_SIZE)
    return hx.render_page("settings/notifications.html", "log", messages=messages, has_more=has_more, page=page,
                          status=status, states=STATE_LABELS, retryable=delivery.RETRYABLE, button=ButtonForm(),
                          failed_count=delivery.failed_count(), keep_trying=delivery.KEEP_TRYING)


@bp.route("/notifications/<int:message_id>/retry", methods=["POST"])
def retry_notification(message_id: int):
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    if ButtonForm().validate_on_submit() and delivery.retry(message):
        db.session.commit()
        done = f"Message #{message.id} to {message.recipient} is queued to be sent again."
    else:
        done = f"Message #{message.id} is {STATE_LABELS[message.status].lower()}: there is nothing to retry."
    return hx.answer(done, back_to=url_for("settings.notification_log"), fragment=lambda notice: (
        hx.render_fragment("settings/notifications.html", "row", message=message, states=STATE_LABELS,
                           retryable=delivery.RETRYABLE, button=ButtonForm(), notice=notice)))
