"""The one place that reads htmx's HX-* request headers and writes its response headers."""
from urllib.parse import urlsplit

from flask import Response, render_template
from htmx_flask import request
from jinja2_fragments.flask import render_block


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


def render_page(template: str, block: str, **context) -> str:
    """The whole page, or only `block` of it for an htmx swap."""
    if is_partial_request():
        return render_block(template, block, **context)
    return render_template(template, **context)


def render_fragment(template: str, block: str, **context) -> str:
    return render_block(template, block, **context)


def add_vary_header(response: Response) -> Response:
    response.vary.add("HX-Request")
    return response


def redirect(response: Response, url: str) -> Response:
    response.headers["HX-Redirect"] = url
    return response


def push_url(response: Response, url: str) -> Response:
    """Have htmx put `url` in the address bar (and history) after the swap."""
    response.headers["HX-Push-Url"] = url
    return response


def trigger(response: Response, event: str) -> Response:
    """Have htmx dispatch `event` on the element that made the request (it bubbles up)."""
    response.headers["HX-Trigger"] = event
    return response
