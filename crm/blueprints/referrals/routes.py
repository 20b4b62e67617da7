"""Referrals (docs/product.md#referrals): the five sub-tabs with counts, a referral's `Referral Status`, private notes.

`/referrals?tab=…` shows a sub-tab; `/referrals/<id>` shows the referral's sub-tab with the referral
open beside it. htmx swaps `#referrals` (a tab, or after `Save`) or `#referral-panel` (a row) and
pushes the URL. Asked for `application/json`, both answer JSON, masked like every other surface.
"""
from flask import current_app, jsonify, render_template, request, url_for
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


def _panel(contact, form: ReferralForm | None = None, notice: hx.Notice | None = None) -> dict:
    return dict(
        referral=referrals.row_for(current_user, contact), notes=referrals.notes_for(current_user, contact),
        tab_of=referrals.tab_of, tab_slug=referrals.tab_slug,
        form=form or ReferralForm(formdata=None, data={"referral_status": contact.referral_status}), notice=notice)


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
            db.session.rollback()
            referrals.log_refusal(contact, current_user, error)
            db.session.commit()
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            return _saved(contact, done)
    return hx.render_page(TEMPLATE, "referrals", **_tab_with_referral(contact, form=form)), 422


def _saved(contact, done: list[str]):
    text = ("Saved: " + "; ".join(done) + ".") if done else "Nothing changed: same status and no note."
    url = url_for("referrals.detail", contact_id=contact.id)
    return hx.push_url(hx.answer(text, back_to=url, fragment=lambda notice: (
        hx.render_fragment(TEMPLATE, "referrals", **_tab_with_referral(contact, notice=notice)))), url)


def _tab_with_referral(contact, **panel) -> dict:
    """The referral's sub-tab (its status may just have moved it) with the referral open."""
    return _page_context(_tab_of_contact(contact), _panel(contact, **panel))


@bp.route("/referrals/<int:contact_id>/notes", methods=["POST"])
def add_note(contact_id: int):
    """The private notes box of Contact Details."""
    contact = visible_contact_or_404(contact_id)
    form = NoteForm()
    if form.validate_on_submit():
        referrals.add_note(contact, current_user, form.note.data)
        db.session.commit()
        text, status, form = "Note saved. Only you can read it.", 200, NoteForm(formdata=None)
    else:
        text, status = next(iter(form.errors.values()))[0], 422
    return hx.answer(text, status=status, back_to=url_for("contacts.detail", contact_id=contact.id),
                     fragment=lambda _notice: hx.render_fragment(  # the note's field shows what went wrong
                         "referrals/_notes.html", "notes", contact=contact, note_form=form,
                         notes=referrals.notes_for(current_user, contact)))
