"""Contact Details in a real browser: a long lead history loads as the user scrolls
(docs/product.md#contact-details)."""
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from crm.extensions import db
from crm.services import contacts as contact_service

pytestmark = pytest.mark.browser


def test_scrolling_down_the_timeline_loads_every_lead(page, sign_in, users, make_contact):
    contact = make_contact(users["agent"], "Scroll", "Down", inquiry="Registration")
    for number in range(59):
        contact_service.record_lead(contact, "Viewed Page", occurred_at=datetime(2026, 1, 1) + timedelta(hours=number),
                                    message=f"visit {number}")
    db.session.commit()
    sign_in("agent@demo.test", f"/contacts/{contact.id}")
    timeline = page.get_by_role("region", name="Leads")
    expect(timeline.locator("blockquote")).to_have_count(24)  # 25 leads; the Registration has no message

    for shown in (49, 59):  # each scroll to the end of the page brings the next 25
        page.keyboard.press("End")
        expect(timeline.locator("blockquote")).to_have_count(shown)
    expect(timeline.get_by_text("visit 0", exact=True)).to_be_visible()
    expect(timeline.get_by_text("Loading more…")).to_have_count(0)
