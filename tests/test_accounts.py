"""First-run setup, signing in and out, throttling, expiring sessions and one-time password links."""
from datetime import timedelta

import pytest

from models import LoginAttempt, User, utcnow
from tests.conftest import PASSWORD, login, text_of


def test_first_visit_goes_to_setup(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.location.endswith("/setup")
    assert "Welcome to Mostrador" in text_of(client.get("/setup"))


def test_setup_creates_the_owner_and_signs_in(app, client, fetch, monkeypatch):
    monkeypatch.delitem(app.config, "PASSWORD_HASH_METHOD")  # the shop's setting, not the suite's cheap one
    response = client.post("/setup", data={
        "shop_name": "Bicis Ana", "name": "Ana Ruiz", "email": "Ana@Shop.example",
        "password": "pedal power 2026", "confirm": "pedal power 2026", "language": "",
    })
    assert response.status_code == 303
    owner = fetch(User, 1)
    assert owner.role == "owner" and owner.email == "ana@shop.example"
    assert owner.password_hash.startswith("scrypt:")  # hashed with a memory-hard algorithm
    home = client.get("/")
    assert "Hello, Ana Ruiz" in text_of(home)
    assert "Bicis Ana" in text_of(home)


def test_setup_exists_only_until_the_owner_does(client, owner):
    assert client.get("/setup").status_code == 404
    response = client.post("/setup", data={"name": "Intruder", "email": "x@y.example",
                                           "password": "0123456789", "confirm": "0123456789"})
    assert response.status_code == 404


def test_setup_with_errors_keeps_what_was_typed(client):
    response = client.post("/setup", data={"shop_name": "Bicis Ana", "name": "Ana Ruiz", "email": "not-an-email",
                                           "password": "short", "confirm": "other"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Ana Ruiz"' in page and 'value="Bicis Ana"' in page and 'value="not-an-email"' in page
    assert "Invalid email address" in page
    assert "Use at least 10 characters" in page


def test_setup_can_fill_the_demo_shop(client, fetch, app):
    client.post("/setup", data={"name": "Ana Ruiz", "email": "ana@shop.example", "password": "pedal power 2026",
                                "confirm": "pedal power 2026", "demo": "y"})
    listing = text_of(client.get("/customers/"))
    assert "of 50 customers" in listing


def test_login_and_logout(client, seller):
    login(client, seller)
    assert seller.name in text_of(client.get("/"))
    response = client.post("/logout")
    assert response.status_code == 303
    assert client.get("/customers/").status_code == 302


def test_logout_needs_a_post(client, seller):
    login(client, seller)
    assert client.get("/logout").status_code == 405
    assert client.get("/customers/").status_code == 200


def test_login_is_case_insensitive_on_email(client, make_user):
    user = make_user(email="lucia@shop.example")
    response = client.post("/login", data={"email": "LUCIA@Shop.Example", "password": PASSWORD})
    assert response.status_code == 303


def test_wrong_password_says_so_without_revealing_the_account(client, seller):
    wrong = client.post("/login", data={"email": seller.email, "password": "nope"})
    unknown = client.post("/login", data={"email": "ghost@shop.example", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 422
    assert "That email and password do not match" in text_of(wrong)
    assert "That email and password do not match" in text_of(unknown)
    assert f'value="{seller.email}"' in wrong.get_data(as_text=True)  # the email typed stays


def test_failed_logins_lock_the_account_for_a_while(client, seller):
    for _ in range(5):
        client.post("/login", data={"email": seller.email, "password": "guess"})
    locked = client.post("/login", data={"email": seller.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in text_of(locked)
    assert "15 minutes" in text_of(locked)


def test_lockout_ends_after_the_window(client, seller, app):
    from extensions import db

    for _ in range(5):
        client.post("/login", data={"email": seller.email, "password": "guess"})
    with app.app_context():
        for attempt in db.session.query(LoginAttempt):
            attempt.at = utcnow() - timedelta(minutes=16)
        db.session.commit()
    assert client.post("/login", data={"email": seller.email, "password": PASSWORD}).status_code == 303


def test_failures_from_one_address_are_limited_across_accounts(client, make_user):
    users = [make_user() for _ in range(3)]
    for i in range(20):
        client.post("/login", data={"email": f"guess{i}@shop.example", "password": "guess"})
    response = client.post("/login", data={"email": users[0].email, "password": PASSWORD})
    assert response.status_code == 429


def test_inactive_user_cannot_sign_in(client, make_user):
    user = make_user(active=False)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 422
    assert "deactivated" in text_of(response)


def test_sessions_expire(app, client, seller):
    assert app.config["PERMANENT_SESSION_LIFETIME"] <= timedelta(hours=12)
    login(client, seller)
    cookie = client.get_cookie("session")
    assert cookie.expires is not None  # a permanent session with an end, not a forever cookie


def test_deactivating_a_user_ends_their_session(client, app, seller):
    from extensions import db

    login(client, seller)
    with app.app_context():
        db.session.get(User, seller.id).deactivate()
        db.session.commit()
    assert client.get("/customers/").status_code == 302


def test_login_redirects_only_to_local_pages(client, seller):
    response = client.post("/login?next=https://evil.example/", data={"email": seller.email, "password": PASSWORD})
    assert response.location == "/"
    client.post("/logout")
    response = client.post("/login?next=/customers/", data={"email": seller.email, "password": PASSWORD})
    assert response.location == "/customers/"


def test_anonymous_htmx_request_is_sent_to_login_whole(client, seller):
    response = client.get("/customers/?q=a", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"].startswith("/login")
    assert response.get_data(as_text=True) == ""


def test_csrf_is_required_on_forms(client, seller, csrf_on):
    response = client.post("/login", data={"email": seller.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "The form expired" in text_of(response)


def test_csrf_token_is_accepted_from_the_htmx_header(client, seller, csrf_on):
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": seller.email, "password": PASSWORD},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 303


def test_account_settings_change_language_and_password(client, seller, fetch):
    login(client, seller)
    response = client.post("/account", data={"which": "account", "account-name": "Sam S.",
                                             "account-language": "es"})
    assert response.status_code == 303
    assert fetch(User, seller.id).language == "es"
    assert "Clientes" in text_of(client.get("/"))
    response = client.post("/account", data={"which": "password", "pw-current_password": "wrong",
                                             "pw-password": "another long one", "pw-confirm": "another long one"})
    assert response.status_code == 422
    response = client.post("/account", data={"which": "password", "pw-current_password": PASSWORD,
                                             "pw-password": "another long one", "pw-confirm": "another long one"})
    assert response.status_code == 303
    assert client.get("/customers/").status_code == 200  # this session survives the change


@pytest.fixture
def invited(make_user):
    return make_user(password=None, name="Nina New")


def _link_for(app, user):
    from extensions import db
    from sales.accounts.rules import password_token

    with app.test_request_context():
        return "/set-password/" + password_token(db.session.get(User, user.id))


def test_set_password_link_works_once(client, app, invited):
    link = _link_for(app, invited)
    assert "Hello, Nina New" in text_of(client.get(link))
    response = client.post(link, data={"password": "my new password", "confirm": "my new password"})
    assert response.status_code == 303
    assert "Nina New" in text_of(client.get("/"))
    client.post("/logout")
    again = client.get(link)
    assert again.status_code == 410
    assert "already been used" in text_of(again)


def test_set_password_link_expires(client, app, invited, monkeypatch):
    link = _link_for(app, invited)
    monkeypatch.setitem(app.config, "SET_PASSWORD_LINK_HOURS", 0)
    import time

    time.sleep(1.1)
    response = client.get(link)
    assert response.status_code == 410
    assert "too old" in text_of(response)


def test_tampered_set_password_link_is_refused(client, app, invited):
    response = client.get(_link_for(app, invited)[:-3] + "abc")
    assert response.status_code == 404
