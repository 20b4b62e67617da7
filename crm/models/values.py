"""The field values of docs/product.md#words-and-values, spelled exactly as users filter on them, and the states of the
records that move through a workflow (stored as these strings)."""
from enum import StrEnum

from crm.policy import ROLES as ROLES


class RequestStatus(StrEnum):
    """A Delete or Archive request."""
    PENDING = "Pending"
    APPROVED = "Approved"
    DECLINED = "Declined"


class OfferStatus(StrEnum):
    """An appointment offer as a whole."""
    OPEN = "Open"
    CLAIMED = "Claimed"
    UNCLAIMED = "Unclaimed"
    CLOSED = "Closed"  # its contact was deleted or archived


class RecipientStatus(StrEnum):
    """One agent's turn at an offer."""
    WAITING = "Waiting"
    OFFERED = "Offered"
    CLAIMED = "Claimed"
    DECLINED = "Declined"
    EXPIRED = "Expired"
    SKIPPED = "Skipped"
    WITHDRAWN = "Withdrawn"


class OutboxStatus(StrEnum):
    """An email or text in the outbox (`logged`: written to the log instead of sent)."""
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    LOGGED = "logged"
    FAILED = "failed"


class ImportStatus(StrEnum):
    UPLOADED = "Uploaded"
    QUEUED = "Queued"
    RUNNING = "Running"
    DONE = "Done"
    CANCELLED = "Cancelled"
    FAILED = "Failed"
    UNDONE = "Undone"


CONTACT_STATUSES = ("Agent Database", "Assigned", "Closed", "Pending", "Shared")
CONTACT_TYPES = (
    "Agent", "Buyer", "Seller", "Buyer-Seller", "Friend", "Rental", "Landlord",
    "Sphere", "Vendor", "Competitor", "Recruit", "Other",
)
CONTACT_SOURCES = ("Broker", "Agent", "Realtor.com")
BUSINESS_SOURCES = (
    "Advertisement", "Direct Mail", "Open House", "Referral", "Website",
    "Sign Call", "Social Media", "Past Client", "Other",
)
PRIORITIES = ("Hot", "Warm", "Cold", "Dead")
INTEREST_LEVELS = tuple(range(0, 6))
TIME_FRAMES = ("0-3 Months", "3-6 Months", "6-12 Months", "12+ Months", "Unknown")
LEAD_STATUSES = ("Active", "Inactive")
LEAD_TYPES = ("Appointment", "Active")
BUY_SELL_RENT = ("Buy", "Sell", "Rent", "Buy & Sell")
FINANCING = ("Cash", "Conventional", "FHA", "VA", "Other", "Unknown")
ACTION_PLAN_STATUSES = ("On Time", "Late Task", "Completed")
TASK_KINDS = ("Call", "Email", "Text", "Meeting", "Other")

IMMEDIATE_INQUIRIES = (
    "Registration", "General Inquiry", "Property Inquiry", "Showing Request",
    "Seller Inquiry", "Visited Open House", "Incoming Call",
)
DIGEST_INQUIRIES = (
    "Saved Property", "Saved Property Search", "Property Search", "Viewed Property",
    "Viewed Page", "Visited Website",
)
INQUIRY_TYPES = IMMEDIATE_INQUIRIES + DIGEST_INQUIRIES + ("Unsubscribed", "Manual Entry")

# docs/product.md#referral-status: each referral status belongs to exactly one Referrals sub-tab.
REFERRAL_TABS = {
    "Active Leads": ("New", "Attempted Contact"),
    "Inactive Leads": ("Not Interested", "Bad Contact Info", "Title Mismatch", "Not Workable"),
    "Active Appointments": ("In Progress", "Follow-Up", "Appointment Set", "Met With Client"),
    "Lost Listings/Sales": ("Listed With Another Agent", "Sold With Another Agent"),
    "Wins": ("Listing Signed", "Under Contract", "Closed"),
}
REFERRAL_STATUSES = tuple(status for statuses in REFERRAL_TABS.values() for status in statuses)

ACTIVITY_PERIODS = ("Today", "This week", "Last 30 days")
MASK = "XXX"
