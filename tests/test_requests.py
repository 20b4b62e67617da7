"""Requests (docs/product.md#requests, #manage-actions): an agent's Delete/Archive request, a manager's Approve/Decline,
the trash."""
import re
import threading
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

from crm.demo import PASSWORD
from crm.extensions import db
from crm.models import ActivityLog, Contact, ManageRequest, Note
from crm.services import contacts as contact_service

import markup


def _pending(contact) -> ManageRequest | None:
    db.session.expire_all()
    return db.session.scalar(db.select(ManageRequest).where(ManageRequest.contact_id == contact.id,
                                                            ManageRequest.status == "Pending"))


def test_agent_delete_request_approved_moves_the_contact_to_the_trash_and_the_broker_restores_it(
        login_as, users, make_contact):
    contact = make_contact(users["agent"], "Dora", "Delete", emails=["dora@example.com"])
    contact_service.record_lead(contact, "Showing Request")
    db.session.add(Note(contact_id=contact.id, author_id=users["agent"].id, body="Call after 5pm"))
    db.session.commit()
    agent = login_as(users["agent"])

    asked = agent.post(f"/contacts/{contact.id}/manage/delete", htmx=True)
    assert asked.status_code == 200 and asked.headers["HX-Redirect"] == f"/contacts/{contact.id}"
    assert _pending(contact).kind == "Delete"
    page = agent.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert "Your Delete request is waiting for a manager." in page
    rows = markup.parse(agent.get("/contacts")).select("table.lead-rows tbody tr")
    assert rows and {(row.css_first("td.name a").attributes["href"].startswith(f"/contacts/{contact.id}#lead-"),
                      row.css_first(".request-cell").text(strip=True)) for row in rows} == {(True, "Delete")}

    manager = login_as(users["manager"])
    page = manager.get("/requests").get_data(as_text=True)
    assert "Dora Delete" in page and "Alex Agent" in page
    request_id = _pending(contact).id
    approved = manager.post(f"/requests/{request_id}/approve", htmx=True)
    assert approved.status_code == 200
    assert markup.parse(approved).has(f"#request-{request_id}")
    assert "Approved" in approved.get_data(as_text=True)

    assert agent.get(f"/contacts/{contact.id}").status_code == 404
    assert manager.get(f"/contacts/{contact.id}").status_code == 404
    assert "Dora Delete" not in manager.get("/contacts").get_data(as_text=True)
    broker = login_as(users["broker"])
    assert "Dora Delete" in broker.get("/settings/trash").get_data(as_text=True)

    restored = broker.post(f"/settings/trash/{contact.id}/restore")
    assert restored.status_code == 302
    detail = agent.get(f"/contacts/{contact.id}")
    assert detail.status_code == 200
    html = detail.get_data(as_text=True)
    assert "Showing Request" in html and "Registration" in html
    assert "Delete request approved" in html and "Restored" in html
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Note.id)).where(Note.contact_id == contact.id)) == 1
    assert db.session.get(Contact, contact.id).lead_count == 2


def test_declined_archive_request_keeps_the_contact_and_tells_the_agent_why(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Archie", "Keep")
    agent = login_as(users["agent"])
    agent.post(f"/contacts/{contact.id}/manage/archive", htmx=True)
    request_id = _pending(contact).id

    manager = login_as(users["manager"])
    declined = manager.post(f"/requests/{request_id}/decline", {"note": "Still a hot buyer"}, htmx=True)
    assert declined.status_code == 200 and "Declined" in declined.get_data(as_text=True)

    html = agent.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert "Your Archive request was declined by Marcus Manager: “Still a hot buyer”" in html
    assert "Archie Keep" in agent.get("/contacts").get_data(as_text=True)
    assert "Archie Keep" not in manager.get("/requests").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).archived_at is None


def test_deciding_an_already_decided_request_is_refused_with_who_decided(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Twice", "Decided")
    login_as(users["agent"]).post(f"/contacts/{contact.id}/manage/archive")
    request_id = _pending(contact).id
    manager, broker = login_as(users["manager"]), login_as(users["broker"])
    assert manager.post(f"/requests/{request_id}/decline", htmx=True).status_code == 200

    again = broker.post(f"/requests/{request_id}/approve", htmx=True)
    assert again.status_code == 409
    assert "This request was already declined by Marcus Manager." in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).archived_at is None
    plain = broker.post(f"/requests/{request_id}/approve", follow_redirects=True)
    assert "already declined by Marcus Manager" in plain.get_data(as_text=True)


def test_a_second_request_while_one_is_pending_is_refused(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Only", "Once")
    agent = login_as(users["agent"])
    agent.post(f"/contacts/{contact.id}/manage/archive", htmx=True)
    second = agent.post(f"/contacts/{contact.id}/manage/delete", htmx=True)
    assert second.status_code == 422
    assert "Only Once already has a request to archive waiting for a manager." in second.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(ManageRequest.id))) == 1


def test_requests_belong_to_the_managers_of_the_agents_office(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Down", "Town")
    login_as(users["agent"]).post(f"/contacts/{contact.id}/manage/delete")
    request_id = _pending(contact).id

    west = login_as(users["west_manager"])
    assert "Down Town" not in west.get("/requests").get_data(as_text=True)
    assert west.post(f"/requests/{request_id}/approve").status_code == 404
    assert login_as(users["agent"]).get("/requests").status_code == 403
    assert login_as(users["agent2"]).post(f"/requests/{request_id}/approve").status_code == 403
    assert _pending(contact) is not None


def test_manager_approves_from_the_request_column_of_leads(login_as, users, make_contact):
    contact = make_contact(users["agent"], "Column", "Approve")
    login_as(users["agent"]).post(f"/contacts/{contact.id}/manage/archive")
    manager = login_as(users["manager"])
    row = manager.get("/contacts").get_data(as_text=True)
    assert markup.parse(row).has('button[aria-label="Approve Archive of Column Approve"]')

    approved = manager.post(f"/contacts/{contact.id}/request/approve", htmx=True)
    assert approved.status_code == 200
    assert "Archive request for Column Approve approved." in approved.get_data(as_text=True)
    assert "Column Approve" not in manager.get("/contacts").get_data(as_text=True)
    again = manager.post(f"/contacts/{contact.id}/request/decline", htmx=True)
    assert again.status_code == 409


def _signed_in_opener(base_url: str, email: str):
    """A real HTTP client (cookies + CSRF token) for racing through the live server."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = opener.open(f"{base_url}/login").read().decode()
    token = markup.parse(page).attr("input[name=csrf_token]", "value")
    form = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": token}).encode()
    signed_in_page = opener.open(f"{base_url}/login", form).read().decode()
    # The token changes at sign-in (docs/product.md#trust): the page after it carries the new one.
    return opener, markup.parse(signed_in_page).csrf_token()


def test_two_managers_deciding_at_once_one_wins_and_the_other_is_told(live_server, users, make_contact):
    contact = make_contact(users["agent"], "Race", "Condition")
    db.session.add(ManageRequest(contact_id=contact.id, kind="Delete", requested_by_id=users["agent"].id,
                                 office_id=users["agent"].office_id))
    db.session.commit()
    request_id = _pending(contact).id
    clients = [_signed_in_opener(live_server.url, email) for email in ("manager@demo.test", "broker@demo.test")]
    barrier, answers = threading.Barrier(2), []

    def decide(opener, token, decision):
        post = urllib.request.Request(f"{live_server.url}/requests/{request_id}/{decision}", data=b"",
                                      headers={"HX-Request": "true", "X-CSRFToken": token})
        barrier.wait()
        try:
            response = opener.open(post)
            answers.append((response.status, response.read().decode()))
        except urllib.error.HTTPError as error:
            answers.append((error.code, error.read().decode()))

    threads = [threading.Thread(target=decide, args=(*clients[0], "approve")),
               threading.Thread(target=decide, args=(*clients[1], "decline"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(status for status, _ in answers) == [200, 409]
    loser = next(body for status, body in answers if status == 409)
    assert re.search(r"This request was already (approved|declined) by (Marcus Manager|Brenda Broker)\.", loser)
    db.session.expire_all()
    decided = db.session.get(ManageRequest, request_id)
    assert decided.status in ("Approved", "Declined")
    assert (db.session.get(Contact, contact.id).deleted_at is not None) == (decided.status == "Approved")
    decisions = db.session.scalar(db.select(db.func.count(ActivityLog.id)).where(
        ActivityLog.contact_id == contact.id, ActivityLog.action.like("Delete request %")))
    assert decisions == 1


def test_approving_an_action_that_cannot_be_done_any_more_explains_and_keeps_the_request(
        login_as, users, make_contact):
    contact = make_contact(users["agent"], "Already", "Archived")
    contact.archived_at = contact.created_at
    db.session.add(ManageRequest(contact_id=contact.id, kind="Archive", requested_by_id=users["agent"].id,
                                 office_id=users["agent"].office_id))
    db.session.commit()
    request_id = _pending(contact).id
    response = login_as(users["manager"]).post(f"/requests/{request_id}/approve", htmx=True)
    assert response.status_code == 422
    assert "Already Archived is archived already." in response.get_data(as_text=True)
    assert _pending(contact).id == request_id
