"""Small request helpers shared by the referral, concierge and settings screens."""
from flask import abort, request
from flask_login import current_user

from crm.services import visibility

MAX_PAGE = 100_000


def page_number() -> int:
    """`?page=` as a page number from 1; anything else is page 1."""
    raw = request.args.get("page", "1")
    return min(int(raw), MAX_PAGE) if raw.isdigit() and int(raw) >= 1 else 1


def visible_contact_or_404(contact_id: int):
    """The contact through the viewer's visibility: another agent's contact is a 404 (SPEC §1)."""
    contact = visibility.get_visible_contact(current_user, contact_id)
    if contact is None:
        abort(404)
    return contact
