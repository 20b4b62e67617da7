"""Sign-in hardening (docs/product.md#trust): throttling kept in the database, equal work for unknown emails,
sign-out that ends the session on the server, a fresh CSRF token at sign-in, one safe redirect."""
import pytest

from crm import clock
from crm.demo import PASSWORD
from crm.extensions import db
from crm.models import SignInFailure
from crm.safe_redirect import safe_path
from crm.services import sessions


def test_five_failures_for_one_email_then_429_even_with_the_right_password(web, users):
    for _ in range(5):
        assert web.post("/login", {"email": "agent@demo.test", "password": "wrong"}).status_code == 401
    refused = web.post("/login", {"email": "agent@demo.test", "password": PASSWORD})
    assert refused.status_code == 429
    assert "Try again after" in refused.get_data(as_text=True) and int(refused.headers["Retry-After"]) > 800


def test_five_failures_from_one_address_block_other_emails(web, users):
    for number in range(5):
        web.post("/login", {"email": f"nobody{number}@demo.test", "password": "wrong"})
    assert web.post("/login", {"email": "agent2@demo.test", "password": PASSWORD}).status_code == 429


def test_the_count_lives_in_the_database_and_expires_after_15_minutes(web, make_web, users):
    with clock.frozen_at(clock.now()):
        for _ in range(5):
            web.post("/login", {"email": "agent@demo.test", "password": "wrong"})
        assert db.session.scalar(db.select(db.func.count()).select_from(SignInFailure)) == 5
        other_process = make_web()
        assert other_process.post("/login", {"email": "agent@demo.test", "password": PASSWORD}).status_code == 429
        clock.advance(sessions.FAILURE_WINDOW)
        assert other_process.post("/login", {"email": "agent@demo.test", "password": PASSWORD}).status_code == 302


def test_an_unknown_email_costs_the_same_password_check(users, monkeypatch):
    checked = []
    real_check = sessions.check_password_hash
    monkeypatch.setattr(sessions, "check_password_hash", lambda *args: checked.append(1) or real_check(*args))
    monkeypatch.setattr("crm.models.org.check_password_hash", lambda *args: checked.append(1) or real_check(*args))
    assert sessions.authenticate("nobody@demo.test", "wrong") is None
    assert sessions.authenticate("agent@demo.test", "wrong") is None
    assert checked == [1, 1]


def test_sign_out_ends_the_session_even_for_a_copied_cookie(app, login_as, users):
    client = login_as(users["agent"])
    copied = client.http.get_cookie("session").value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/contacts").status_code == 302


def test_ending_other_sessions_signs_out_every_copy(app, login_as, users):
    client = login_as(users["agent"])
    sessions.end_other_sessions(users["agent"])
    db.session.commit()
    assert client.get("/contacts").status_code == 302


def test_the_csrf_token_changes_at_sign_in(web, users):
    web.get("/login")
    before = web.csrf_token
    web.login("agent@demo.test")
    assert web.csrf_token and web.csrf_token != before
    stale = web.http.post("/logout", data={"csrf_token": before})
    assert stale.status_code in (400, 302)
    assert web.get("/contacts").status_code == 200


@pytest.mark.parametrize("target", ["/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example",
                                    "/\r\nSet-Cookie:x", "javascript:alert(1)", "", None])
def test_unsafe_redirect_targets_are_refused(target):
    assert safe_path(target) is None


def test_a_header_injection_in_next_stays_on_site(login_as, users):
    client = login_as(users["agent"])
    response = client.get("/login?next=/%0D%0ASet-Cookie:x")
    assert response.status_code == 302 and "Set-Cookie: x" not in str(response.headers)
    assert "\r" not in response.headers["Location"] and "\n" not in response.headers["Location"]


def test_safe_paths_pass():
    assert safe_path("/contacts/12?tab=log") == "/contacts/12?tab=log"
