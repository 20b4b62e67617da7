"""Jinja filters and globals shared by every template."""
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Flask, g, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from crm import clock
from crm.models import User
from crm.models.values import MASK, ImportStatus, OutboxStatus, RecipientStatus, RequestStatus
from crm.services import display, local_time, manage, offers
from crm.services.alerts import search_summary
from crm.services.contacts import phone_digits


def url_with(**changes) -> str:
    """The current query string with some parameters replaced (None drops one); multi-values kept."""
    params = [(key, value) for key, value in request.args.items(multi=True) if key not in changes]
    params += [(key, str(value)) for key, value in changes.items() if value is not None]
    return f"{request.path}?{urlencode(params)}" if params else request.path


def viewer_zone() -> ZoneInfo:
    """The signed-in reader's zone, looked up once per request."""
    if "viewer_zone" not in g:
        g.viewer_zone = local_time.zone_of(current_user if current_user.is_authenticated else None)
    return g.viewer_zone


def datetime_display(value: datetime | None, reader: User | None = None) -> str:
    """`|dt`: in the page's viewer's zone, or `|dt(recipient)` in an email's recipient's zone."""
    return local_time.display(value, local_time.zone_of(reader) if reader else viewer_zone())


def day_display(value: datetime | None) -> str:
    return local_time.display_day(value, viewer_zone()) if value else "—"


def stars(level: int | None) -> str:
    level = level or 0
    return "★" * level + "☆" * (5 - level)


def as_options(values) -> list[tuple]:
    """Field values as (value, label) pairs, for values that are their own labels."""
    return [(value, value) for value in values]


def tel_link(phone: str) -> Markup:
    """An unmasked phone as a `tel:` link; a masked one (`XXX`) stays plain text."""
    if phone == MASK:
        return Markup(MASK)
    return Markup(f'<a href="tel:+{escape(_dialable(phone))}">{escape(phone)}</a>')


def _dialable(phone: str) -> str:
    digits = phone_digits(phone)
    return digits if len(digits) != 10 else f"1{digits}"


def mailto_link(email: str) -> Markup:
    """An unmasked email as a `mailto:` link; a masked one (`XXX`) stays plain text."""
    if email == MASK:
        return Markup(MASK)
    return Markup(f'<a href="mailto:{escape(email)}">{escape(email)}</a>')


def csrf_field() -> Markup:
    """The CSRF token of a form that is not a WTForms form: CSRFProtect checks it on every POST."""
    return Markup(f'<input type="hidden" name="csrf_token" value="{escape(generate_csrf())}">')


def pages_of(endpoint: str, **args) -> Callable[..., str]:
    """The pagination macro's `href` for a list at `endpoint` with these arguments."""
    return lambda page: url_for(endpoint, page=page, **args)


def offers_waiting() -> int:
    """The `Offers` tab's count: offers waiting for the signed-in agent."""
    return offers.waiting_count(current_user) if current_user.is_agent else 0


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(url_with=url_with, now=clock.now, search_summary=search_summary,
                                offers_waiting=offers_waiting, approval_question=manage.approval_question,
                                pages_of=pages_of, csrf_field=csrf_field, address=display.address,
                                RequestStatus=RequestStatus, RecipientStatus=RecipientStatus,
                                OutboxStatus=OutboxStatus, ImportStatus=ImportStatus)
    app.jinja_env.filters.update(dt=datetime_display, day=day_display, stars=stars, as_options=as_options,
                                 tel_link=tel_link, mailto_link=mailto_link, display_name=display.name,
                                 money=display.money, field_value=display.field_value)
