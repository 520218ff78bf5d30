"""Signing in (issue 14, M6 and L1): the same work whether or not the account exists; throttling by account and
by the client's real address (X-Forwarded-For only from TRUSTED_PROXIES); the web form's own quota."""
import pytest

from app import create_app
from extensions import db
from tests.conftest import PASSWORD, login


@pytest.fixture
def hash_checks(monkeypatch):
    """How many password hashes each sign-in checked."""
    import sales.accounts.rules as account_rules
    import models

    calls = []

    def counting(real):
        def check(*args):
            calls.append(1)
            return real(*args)
        return check

    monkeypatch.setattr(account_rules, "check_password_hash", counting(account_rules.check_password_hash))
    monkeypatch.setattr(models, "check_password_hash", counting(models.check_password_hash))
    return calls


def test_an_unknown_email_costs_one_password_check_like_a_known_one(client, seller, hash_checks):
    client.post("/login", data={"email": seller.email, "password": "wrong password here"})
    known = len(hash_checks)
    client.post("/login", data={"email": "nobody@shop.example", "password": "wrong password here"})
    unknown = len(hash_checks) - known
    assert known == unknown == 1


def test_an_invited_user_without_a_password_costs_the_same(client, make_user, hash_checks):
    invited = make_user("seller", password=None)
    response = client.post("/login", data={"email": invited.email, "password": "anything at all"})
    assert response.status_code == 422 and len(hash_checks) == 1


def web_form_post(client, n):
    from tests.test_capture import post_web_form

    return post_web_form(client, name=f"P{n}", email=f"p{n}@x.example", interest="Bike")


def test_web_form_posts_do_not_count_toward_the_login_lock(client, seller, owner, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ADDRESS", 3)
    for n in range(5):
        assert web_form_post(client, n).status_code == 303
    assert web_form_post(client, 6).status_code == 429      # the web form's own quota
    login(client, seller)                                    # the address may still sign in


def two_failures(client, email, address):
    for _ in range(2):
        client.post("/login", data={"email": email, "password": "wrong password here"},
                    headers={"X-Forwarded-For": address})


@pytest.fixture
def behind_a_proxy(app, database_url):
    proxied = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
                          "SECRET_KEY": app.config["SECRET_KEY"], "TRUSTED_PROXIES": 1,
                          "LOGIN_MAX_FAILURES_PER_ADDRESS": 2})
    yield proxied
    with proxied.app_context():
        db.engine.dispose()


def test_behind_a_trusted_proxy_each_client_address_has_its_own_count(behind_a_proxy, make_user):
    seller = make_user("seller")
    client = behind_a_proxy.test_client()
    two_failures(client, "someone@shop.example", "203.0.113.7")
    blocked = client.post("/login", data={"email": seller.email, "password": PASSWORD},
                          headers={"X-Forwarded-For": "203.0.113.7"})
    assert blocked.status_code == 429
    other_customer = client.post("/login", data={"email": seller.email, "password": PASSWORD},
                                 headers={"X-Forwarded-For": "198.51.100.2"})
    assert other_customer.status_code == 303


def test_without_trusted_proxies_the_forwarded_header_is_ignored(client, make_user, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ADDRESS", 2)
    seller = make_user("seller")
    two_failures(client, "someone@shop.example", "203.0.113.7")
    # A made-up header does not buy a fresh counter: the address is the connection's.
    response = client.post("/login", data={"email": seller.email, "password": PASSWORD},
                           headers={"X-Forwarded-For": "198.51.100.2"})
    assert response.status_code == 429
