"""Settings › Webhooks (`/settings/webhooks`, broker): subscriptions, their delivery log,
`Send test event` and `Redeliver`. The sending is the outbox worker's."""
from flask import abort, render_template, url_for
from flask_login import current_user

from crm import hx, policy
from crm.blueprints.guards import roles_required
from crm.blueprints.webhooks import bp
from crm.blueprints.webhooks.forms import SubscriptionForm
from crm.extensions import db
from crm.models import WebhookDelivery, WebhookSubscription
from crm.services import webhooks


@bp.before_request
@roles_required(policy.runs_settings)
def broker_only():
    return None


def _subscription(subscription_id: int) -> WebhookSubscription:
    return db.session.get(WebhookSubscription, subscription_id) or abort(404)


def _list_page(form: SubscriptionForm | None = None, status: int = 200):
    return render_template("webhooks/index.html", subscriptions=webhooks.subscriptions(),
                           form=form or SubscriptionForm()), status


@bp.route("")
def index():
    return _list_page()


@bp.route("", methods=["POST"])
def subscribe():
    form = SubscriptionForm()
    if not form.validate_on_submit():
        return _list_page(form, 422)
    try:
        subscription = webhooks.subscribe(current_user, form.url.data, form.event_types.data)
    except webhooks.WebhookError as error:
        db.session.rollback()
        getattr(form, error.field).errors = [str(error)]
        return _list_page(form, 422)
    db.session.commit()
    return hx.answer(f"Subscribed {subscription.url}. Verify each event with the signing secret below.",
                     back_to=url_for("webhooks.detail", subscription_id=subscription.id))


@bp.route("/<int:subscription_id>")
def detail(subscription_id: int):
    subscription = _subscription(subscription_id)
    return render_template("webhooks/detail.html", subscription=subscription,
                           deliveries=webhooks.deliveries(subscription), delete_question=_delete_question(subscription))


def _delete_question(subscription: WebhookSubscription) -> str:
    return (f"Delete the webhook to {subscription.url}? It gets no more events, and its delivery log "
            "is deleted with it.")


@bp.route("/<int:subscription_id>/test", methods=["POST"])
def send_test(subscription_id: int):
    subscription = _subscription(subscription_id)
    webhooks.send_test_event(subscription)
    db.session.commit()
    return hx.answer("A test event is queued; the worker sends it within seconds.",
                     back_to=url_for("webhooks.detail", subscription_id=subscription.id))


@bp.route("/<int:subscription_id>/delete", methods=["POST"])
def delete(subscription_id: int):
    subscription = _subscription(subscription_id)
    asking = hx.unconfirmed("Delete webhook", _delete_question(subscription),
                            back_to=url_for("webhooks.detail", subscription_id=subscription.id))
    if asking:
        return asking
    webhooks.unsubscribe(subscription)
    db.session.commit()
    return hx.answer(f"Deleted the subscription of {subscription.url}: it gets no more events.",
                     back_to=url_for("webhooks.index"))


@bp.route("/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
def redeliver(delivery_id: int):
    delivery = db.session.get(WebhookDelivery, delivery_id) or abort(404)
    webhooks.redeliver(delivery)
    db.session.commit()
    return hx.answer(f"The {delivery.event_type} event is queued again.",
                     back_to=url_for("webhooks.detail", subscription_id=delivery.subscription_id))
