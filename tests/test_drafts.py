"""A form sent after the session (or its CSRF token) expired is kept and offered back after signing in."""
import re
from urllib.parse import parse_qs, urlsplit

from extensions import db
from models import Customer, FormDraft
from tests.conftest import PASSWORD, text_of


def _csrf(html):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_a_long_note_typed_before_the_session_expired_is_saved_after_signing_in(app, csrf_on, owner):
    tablet = app.test_client()
    login_page = tablet.get("/login").get_data(as_text=True)
    tablet.post("/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": _csrf(login_page)})
    form = tablet.get("/customers/new").get_data(as_text=True)
    note = "Wants the red one, size M; call after 18:00. " * 40
    typed = {"csrf_token": _csrf(form), "kind": "person", "name": "Nuria Fuentes", "owner_id": str(owner.id),
             "notes": note}
    tablet.delete_cookie("session")                   # ten hours later: the session is gone
    to_login = tablet.post("/customers/new", data=typed)
    assert to_login.status_code == 303 and urlsplit(to_login.location).path == "/login"
    draft_page = _draft_after_login(to_login)
    assert urlsplit(tablet.get(draft_page).location).path == "/login"   # the draft itself needs the sign-in
    sign_in = tablet.get(to_login.location)
    assert "Your session ended after 10 hours; sign in to save what you typed." in text_of(sign_in)
    signed_in = tablet.post(to_login.location, data={"email": owner.email, "password": PASSWORD,
                                                     "csrf_token": _csrf(sign_in.get_data(as_text=True))})
    assert urlsplit(signed_in.location).path == draft_page
    offered = tablet.get(draft_page)
    html = offered.get_data(as_text=True)
    assert offered.status_code == 200 and "Not saved yet" in text_of(offered) and note.strip() in html
    resend = dict(re.findall(r'<textarea name="([^"]+)"[^>]*>([^<]*)</textarea>', html))
    resend.update(csrf_token=_csrf_any(html), _draft=draft_page.rsplit("/", 1)[1])
    saved = tablet.post("/customers/new", data=resend)
    assert saved.status_code == 303, text_of(saved)
    with app.app_context():
        customer = db.session.query(Customer).one()
        assert customer.name == "Nuria Fuentes" and customer.notes == note.strip()
        assert db.session.query(FormDraft).count() == 0


def _draft_after_login(response):
    """The kept form a redirect to the sign-in page goes on to."""
    draft_page = parse_qs(urlsplit(response.headers.get("HX-Redirect") or response.location).query)["next"][0]
    assert draft_page.startswith("/drafts/")
    return draft_page


def _csrf_any(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_without_csrf_an_anonymous_post_is_kept_too(app, client, owner):
    response = client.post("/customers/new", data={"name": "Kept", "notes": "typed"})
    _draft_after_login(response)
    with app.app_context():
        assert db.session.query(FormDraft).one().path == "/customers/new"


def test_a_draft_is_for_the_person_who_opened_it_and_never_holds_a_password(app, client, owner, seller):
    from tests.conftest import login

    response = client.post("/customers/new", data={"name": "Kept", "notes": "typed"})
    draft_page = _draft_after_login(response)
    login(client, owner)
    assert client.get(draft_page).status_code == 200
    other = app.test_client()
    login(other, seller)
    assert other.get(draft_page).status_code == 404
    anonymous = app.test_client()
    anonymous.post("/account", data={"current_password": "secret", "new_password": "x"})
    anonymous.post("/login", data={"email": "a@b.example", "password": "secret"})
    with app.app_context():
        assert db.session.query(FormDraft).count() == 1


def test_an_htmx_post_after_expiry_is_sent_to_the_draft_by_hx_redirect(app, client):
    response = client.post("/customers/new", data={"name": "Kept"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and urlsplit(response.headers["HX-Redirect"]).path == "/login"
    _draft_after_login(response)


def test_a_signed_in_post_without_its_token_is_refused_with_what_was_typed(app, client, owner, monkeypatch):
    from tests.conftest import login

    login(client, owner)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    typed = {"kind": "person", "name": "Nuria Fuentes", "notes": "Wants the red one"}
    refused = client.post("/customers/new", data=typed)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "nothing was saved" in text_of(refused)
    resend = dict(re.findall(r'<textarea name="([^"]+)"[^>]*>([^<]*)</textarea>', html))
    assert resend == typed
    saved = client.post("/customers/new", data={**resend, "owner_id": "0", "csrf_token": _csrf_any(html)})
    assert saved.status_code == 303, text_of(saved)
    with app.app_context():
        assert db.session.query(Customer).one().notes == "Wants the red one"
        assert db.session.query(FormDraft).count() == 0
    # From htmx the same answer replaces the page's main area, not the small part the form aimed at.
    htmx = client.post("/customers/new", data=typed, headers={"HX-Request": "true"})
    assert htmx.status_code == 400 and htmx.headers["HX-Retarget"] == "#content"
    assert "Nuria Fuentes</textarea>" in htmx.get_data(as_text=True)
