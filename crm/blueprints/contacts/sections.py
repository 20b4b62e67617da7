"""The editable sections of Contact Details: which fields each shows and who may edit it."""
from collections.abc import Callable
from dataclasses import dataclass

from crm import policy
from crm.models import Contact, User
from crm.services import masking


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    fields: tuple[str, ...]
    editable_by: Callable[[User], bool] = policy.anyone


SECTIONS = (
    Section("person", "Contact", ("first_name", "last_name", "street", "city", "state", "zip")),
    Section("channels", "Phones and emails", ("phones", "emails")),
    Section("profile", "Profile", ("contact_status", "contact_type", "contact_source", "business_source",
                                   "priority", "interest_level", "time_frame")),
    Section("financing", "Buying and financing", ("buy_sell_rent", "financing", "prequalified", "lender_name",
                                                  "loan_officer_name", "loan_officer_email", "is_referral",
                                                  "referral_source")),
    Section("lead_status", "Lead Status", ("lead_status",), editable_by=policy.works_concierge_desk),
)
SECTIONS_BY_NAME = {section.name: section for section in SECTIONS}


def may_edit(section: Section, viewer: User, contact: Contact) -> bool:
    if not section.editable_by(viewer):
        return False
    # A masked viewer never receives the values, so cannot edit them either.
    return section.name != "channels" or masking.can_see_contact_info(viewer, contact)
