"""Settings › Notification log (docs/product.md#delivery): every email and text with its state and last error;
`Retry` sends a message again at the worker's next pass."""
from flask import abort, render_template, request, url_for

from crm import hx
from crm.blueprints.settings import bp
from crm.extensions import db
from crm.models import OutboxMessage
from crm.models.values import OutboxStatus
from crm.services import delivery, paging

PAGE_SIZE = 50
STATE_LABELS: dict[str, str] = {status: status.capitalize() for status in OutboxStatus}


@bp.route("/notifications")
def notification_log():
    status = request.args.get("status")
    status = status if status in STATE_LABELS else None
    page = paging.page_number(request.args)
    messages, has_next = delivery.log_page(status, page, PAGE_SIZE)
    return render_template("settings/delivery.html", messages=messages, has_next=has_next, page=page,
                           status=status, states=STATE_LABELS, retryable=delivery.RETRYABLE,
                           failed_count=delivery.failed_count(), keep_trying=delivery.KEEP_TRYING)


@bp.route("/notifications/<int:message_id>/retry", methods=["POST"])
def retry_notification(message_id: int):
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    if delivery.retry(message):
        db.session.commit()
        done = f"Message #{message.id} to {message.recipient} is queued to be sent again."
    else:
        done = f"Message #{message.id} is {STATE_LABELS[message.status].lower()}: there is nothing to retry."
    return hx.answer(done, back_to=url_for("settings.notification_log"), fragment=lambda notice: (
        hx.render_fragment("settings/delivery.html", "row", message=message, states=STATE_LABELS,
                           retryable=delivery.RETRYABLE, notice=notice)))
