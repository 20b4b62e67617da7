from collections.abc import Sequence
from urllib.parse import urlencode

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from crm import hx
from crm.blueprints.contacts import bp
from crm.blueprints.contacts.forms import AddLeadForm, SmartListForm, field_labels, section_form
from crm.blueprints.contacts.sections import SECTIONS, SECTIONS_BY_NAME, may_edit
from crm.blueprints.manage.controls import contact_controls, leads_controls
from crm.extensions import db
from crm.models import values as v
from crm.services import activity, contacts, lead_search, masking, referrals, settings, smart_lists, visibility


@bp.route("/")
def home():
    return redirect(url_for("contacts.index"))


@bp.route("/contacts")
def index():
    filters = _filters(request.args)
    canonical = _leads_url(filters)
    if _has_empty_fields() and not hx.is_partial_request():
        return redirect(canonical)  # empty fields stay out of the URL (docs/product.md#everyday-use)
    return _render_leads(filters, canonical)


def _filters(args) -> lead_search.LeadFilters:
    return lead_search.read_filters(current_user, args)


def _sources() -> tuple[list[str], list[str]]:
    return settings.get("contact_sources"), settings.get("business_sources")


def _has_empty_fields() -> bool:
    return any(value == "" for _key, value in request.args.items(multi=True))


def _leads_url(filters: lead_search.LeadFilters, **changes) -> str:
    """The Leads URL of this search, without empty fields, with some parameters replaced (None drops one)."""
    pairs = [(key, value) for key, value in filters.query_pairs() if key not in changes]
    pairs += [(key, str(value)) for key, value in changes.items() if value is not None]
    if filters.page > 1 and "page" not in changes:
        pairs.append(("page", str(filters.page)))
    if filters.after and "after" not in changes and "page" not in changes:  # another page, another cursor
        pairs.append(("after", lead_search.cursor_text(*filters.after)))
    return url_for("contacts.index") + (f"?{urlencode(pairs)}" if pairs else "")


def _render_leads(filters: lead_search.LeadFilters, canonical: str, dropped: Sequence[str] = ()):
    """The page, or for htmx only its results; what only the whole page shows is computed lazily."""
    results = lead_search.search(current_user, filters, current_app.config["PAGE_SIZE"])
    body = hx.render_page(
        "contacts/index.html", "results", filters=filters, results=results, values=v,
        owners=_owner_choices, sources=_sources, offices=lambda: lead_search.office_choices(current_user),
        smart_lists=lambda: smart_lists.lists_with_counts(current_user),
        leads_controls=leads_controls(current_user),
        search_url=lambda **changes: _leads_url(filters, **changes), first_direction=lead_search.first_direction,
        masked_text=lambda contact, text, unmasked: masking.text_for(current_user, contact, text, unmasked),
        dropped=dropped, may_share_lists=smart_lists.may_share(current_user),
        may_list_archived=visibility.may_list_archived(current_user))
    response = make_response(body)
    if hx.is_partial_request():
        hx.push_url(response, canonical)
    return response


def _owner_choices() -> list[tuple[int, str]]:
    return visibility.owner_choices(current_user)


def _visible_contact_or_404(contact_id: int):
    contact = visibility.get_visible_contact(current_user, contact_id)
    if contact is None:
        abort(404)
    return contact


def _timeline_page(contact, before_id: int | None = None) -> dict:
    leads, more = contacts.leads_page(contact, before_id)
    can_see_info = masking.can_see_contact_info(current_user, contact)
    return dict(contact=contact, leads=leads, can_see_info=can_see_info,
                more_leads_url=(url_for("contacts.more_leads", contact_id=contact.id, before=leads[-1].id)
                                if more else None),
                message_for=lambda text: masking.text_for(current_user, contact, text, can_see_info))


def _log_page(contact, before_id: int | None = None) -> dict:
    entries, more = activity.entries_page(contact, before_id)
    return dict(log=masking.log_for(current_user, contact, entries),
                more_log_url=(url_for("contacts.more_log", contact_id=contact.id, before=entries[-1].id)
                              if more else None))


def _detail_context(contact, editing: str | None = None, form=None) -> dict:
    timeline = _timeline_page(contact)
    return dict(
        sections=SECTIONS, editing=editing, form=form,
        field_labels=field_labels(name for section in SECTIONS for name in section.fields),
        **timeline, **_log_page(contact),
        emails=masking.emails_for(current_user, contact), phones=masking.phones_for(current_user, contact),
        notes=referrals.notes_for(current_user, contact),
        may_edit=lambda section: may_edit(section, current_user, contact),
        controls=contact_controls(current_user, contact),
    )


@bp.route("/contacts/<int:contact_id>")
def detail(contact_id: int):
    contact = _visible_contact_or_404(contact_id)
    return render_template("contacts/detail.html", **_detail_context(contact))


def _more(contact_id: int, block: str, page) -> str | WerkzeugResponse:
    """The next page of a Contact Details list, for its load-on-scroll sentinel (a plain visit gets the page)."""
    contact = _visible_contact_or_404(contact_id)
    if not hx.is_partial_request():
        return redirect(url_for("contacts.detail", contact_id=contact_id))
    return hx.render_fragment("contacts/detail.html", block, **page(contact, request.args.get("before", type=int)))


@bp.route("/contacts/<int:contact_id>/leads")
def more_leads(contact_id: int):
    return _more(contact_id, "timeline_items", _timeline_page)


@bp.route("/contacts/<int:contact_id>/log")
def more_log(contact_id: int):
    return _more(contact_id, "log_page", _log_page)


def _section_or_404(contact, name: str):
    section = SECTIONS_BY_NAME.get(name)
    if section is None or not may_edit(section, current_user, contact):
        abort(404)
    return section


def _form_data(contact, section) -> dict:
    data = {name: getattr(contact, name) for name in section.fields if name not in ("emails", "phones")}
    if "emails" in section.fields:
        data["emails"] = "\n".join(email.value for email in contact.emails)
        data["phones"] = "\n".join(phone.value for phone in contact.phones)
    return data


def _section_page(contact, section, form=None) -> str:
    """The section (its form while editing) for htmx; the whole page with it otherwise."""
    context = _detail_context(contact, editing=section.name if form else None, form=form)
    return hx.render_page("contacts/detail.html", "section", "contacts/_section.html", section=section, **context)


@bp.route("/contacts/<int:contact_id>/sections/<name>")
def show_section(contact_id: int, name: str):
    contact = _visible_contact_or_404(contact_id)
    section = _section_or_404(contact, name)
    return _section_page(contact, section)


@bp.route("/contacts/<int:contact_id>/sections/<name>/edit")
def edit_section(contact_id: int, name: str):
    contact = _visible_contact_or_404(contact_id)
    section = _section_or_404(contact, name)
    form = section_form(list(section.fields), data=_form_data(contact, section))
    return _section_page(contact, section, form)


@bp.route("/contacts/<int:contact_id>/sections/<name>", methods=["POST"])
def save_section(contact_id: int, name: str):
    contact = _visible_contact_or_404(contact_id)
    section = _section_or_404(contact, name)
    form = section_form(list(section.fields))
    if not form.validate_on_submit():
        return _section_page(contact, section, form), 422
    if "emails" in section.fields:
        contacts.replace_emails(contact, current_user, form.emails.data.split())
        contacts.replace_phones(contact, current_user, form.phones.data.splitlines())
    changes = {field: form[field].data for field in section.fields if field not in ("emails", "phones")}
    contacts.update_fields(contact, current_user, changes, {f: form[f].label.text for f in changes})
    db.session.commit()
    return hx.answer(None, back_to=url_for("contacts.detail", contact_id=contact.id),
                     fragment=lambda _notice: _section_page(contact, section))


@bp.route("/contacts/new", methods=["GET", "POST"])
def new():
    form = AddLeadForm(contacts.lead_owner_choices(current_user))
    if not form.validate_on_submit():
        status = 422 if form.errors else 200
        return render_template("contacts/new.html", form=form), status
    contact, matched = contacts.add_lead(current_user, form.name.data, form.email.data, form.phone.data,
                                         form.contact_fields(), form.lead_fields())
    db.session.commit()
    if matched:
        return hx.answer(f"{contact.name} already exists with this email or phone: the lead was added to that "
                         "contact.", category="info", back_to=url_for("contacts.detail", contact_id=contact.id))
    return hx.answer(f"Lead added: {contact.name}.", back_to=url_for("contacts.detail", contact_id=contact.id))


# --- Smart Lists ---------------------------------------------------------------------------------

def _back_to_leads(query: str = ""):
    return redirect(url_for("contacts.index") + (f"?{query}" if query else ""), code=303)


@bp.route("/contacts/lists", methods=["POST"])
def save_list():
    form = SmartListForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        smart_list = smart_lists.save(current_user, form.name.data, form.query.data, form.shared.data)
    except smart_lists.SmartListError as error:
        flash(str(error), "error")
        return _back_to_leads(form.query.data or "")
    db.session.commit()
    flash(f"Saved the list “{smart_list.name}”.", "success")
    return redirect(url_for("contacts.open_list", list_id=smart_list.id), code=303)


@bp.route("/contacts/lists/<int:list_id>")
def open_list(list_id: int):
    smart_list = smart_lists.get_visible(current_user, list_id)
    if smart_list is None:
        abort(404)
    filters = smart_lists.filters_of(smart_list, current_user)
    return _render_leads(filters, _leads_url(filters), dropped=filters.dropped)


@bp.route("/contacts/lists/<int:list_id>/rename", methods=["POST"])
def rename_list(list_id: int):
    form = SmartListForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        renamed = smart_lists.rename(current_user, list_id, form.name.data)
    except smart_lists.SmartListError as error:
        flash(str(error), "error")
        return _back_to_leads()
    if renamed is None:
        abort(404)
    db.session.commit()
    flash(f"Renamed the list to “{renamed.name}”.", "success")
    return _back_to_leads()


@bp.route("/contacts/lists/<int:list_id>/delete", methods=["POST"])
def delete_list(list_id: int):
    if not SmartListForm().validate_on_submit():
        abort(400)
    if not smart_lists.delete(current_user, list_id):
        abort(404)
    db.session.commit()
    flash("The list was deleted.", "success")
    return _back_to_leads()
