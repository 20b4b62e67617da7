"""All models, imported here so Flask-Migrate and the app see one metadata."""
from crm.models.api import ApiKey, ApiRateWindow, IdempotencyRecord
from crm.models.contact import ActivityLog, Contact, ContactEmail, ContactPhone, ContactShare, Lead, Note
from crm.models.dashboard import DashboardCount, DashboardCountChange, DashboardDay, DashboardZone
from crm.models.imports import ContactImport, ImportedRecord, ImportMapping, ImportSkippedRow
from crm.models.offers import AppointmentOffer, OfferRecipient
from crm.models.org import AccountToken, Office, ServiceZip, SignInFailure, User, ZipSponsorship
from crm.models.outbox import OutboxMessage
from crm.models.plans import ActionPlan, ActionPlanTask, ContactTask
from crm.models.requests import ManageRequest
from crm.models.routing import LeadFlowRule
from crm.models.settings import Setting
from crm.models.smart_list import SmartList
from crm.models.webhooks import WebhookDelivery, WebhookSubscription

__all__ = [
    "AccountToken", "ActionPlan", "ActionPlanTask", "ActivityLog", "ApiKey", "ApiRateWindow", "AppointmentOffer",
    "Contact", "ContactEmail", "ContactImport", "ContactPhone", "ContactShare", "ContactTask", "DashboardCount",
    "DashboardCountChange", "DashboardDay", "DashboardZone", "IdempotencyRecord", "ImportMapping", "ImportSkippedRow",
    "ImportedRecord", "Lead",
    "LeadFlowRule", "ManageRequest", "Note", "OfferRecipient", "Office",
    "OutboxMessage", "ServiceZip", "Setting", "SignInFailure", "SmartList", "User", "WebhookDelivery",
    "WebhookSubscription", "ZipSponsorship",
]
