"""Helpers shared by the referral, masking and offer tests (not a test module)."""
import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

from crm import clock
from crm.demo import PASSWORD
from crm.extensions import db
from crm.models import ActivityLog, ServiceZip, ZipSponsorship
from crm.services import offers

import markup


def give_territory(agent, serves=(), sponsors=(), guaranteed_display=False, last_offered_at=None):
    db.session.add_all([ServiceZip(user_id=agent.id, zip=zip_code) for zip_code in serves])
    db.session.add_all([ZipSponsorship(user_id=agent.id, zip=zip_code) for zip_code in sponsors])
    agent.guaranteed_display, agent.last_offered_at = guaranteed_display, last_offered_at
    db.session.commit()


def convert(contact, concierge, note="Wants a valuation", hours_ahead=24):
    offer = offers.convert_to_appointment(contact, concierge, clock.now() + timedelta(hours=hours_ahead), note)
    db.session.commit()
    return offer


def routing_actions(contact) -> list[str]:
    db.session.expire_all()
    query = (db.select(ActivityLog.action).where(ActivityLog.contact_id == contact.id,
                                                  ActivityLog.category == "routing").order_by(ActivityLog.id))
    return list(db.session.scalars(query))


class HttpUser:
    """A signed-in user speaking real HTTP to the live server (for races between threads)."""

    def __init__(self, base_url: str, email: str):
        self.base_url = base_url
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirects())
        login_page = self.get("/login")[1]
        token = markup.parse(login_page).attr("input[name=csrf_token]", "value")
        status, _ = self.post("/login", {"email": email, "password": PASSWORD, "csrf_token": token})
        assert status == 302, f"sign-in of {email} failed ({status})"
        # The token changes at sign-in (docs/product.md#trust): read the new one from a page, as a browser does.
        self.csrf_token = markup.parse(self.get("/contacts")[1]).csrf_token()

    def _send(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def get(self, path: str) -> tuple[int, str]:
        return self._send(urllib.request.Request(self.base_url + path))

    def post(self, path: str, data: dict | None = None) -> tuple[int, str]:
        data = dict(data or {})
        data.setdefault("csrf_token", getattr(self, "csrf_token", ""))
        body = urllib.parse.urlencode(data).encode()
        return self._send(urllib.request.Request(self.base_url + path, data=body, method="POST"))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
