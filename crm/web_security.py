"""What every request and response goes through (docs/product.md#trust): security headers, cookie flags, and the
one gate for input no route should ever see (NUL bytes, ids beyond the database's integers)."""
from flask import Flask, Response, abort, request
from werkzeug.routing import IntegerConverter

# Ids are INTEGER columns: PostgreSQL refuses anything above 2^31 - 1 with an error, not "no row".
MAX_ID = 2 ** 31 - 1

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    # Styles may be inline (htmx's indicator style, style attributes): they cannot run code.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: a number beyond the id column's range matches no route (404)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Call before the blueprints are registered (the routes' `int` converter is chosen then)."""
    app.url_map.converters["int"] = IdConverter
    app.config["SESSION_COOKIE_SECURE"] = app.config["BASE_URL"].startswith("https://")
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    app.before_request(refuse_unusable_input)
    app.after_request(add_security_headers)


def _is_id_parameter(name: str) -> bool:
    return name in ("page", "owner") or name.endswith(("_id", "_ids"))


def refuse_unusable_input() -> None:
    """400 for a NUL byte anywhere in the URL or a form (PostgreSQL cannot store one) and for an
    id or page number beyond the database's integers."""
    fields = list(request.args.items(multi=True))
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields += list(request.form.items(multi=True))
    if "\x00" in request.path or any("\x00" in name or "\x00" in value for name, value in fields):
        abort(400, "NUL characters are not allowed.")
    for name, value in fields:
        if _is_id_parameter(name) and value.isdigit() and int(value) > MAX_ID:
            abort(400, f"{name} is out of range.")


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.endpoint != "static":
        # Pages, fragments, JSON and CSV carry consumers' data: no browser or proxy keeps a copy.
        headers["Cache-Control"] = "no-store"
    return response
