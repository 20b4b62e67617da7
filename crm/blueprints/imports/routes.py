"""Settings › Import (`/settings/import`, broker and managers): upload, map and preview, then watch
the worker import with a progress bar (htmx polling), cancel, undo, and the skipped-rows report."""
import json
from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from crm import clock, hx, policy
from crm.blueprints.guards import roles_required
from crm.blueprints.imports import bp
from crm.blueprints.imports.forms import NOT_IMPORTED, UploadForm, mapping_form
from crm.extensions import csrf, db
from crm.models import ContactImport
from crm.models.values import ImportStatus
from crm.services import imports


@bp.before_request
@roles_required(policy.is_decider)
def importers_only():
    return None


def _import(import_id: int) -> ContactImport:
    """The broker sees every import, a manager their own (others answer 404)."""
    stored = db.session.get(ContactImport, import_id)
    if stored is None or (not current_user.acts_for_every_office and stored.created_by_id != current_user.id):
        abort(404)
    return stored


def _recent_imports() -> list[ContactImport]:
    query = db.select(ContactImport).order_by(ContactImport.id.desc()).limit(20)
    if not current_user.acts_for_every_office:
        query = query.where(ContactImport.created_by_id == current_user.id)
    return list(db.session.scalars(query))


def _index_page(form: UploadForm | None = None, status: int = 200):
    return render_template("imports/index.html", form=form or UploadForm(), imports=_recent_imports(),
                           max_mb=imports.MAX_BYTES // (1024 * 1024)), status


@bp.route("")
def index():
    return _index_page()


@bp.route("", methods=["POST"])
@csrf.exempt  # checked below, once the upload limit is raised for this one request
def upload():
    request.max_content_length = imports.MAX_BYTES + 1024 * 1024
    csrf.protect()
    form = UploadForm()
    try:
        stored = imports.upload(current_user, request.files.get("file"),
                                Path(current_app.instance_path) / "imports")
    except imports.ImportProblem as error:
        db.session.rollback()
        form.file.errors = [str(error)]
        return _index_page(form, 422)
    db.session.commit()
    return redirect(url_for("imports.detail", import_id=stored.id))


def _mapping_context(stored: ContactImport, formdata=None, problem: str | None = None) -> dict:
    headers = json.loads(stored.headers)
    saved = {name: int(index) for name, index in json.loads(stored.mapping).items()}
    form = mapping_form(headers, saved, imports.agents_to_assign(current_user),
                        current_user.acts_for_every_office, formdata)
    try:
        mapping = imports.read_mapping({key: form[key].data or "" for key in form.data}, len(headers))
    except imports.ImportProblem as error:
        mapping, problem = {}, problem or str(error)
    rows = imports.preview(stored, mapping) if mapping else []
    mapped = sorted(mapping.items(), key=lambda item: item[1])
    return dict(stored=stored, form=form, headers=headers, rows=rows, mapped=mapped, fields=imports.FIELDS,
                notice=hx.Notice(problem, "error") if problem else None,
                saved_mappings=imports.office_mappings(current_user))


def _progress_context(stored: ContactImport) -> dict:
    now = clock.now()
    return dict(stored=stored, progress=imports.progress(stored, now), can_undo=imports.can_undo(stored, now),
                undo_question=_undo_question(stored))


def _undo_question(stored: ContactImport) -> str:
    return (f"Undo the import of {stored.filename}? It deletes the {stored.rows_created:,} contacts it created "
            f"and the {stored.rows_created + stored.rows_matched:,} leads it added; people who were already here "
            "keep everything else.")


@bp.route("/<int:import_id>")
def detail(import_id: int):
    stored = _import(import_id)
    if stored.status == ImportStatus.UPLOADED:
        context = _mapping_context(stored, request.args if request.args else None)
        return hx.render_page("imports/mapping.html", "preview", **context)
    return render_template("imports/progress.html", **_progress_context(stored))


@bp.route("/<int:import_id>/start", methods=["POST"])
def start(import_id: int):
    stored = _import(import_id)
    if stored.status != ImportStatus.UPLOADED:
        return redirect(url_for("imports.detail", import_id=stored.id))
    context = _mapping_context(stored, request.form)
    form = context["form"]
    if context["notice"] or not form.validate_on_submit():
        return render_template("imports/mapping.html", **context), 422
    assign_to = form.assign_to.data
    try:
        imports.start(stored, current_user, dict(context["mapped"]),
                      int(assign_to) if assign_to != NOT_IMPORTED else None)
    except imports.ImportProblem as error:
        db.session.rollback()
        return render_template("imports/mapping.html", **{**context, "notice": hx.Notice(str(error), "error")}), 422
    db.session.commit()
    return redirect(url_for("imports.detail", import_id=stored.id))


@bp.route("/<int:import_id>/mappings", methods=["POST"])
def save_mapping(import_id: int):
    """`Save mapping`: the columns as chosen in the form, under a name, for the office's later uploads."""
    stored = _import(import_id)
    context = _mapping_context(stored, request.form)
    form = context["form"]
    try:
        if context["notice"]:
            raise imports.ImportProblem(context["notice"].text, "mapping_name")
        saved = imports.save_mapping(current_user, form.mapping_name.data, dict(context["mapped"]), context["headers"])
    except imports.ImportProblem as error:
        db.session.rollback()
        form.mapping_name.errors = [str(error)]
        return render_template("imports/mapping.html", **context), 422
    stored.mapping = json.dumps(dict(context["mapped"]))
    db.session.commit()
    return hx.answer(f"Saved the mapping “{saved.name}” for your office’s later uploads.",
                     back_to=url_for("imports.detail", import_id=stored.id))


@bp.route("/<int:import_id>/mappings/use", methods=["POST"])
def use_mapping(import_id: int):
    stored = _import(import_id)
    saved = next((each for each in imports.office_mappings(current_user)
                  if str(each.id) == request.form.get("saved_mapping")), None)
    back = url_for("imports.detail", import_id=stored.id)
    if saved is None or stored.status != ImportStatus.UPLOADED:
        return hx.answer("Choose one of your office’s saved mappings, before the import starts.", category="error",
                         back_to=back)
    missing = imports.use_mapping(stored, saved)
    db.session.commit()
    note = f" This file has no column for: {', '.join(missing)}." if missing else ""
    return hx.answer(f"Columns mapped as in “{saved.name}”.{note}", back_to=back)


@bp.route("/<int:import_id>/progress")
def progress(import_id: int):
    stored = _import(import_id)
    if not hx.is_partial_request():
        return redirect(url_for("imports.detail", import_id=stored.id))
    return hx.render_fragment("imports/progress.html", "progress", **_progress_context(stored))


@bp.route("/<int:import_id>/cancel", methods=["POST"])
def cancel(import_id: int):
    stored = _import(import_id)
    imports.request_cancel(stored)
    db.session.commit()
    return hx.answer("Cancelling: the rows imported so far stay until you undo the import.",
                     back_to=url_for("imports.detail", import_id=stored.id))


@bp.route("/<int:import_id>/undo", methods=["POST"])
def undo(import_id: int):
    stored = _import(import_id)
    back = url_for("imports.detail", import_id=import_id)
    if imports.can_undo(stored, clock.now()):
        asking = hx.unconfirmed("Undo import", _undo_question(stored), back_to=back)
        if asking:
            return asking
    try:
        removed_contacts, removed_leads = imports.undo(stored)
    except imports.ImportProblem as error:
        db.session.rollback()
        return hx.answer(str(error), category="error", back_to=back)
    db.session.commit()
    return hx.answer(f"Import undone: removed {removed_contacts:,} contacts and {removed_leads:,} leads it added.",
                     back_to=back)


@bp.route("/<int:import_id>/skipped.csv")
def skipped_rows(import_id: int):
    stored = _import(import_id)
    filename = f"skipped-rows-import-{stored.id}.csv"
    return Response(stream_with_context(imports.skipped_rows_csv(stored)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
