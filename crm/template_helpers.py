"""Jinja filters and globals shared by every template."""
from datetime import datetime
from urllib.parse import urlencode

from flask import Flask, request

from crm import clock
from crm.services.alerts import search_summary


def url_with(**changes) -> str:
    """The current query string with some parameters replaced (None drops one); multi-values kept."""
    params = [(key, value) for key, value in request.args.items(multi=True) if key not in changes]
    params += [(key, str(value)) for key, value in changes.items() if value is not None]
    return f"{request.path}?{urlencode(params)}" if params else request.path


def datetime_display(value: datetime | None) -> str:
    return value.strftime("%b %d, %Y %H:%M") if value else "—"


def stars(level: int | None) -> str:
    level = level or 0
    return "★" * level + "☆" * (5 - level)


def as_options(values) -> list[tuple]:
    """Field values as (value, label) pairs, for values that are their own labels."""
    return [(value, value) for value in values]


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(url_with=url_with, now=clock.now, search_summary=search_summary)
    app.jinja_env.filters.update(dt=datetime_display, stars=stars, as_options=as_options)
