"""Jinja filters and globals shared by every template."""
from datetime import datetime
from urllib.parse import urlencode

from zoneinfo import ZoneInfo

from flask import Flask, g, request
from flask_login import current_user

from crm import clock
from crm.models import User
from crm.services import local_time
from crm.services.alerts import search_summary


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


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(url_with=url_with, now=clock.now, search_summary=search_summary)
    app.jinja_env.filters.update(dt=datetime_display, day=day_display, stars=stars, as_options=as_options)
