"""Small request helpers shared by the referral and concierge screens."""
from flask import abort
from flask_login import current_user

from crm.services import visibility


def visible_contact_or_404(contact_id: int):
    """The contact through the viewer's visibility: another agent's contact is a 404 (docs/product.md#roles)."""
    contact = visibility.get_visible_contact(current_user, contact_id)
    if contact is None:
        abort(404)
    return contact
