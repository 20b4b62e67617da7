"""Sign-in (docs/product.md#sign-in): hashed passwords, a safe `next`, sign-out, every page behind sign-in."""
import pytest

from crm.models import User


def test_pages_require_sign_in_and_return_to_the_page_asked_for(web, users):
    response = web.get("/contacts?priority=Hot")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/contacts")

    web.get(response.headers["Location"])
    signed_in = web.post("/login?next=/contacts?priority%3DHot", {"email": "agent@demo.test", "password": "demo1234"})
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == "/contacts?priority=Hot"


@pytest.mark.parametrize("next_url", ["https://evil.example/x", "//evil.example/x", "/\\evil.example",
                                      "javascript:alert(1)"])
def test_off_site_next_is_refused(web, users, next_url):
    web.get("/login")
    response = web.post(f"/login?next={next_url}", {"email": "agent@demo.test", "password": "demo1234"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/contacts"


def test_wrong_password_and_unknown_email_get_the_same_answer(web, users):
    web.get("/login")
    wrong_password = web.post("/login", {"email": "agent@demo.test", "password": "nope-nope"})
    unknown_email = web.post("/login", {"email": "nobody@demo.test", "password": "nope-nope"})
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert "Wrong email or password." in wrong_password.get_data(as_text=True)
    assert "Wrong email or password." in unknown_email.get_data(as_text=True)


def test_passwords_are_stored_hashed(users):
    user = users["agent"]
    assert "demo1234" not in user.password_hash
    assert user.check_password("demo1234") and not user.check_password("demo12345")


def test_login_form_without_csrf_token_is_refused(web, users):
    web.get("/login")
    response = web.http.post("/login", data={"email": "agent@demo.test", "password": "demo1234"})
    assert response.status_code in (400, 422)
    assert "_user_id" not in (web.http.get_cookie("session").value if web.http.get_cookie("session") else "")


def test_sign_out_needs_a_post_with_the_token(login_as, users):
    client = login_as(users["agent"])
    assert client.get("/contacts").status_code == 200
    client.post("/logout")
    assert client.get("/contacts").status_code == 302


def test_inactive_user_cannot_sign_in(web, users):
    users["agent2"].is_active_user = False
    from crm.extensions import db
    db.session.commit()
    web.get("/login")
    assert web.post("/login", {"email": "agent2@demo.test", "password": "demo1234"}).status_code == 401
    assert isinstance(users["agent2"], User)


def test_signed_out_htmx_request_is_sent_to_sign_in_not_swapped(web, users):
    response = web.get("/contacts?page=2", htmx=True, headers={"HX-Current-URL": "http://localhost/contacts?x=1"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/contacts?x%3D1"
