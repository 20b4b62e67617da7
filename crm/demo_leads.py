"""Demo data for the Leads screen (docs/product.md#leads): agent@demo.test's people with several showing requests
and saved properties, so page one shows one person on several rows, and a few Smart Lists."""
from datetime import timedelta

from sqlalchemy.orm import Session

from crm import clock
from crm.models import SmartList, User
from crm.services import contacts, lead_rows

# (first, last, zip, [(inquiry type, street, MLS number, minutes ago)])
BUSY_PEOPLE = [
    ("Rosa", "Showings", "33602", [("Showing Request", "12 Oak St", "T310001", 5),
                                   ("Showing Request", "48 Bay Dr", "T310002", 25),
                                   ("Saved Property", "7 Palm Ave", "T310003", 40),
                                   ("Showing Request", "901 Shore Blvd", "T310004", 70),
                                   ("Showing Request", "3 Cedar Ct", "T310005", 95)]),
    ("Theo", "Favorites", "33603", [("Saved Property", "15 Lime St", "T320001", 10),
                                    ("Saved Property", "22 Lime St", "T320002", 35),
                                    ("Showing Request", "15 Lime St", "T320001", 55)]),
    ("Ivy", "Househunter", "33611", [("Showing Request", "5 Harbor Way", "T330001", 15),
                                     ("Viewed Property", "5 Harbor Way", "T330001", 20),
                                     ("Saved Property", "60 Dale Mabry Hwy", "T330002", 80)]),
]
SMART_LISTS = [  # (owner email, name, query, shared with the owner's office)
    ("agent@demo.test", "My showing requests", "inquiry_type=Showing+Request", False),
    ("agent@demo.test", "Hot and warm this week", "priority=Hot&priority=Warm&activity=This+week", False),
    ("manager@demo.test", "Office: new today", "activity=Today", True),
    ("manager@demo.test", "Office: saved properties by contact", "inquiry_type=Saved+Property&group=contact", True),
]


def add_demo(session: Session, users: list[User]) -> None:
    lead_rows.sync_unfilled(session)  # the bulk loader's leads, if it did not fill the copies itself
    by_email = {user.email: user for user in users}
    agent = by_email.get("agent@demo.test")
    if agent is None:
        return
    now = clock.now()
    for number, (first, last, zip_code, actions) in enumerate(BUSY_PEOPLE, start=4001):
        person = contacts.create_contact(None, emails=[f"{first}.{last}@example.com".lower()],
                                         phones=[f"555-010-{number}"],
                                         first_name=first, last_name=last, owner_id=agent.id, zip=zip_code,
                                         city="Tampa", state="FL", priority="Hot", interest_level=4)
        for inquiry, street, mls, minutes in reversed(actions):
            contacts.record_lead(person, inquiry, occurred_at=now - timedelta(minutes=minutes),
                                 property_street=street, property_city="Tampa", property_zip=zip_code,
                                 mls_number=mls, source="smithandassociates.com",
                                 message="Can I see it this weekend?" if inquiry == "Showing Request" else None)
    for email, name, query, shared in SMART_LISTS:
        owner = by_email.get(email)
        if owner is not None:
            session.add(SmartList(owner_id=owner.id, name=name, query=query,
                                  shared_office_id=owner.office_id if shared else None))
    session.flush()
