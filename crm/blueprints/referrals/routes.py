"""Referrals (SPEC §3.5): the five sub-tabs with counts, a referral's `Referral Status`, private notes.

`/referrals?tab=…` shows a sub-tab; `/referrals/<id>` shows the referral's sub-tab with the referral
open beside it. htmx swaps `#referrals` (a tab, or after `Save`) or `#referral-panel` (a row) and
pushes the URL. Asked for `application/json`, both answer JSON, masked like every other surface.
"""
from flask import current_app, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from crm import hx
from crm.blueprints.lookups import visible_contact_or_404
from crm.blueprints.referrals import bp
from crm.blueprints.referrals.forms import NoteForm, ReferralForm
from crm.extensions import db
from crm.services import paging, referrals

TEMPLATE = "referrals/index.html"


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"




def _listing(tab: str, page: int = 1) -> referrals.ReferralPage:
    return referrals.list_tab(current_user, tab, page, current_app.config["PAGE_SIZE"])


def _panel(contact, form: ReferralForm | None = None, saved: str | None = None) -> dict:
    return dict(
        referral=referrals.row_for(current_user, contact), notes=referrals.notes_for(current_user, contact),
        tab_of=referrals.tab_of, tab_slug=referrals.tab_slug,
        form=form or ReferralForm(formdata=None, data={"referral_status": contact.referral_status}), saved=saved)


def _page_context(listing: referrals.ReferralPage, panel: dict | None = None) -> dict:
    context = dict(tabs=referrals.TABS, tab_slug=referrals.tab_slug,
                   counts=referrals.tab_counts(current_user), count_cap=referrals.COUNT_CAP, listing=listing,
                   referral=None)
    context.update(panel or {})
    return context


def _tab_of_contact(contact) -> referrals.ReferralPage:
    return _listing(referrals.tab_of(contact.referral_status))


@bp.route("/referrals")
def index():
    tab = referrals.TAB_BY_SLUG.get(request.args.get("tab", ""), referrals.TABS[0])
    listing = _listing(tab, paging.page_number(request.args))
    if _wants_json():
        return jsonify(tab=tab, counts=referrals.tab_counts(current_user), page=listing.page,
                       hasNext=listing.has_next, referrals=[referrals.as_json(row) for row in listing.rows])
    return hx.render_page(TEMPLATE, "referrals", **_page_context(listing))


@bp.route("/referrals/<int:contact_id>")
def detail(contact_id: int):
    contact = visible_contact_or_404(contact_id)
    if _wants_json():
        return jsonify(referrals.as_json(referrals.row_for(current_user, contact)))
    if hx.is_partial_request():
        return hx.render_fragment(TEMPLATE, "referral_panel", **_panel(contact))
    return render_template(TEMPLATE, **_page_context(_tab_of_contact(contact), _panel(contact)))


@bp.route("/referrals/<int:contact_id>", methods=["POST"])
def save(contact_id: int):
    contact = visible_contact_or_404(contact_id)
    form = ReferralForm()
    if form.validate_on_submit():
        try:
            done = referrals.save_referral(contact, current_user, form.referral_status.data, form.note.data)
        except referrals.ReferralError as error:
            db.session.commit()  # keeps the log of the refusal; nothing else was changed
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            return _saved(contact, done)
    return _render_referral(contact, _panel(contact, form=form), status=422)


def _saved(contact, done: list[str]):
    message = ("Saved: " + "; ".join(done) + ".") if done else "Nothing changed: same status and no note."
    if not hx.is_partial_request():
        flash(message, "success")
        return redirect(url_for("referrals.detail", contact_id=contact.id))
    response = _render_referral(contact, _panel(contact, saved=message))
    return hx.push_url(response, url_for("referrals.detail", contact_id=contact.id))


def _render_referral(contact, panel: dict, status: int = 200):
    """The referral's sub-tab (its status may just have moved it) with the referral open."""
    context = _page_context(_tab_of_contact(contact), panel)
    if hx.is_partial_request():
        return make_response(hx.render_fragment(TEMPLATE, "referrals", **context), status)
    return make_response(render_template(TEMPLATE, **context), status)


@bp.route("/referrals/<int:contact_id>/notes", methods=["POST"])
def add_note(contact_id: int):
    """The private notes box of Contact Details."""
    contact = visible_contact_or_404(contact_id)
    form = NoteForm()
    valid = form.validate_on_submit()
    if valid:
        referrals.add_note(contact, current_user, form.note.data)
        db.session.commit()
    if not hx.is_partial_request():
        if valid:
            flash("Note saved. Only you can read it.", "success")
        else:
            flash(next(iter(form.errors.values()))[0], "error")
        return redirect(url_for("contacts.detail", contact_id=contact.id))
    html = hx.render_fragment("referrals/_notes.html", "notes", contact=contact,
                              notes=referrals.notes_for(current_user, contact),
                              note_error=None if valid else form.note.errors[0],
                              note_text="" if valid else form.note.data)
    return make_response(html, 200 if valid else 422)
