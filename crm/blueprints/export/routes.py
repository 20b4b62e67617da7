"""The CSV download (docs/product.md#download): `Dl CSV` opens a dialog; `Download` streams the file."""
import logging
from collections.abc import Iterator
from urllib.parse import urlencode

from flask import Response, abort, request, stream_with_context
from flask_login import current_user

from crm import clock, hx
from crm.blueprints.export import bp
from crm.extensions import db
from crm.services import export, lead_search

log = logging.getLogger(__name__)
OWN_ARGS = {"column", "rows", "from", "to", "order_by", "order", "page"}


def _filter_args() -> list[tuple[str, str]]:
    """The Leads filters the dialog was opened with, passed through to the file."""
    return [(key, value) for key, value in request.args.items(multi=True) if key not in OWN_ARGS]


def _filters() -> lead_search.LeadFilters:
    return lead_search.read_filters(current_user, request.args)


def _dialog(options, errors: dict, status: int):
    return hx.render_page("export/dialog.html", "export_form" if errors else "export_dialog",
                          options=options, errors=errors, filter_args=_filter_args(), columns=export.COLUMNS,
                          row_kinds=export.ROW_KINDS, sorts=export.SORTS, orders=export.ORDERS), status


def _require_export_permission() -> None:
    if not export.may_export(current_user):
        abort(403)


@bp.route("/contacts/export")
def dialog():
    _require_export_permission()
    return _dialog(export.options_for(_filters()), {}, 200)


def _committed_at_the_end(chunks: Iterator[str]) -> Iterator[str]:
    """The file, then the commit of its row count on the export's log line."""
    yield from chunks
    db.session.commit()


@bp.route("/contacts/export.csv")
def download():
    _require_export_permission()
    options, errors = export.parse_options(request.args)
    if errors:
        return _dialog(options, errors, 422)
    if hx.is_partial_request():  # the dialog checked the choices; the browser now downloads the file
        return hx.trigger(hx.redirect(Response(status=200), request.full_path), "exportstarted")
    filters = _filters()
    viewer = current_user._get_current_object()
    log.info("CSV export by %s", viewer.email, extra={"user_id": viewer.id, "choices": options.describe()})
    log_entry_id = export.log_export(viewer, options, urlencode(_filter_args()))
    db.session.commit()
    chunks = export.csv_chunks(viewer, filters, options, log_entry_id)
    response = Response(stream_with_context(_committed_at_the_end(chunks)), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="leads-{clock.now():%Y-%m-%d}.csv"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response
