"""Access control, checked on the server for every route and every role."""
import re

import pytest

from app import create_app
from tests.conftest import login, text_of

# Every page anonymous visitors may open. Adding one is a deliberate change to this list.
PUBLIC_ENDPOINTS = {"static", "accounts.login", "accounts.setup", "accounts.set_password", "accounts.logout",
                    "health.healthz", "health.live", "health.ready", "pages.home", "leads.web_form", "leads.web_form_thanks",
                    "support.customer_ticket", "support.survey",
                    "quotes.public_quote", "quotes.public_pdf", "quotes.shop_logo",
                    "portal.home", "portal.unsubscribe",
                    # Called by Meta's servers: no session, but every delivery is signed (tests/test_whatsapp.py).
                    "hooks.whatsapp_hook",
                    # A phone's calendar subscribes without signing in: the secret token is the key.
                    "connect.calendar_feed",
                    # The API's description and reference page (no data in them).
                    "api.openapi_document", "api.docs",
                    # The installed app: fetched before anyone signs in, and they carry nobody's data.
                    "offline.manifest", "offline.service_worker", "offline.page",
                    "drafts.show",
                    # A customer's documents, through the quote's, portal's or ticket's own unguessable link.
                    "documents.for_quote", "documents.for_portal", "documents.for_ticket",
                    # Prometheus scrapes without a session: METRICS_TOKEN is the key (tests/test_operations.py).
                    "operations.metrics"}   # a kept form: it sends anonymous visitors to sign in unless its form is public


def _token_endpoints():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "routes"})
    return {endpoint for endpoint, view in app.view_functions.items()
            if getattr(view, "is_token_authenticated", False)}


# The JSON API signs in with a personal token, never the session: without one it answers 401, not a redirect.
TOKEN_ENDPOINTS = _token_endpoints()


def _routes():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "routes"})
    def sample(match):
        converter, options = match.group(1), match.group(2)
        if converter == "int":
            return "1"
        if converter == "any":
            return options.strip("()").split(",")[0].strip()
        return "x"

    for rule in app.url_map.iter_rules():
        url = re.sub(r"<(?:(\w+)(\([^)]*\))?:)?\w+>", sample, rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


ALL_ROUTES = list(_routes())


@pytest.mark.parametrize("endpoint, method, url", [r for r in ALL_ROUTES
                                                   if r[0] not in PUBLIC_ENDPOINTS | TOKEN_ENDPOINTS])
def test_anonymous_visitors_are_sent_to_sign_in_from_every_page(client, owner, endpoint, method, url):
    response = client.open(url, method=method)
    assert response.status_code == 302, f"{method} {url}"
    assert response.location.startswith("/login")


@pytest.mark.parametrize("endpoint, method, url", [r for r in ALL_ROUTES if r[0] in TOKEN_ENDPOINTS])
def test_anonymous_api_calls_are_refused_with_401(client, owner, endpoint, method, url):
    response = client.open(url, method=method)
    assert response.status_code == 401 and response.mimetype == "application/problem+json", f"{method} {url}"


def test_token_authenticated_views_are_exactly_the_api_operations():
    assert TOKEN_ENDPOINTS and all(endpoint.startswith("api.") for endpoint in TOKEN_ENDPOINTS)
    assert not TOKEN_ENDPOINTS & PUBLIC_ENDPOINTS


def test_home_sends_anonymous_visitors_to_sign_in(client, owner):
    assert client.get("/").location.startswith("/login")


def test_public_views_are_exactly_the_known_ones(app):
    marked = {endpoint for endpoint, view in app.view_functions.items() if getattr(view, "is_public", False)}
    assert marked | {"static"} == PUBLIC_ENDPOINTS


def test_every_non_public_view_is_covered():
    # A new blueprint's routes join the parametrized check above automatically; this guards the list itself.
    endpoints = {r[0] for r in ALL_ROUTES}
    assert {"customers.index", "customers.edit", "users.index", "users.show"} <= endpoints


USER_ADMIN = [("GET", "/users/"), ("GET", "/users/new"), ("POST", "/users/new"), ("GET", "/users/{id}"),
              ("POST", "/users/{id}"), ("POST", "/users/{id}/password-link")]


@pytest.mark.parametrize("role", ["seller", "support"])
@pytest.mark.parametrize("method, url", USER_ADMIN)
def test_only_the_owner_manages_users(client, make_user, owner, role, method, url):
    user = make_user(role)
    login(client, user)
    response = client.open(url.format(id=owner.id), method=method, data={"name": "x", "email": "x@x.example",
                                                                         "role": "owner", "version": "1"})
    assert response.status_code == 403
    assert "You cannot open this page" in text_of(response)


@pytest.mark.parametrize("method, url", USER_ADMIN[:4])
def test_owner_opens_user_admin(as_owner, owner, method, url):
    response = as_owner.open(url.format(id=owner.id), method=method, data={})
    assert response.status_code in (200, 422)


def test_users_link_is_shown_to_the_owner_only(client, make_user, owner):
    login(client, owner)
    assert 'href="/users/"' in client.get("/").get_data(as_text=True)
    client.post("/logout")
    login(client, make_user("seller"))
    assert 'href="/users/"' not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role, expected", [("owner", 200), ("seller", 200), ("support", 200)])
def test_every_role_can_read_customers(client, make_user, make_customer, role, expected):
    customer = make_customer()
    login(client, make_user(role))
    assert client.get(f"/customers/{customer.id}").status_code == expected
    assert client.get("/customers/").status_code == expected


def test_support_cannot_archive_customers(client, make_user, make_customer):
    support = make_user("support")
    customer = make_customer(owner_id=support.id)
    login(client, support)
    assert client.post(f"/customers/{customer.id}/archive").status_code == 403
