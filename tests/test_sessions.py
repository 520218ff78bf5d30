"""Sessions that really end (issue 14, M3): kept in the database, so a copied cookie dies with the session, on
every app server, and the lifetime does not slide."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import create_app
from extensions import db
from models import UserSession, utcnow
from tests.conftest import PASSWORD, login, text_of


def copy_of(app, client):
    """A second browser holding a copy of `client`'s session cookie (what an attacker lifts off a tablet)."""
    thief = app.test_client()
    thief.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"),
                     client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session")).value)
    return thief


def signed_in(client):
    response = client.get("/")
    return response.status_code == 200 and "Sign out" in text_of(response)


def test_signing_out_ends_every_copy_of_the_session(app, client, seller):
    login(client, seller)
    thief = copy_of(app, client)
    assert signed_in(thief)
    client.post("/logout")
    assert not signed_in(client) and not signed_in(thief)
    assert thief.get("/customers/").location.startswith("/login")


def test_a_password_change_signs_out_every_other_device(app, make_user):
    seller = make_user("seller")
    tablet, phone = app.test_client(), app.test_client()
    login(tablet, seller)
    login(phone, seller)
    copied = copy_of(app, phone)
    response = tablet.post("/account", data={"which": "password", "pw-current_password": PASSWORD,
                                             "pw-password": "another long one", "pw-confirm": "another long one"})
    assert response.status_code == 303
    assert signed_in(tablet) and not signed_in(phone) and not signed_in(copied)


@pytest.mark.parametrize("change", [{"active": ""}, {"role": "support", "active": "y"}])
def test_deactivation_or_a_role_change_ends_the_sessions_at_once(app, client, make_user, owner, change):
    seller = make_user("seller", name="Sam Seller", email="sam@shop.example")
    seller_browser = app.test_client()
    login(seller_browser, seller)
    login(client, owner)
    data = {"name": "Sam Seller", "email": "sam@shop.example", "role": "seller", "version": "1", **change}
    assert client.post(f"/users/{seller.id}", data=data).status_code == 303
    assert not signed_in(seller_browser)


def test_the_lifetime_is_absolute_and_does_not_slide(app, client, seller):
    login(client, seller)
    with app.app_context():
        expires = db.session.scalar(select(UserSession.expires_at))
        started = db.session.scalar(select(UserSession.started_at))
    assert expires - started == timedelta(hours=app.config["SESSION_HOURS"])
    with app.app_context():
        # Used a minute ago: the lifetime must not move when it is used again.
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=2)))
        db.session.commit()
    assert signed_in(client)
    with app.app_context():
        assert db.session.scalar(select(UserSession.expires_at)) == expires
        db.session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert not signed_in(client)
    with app.app_context():
        assert db.session.scalar(select(UserSession.ended_why)) == "expired"


def test_a_session_unused_for_the_idle_time_ends(app, client, seller):
    login(client, seller)
    idle = app.config["SESSION_IDLE_MINUTES"]
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=idle - 1)))
        db.session.commit()
    assert signed_in(client)      # used just in time: still open, and now fresh again
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=idle + 1)))
        db.session.commit()
    assert not signed_in(client)
    with app.app_context():
        assert db.session.scalar(select(UserSession.ended_why)) == "idle"


def test_the_owner_sees_a_users_sessions_and_ends_them(app, client, make_user, owner):
    seller = make_user("seller", name="Sam Seller")
    tablet, phone = app.test_client(), app.test_client()
    login(tablet, seller)
    login(phone, seller)
    login(client, owner)
    page = client.get(f"/users/{seller.id}")
    assert "Signed in on" in text_of(page) and text_of(page).count("127.0.0.1") == 2
    with app.app_context():
        first = db.session.scalars(select(UserSession.id).where(UserSession.user_id == seller.id)
                                   .order_by(UserSession.id)).first()
    assert client.post(f"/users/{seller.id}/sessions/{first}/end").status_code == 303
    assert not signed_in(tablet) and signed_in(phone)
    assert client.post(f"/users/{seller.id}/sessions/{first}/end").status_code == 404   # already ended
    response = client.post(f"/users/{seller.id}/sessions/end", follow_redirects=True)
    assert "1 session of Sam Seller ended." in text_of(response)
    assert not signed_in(phone)
    assert "Not signed in anywhere right now." in text_of(client.get(f"/users/{seller.id}"))


def test_two_app_servers_share_the_sessions(app, database_url, client, seller):
    """Two app servers on one database (PostgreSQL in production): signing out on one ends it on the other."""
    other_server = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                               "SECRET_KEY": app.config["SECRET_KEY"], "WTF_CSRF_ENABLED": False})
    login(client, seller)
    on_other = copy_of(other_server, client)
    assert signed_in(on_other)
    client.post("/logout")
    assert not signed_in(on_other)
    with other_server.app_context():
        db.engine.dispose()


def test_a_signed_in_page_sends_the_session_cookie_only_when_it_changed(app, client, owner, csrf_on):
    import re

    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    signing_in = client.post("/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": token})
    assert signing_in.status_code == 303 and "session=" in signing_in.headers["Set-Cookie"]
    for _ in range(2):
        dashboard = client.get("/")
        assert dashboard.status_code == 200 and "Sign out" in text_of(dashboard)
        assert "Set-Cookie" not in dashboard.headers, dashboard.headers.get("Set-Cookie")
    # The token the sign-in cookie carries is the one the page's forms post: signing out with it works.
    token = re.search(r'name="csrf_token" value="([^"]+)"', dashboard.get_data(as_text=True)).group(1)
    signing_out = client.post("/logout", data={"csrf_token": token})
    assert signing_out.status_code == 303 and "Set-Cookie" in signing_out.headers and not signed_in(client)
