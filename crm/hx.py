"""The one place that reads htmx's HX-* request headers and writes its response headers, and
the one answer to an action (`answer`), after django-htmx's http.py."""
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

import flask
from flask import Response, flash, make_response, render_template
from htmx_flask import request
from jinja2_fragments.flask import render_block
from werkzeug.wrappers import Response as WerkzeugResponse

AnyResponse = TypeVar("AnyResponse", bound=WerkzeugResponse)


def is_partial_request() -> bool:
    """An htmx swap wants a fragment; a history restore or a plain request wants the page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def current_url_path() -> str | None:
    """Path and query of the page the browser shows (HX-Current-URL), for returning to it."""
    url = request.htmx.current_url if request.htmx else None
    if not url:
        return None
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def render_page(template: str, block: str, fragment_template: str | None = None, **context) -> str:
    """The whole page, or for an htmx swap only `block` of it (of `fragment_template` when the
    block lives in a template the page includes)."""
    if is_partial_request():
        return render_block(fragment_template or template, block, **context)
    return render_template(template, **context)


def render_fragment(template: str, block: str, **context) -> str:
    return render_block(template, block, **context)


def add_vary_header(response: AnyResponse) -> AnyResponse:
    response.vary.add("HX-Request")
    return response


def redirect(response: AnyResponse, url: str) -> AnyResponse:
    response.headers["HX-Redirect"] = url
    return response


def push_url(response: AnyResponse, url: str) -> AnyResponse:
    """Have htmx put `url` in the address bar (and history) after the swap."""
    response.headers["HX-Push-Url"] = url
    return response


def trigger(response: AnyResponse, event: str) -> AnyResponse:
    """Have htmx dispatch `event` on the element that made the request (it bubbles up)."""
    response.headers["HX-Trigger"] = event
    return response


@dataclass(frozen=True)
class Notice:
    """What an action tells the user, shown by the `show_notice` macro of macros.html or flashed.
    `category` is a flash category: "success", "info" or "error"."""
    text: str
    category: str = "success"


def answer(text: str | None, *, back_to: str, status: int = 200, category: str | None = None,
           fragment: Callable[[Notice | None], str] | None = None) -> WerkzeugResponse:
    """The answer to an action, with `text` (if any) as its notice; `status` >= 400 means refused.

    htmx and a `fragment`: the fragment, rendered with the notice, swapped with `status`.
    htmx without one: the notice is flashed and htmx loads `back_to` (HX-Redirect).
    Without JavaScript: the notice is flashed and the browser is redirected to `back_to`."""
    notice = Notice(text, category or ("error" if status >= 400 else "success")) if text else None
    if is_partial_request() and fragment is not None:
        return make_response(fragment(notice), status)
    if notice:
        flash(notice.text, notice.category)
    if is_partial_request():
        return redirect(Response(status=200), back_to)
    return flask.redirect(back_to)


def unconfirmed(label: str, question: str, *, back_to: str) -> str | None:
    """The confirmation step of a destructive action (macros.confirm_button): htmx asked already
    through `hx-confirm` and posts `confirmed`; without JavaScript this page asks, then posts it."""
    if flask.request.form.get("confirmed"):
        return None
    return render_template("confirm.html", label=label, question=question, action=flask.request.path, back=back_to)
