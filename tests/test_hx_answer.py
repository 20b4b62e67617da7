"""hx.answer, the one answer to an action: the fragment for htmx, else a flash and a redirect."""
from flask import get_flashed_messages

from crm import hx

HTMX = {"HX-Request": "true"}


def _answer(app, headers, **kwargs):
    with app.test_request_context("/", method="POST", headers=headers):
        response = hx.answer(back_to="/back", **kwargs)
        return response, get_flashed_messages(with_categories=True)


def _fragment(notice):
    return f"<p>{notice.category}: {notice.text}</p>" if notice else "<p>nothing to say</p>"


def test_htmx_gets_the_fragment_with_the_notice_and_the_status(app):
    response, flashed = _answer(app, HTMX, text="Not saved.", status=422, fragment=_fragment)
    assert (response.status_code, response.get_data(as_text=True)) == (422, "<p>error: Not saved.</p>")
    assert flashed == [] and "HX-Redirect" not in response.headers
    response, _ = _answer(app, HTMX, text="Saved.", fragment=_fragment)
    assert (response.status_code, response.get_data(as_text=True)) == (200, "<p>success: Saved.</p>")
    response, _ = _answer(app, HTMX, text=None, fragment=_fragment)
    assert response.get_data(as_text=True) == "<p>nothing to say</p>"


def test_htmx_without_a_fragment_loads_the_page_with_the_flash(app):
    response, flashed = _answer(app, HTMX, text="Done for 3 contacts.", category="info")
    assert (response.status_code, response.headers["HX-Redirect"]) == (200, "/back")
    assert flashed == [("info", "Done for 3 contacts.")]


def test_without_javascript_a_flash_and_a_redirect_whatever_the_status(app):
    response, flashed = _answer(app, {}, text="Refused.", status=409, fragment=_fragment)
    assert (response.status_code, response.headers["Location"]) == (302, "/back")
    assert flashed == [("error", "Refused.")]
    response, flashed = _answer(app, {}, text=None)
    assert response.status_code == 302 and flashed == []


def test_a_history_restore_is_answered_as_a_plain_request(app):
    response, flashed = _answer(app, {**HTMX, "HX-History-Restore-Request": "true"}, text="Saved.",
                                fragment=_fragment)
    assert response.status_code == 302 and flashed == [("success", "Saved.")]
