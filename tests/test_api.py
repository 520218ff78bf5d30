"""The JSON API: personal tokens from the profile page, acting with the user's role and record rules; keyset
pages with a next link, ETag / If-Match, Idempotency-Key, RFC 9457 problems and the per-token rate limit."""
from datetime import date, timedelta

import re
import pytest
from sqlalchemy import func, select

from extensions import db
from models import ApiToken, Customer, Lead, WebhookDelivery, WebhookEndpoint
from sales.api.auth import hash_of
from tests.api_client import api, token_for  # noqa: F401 (fixtures)
from tests.conftest import login, stage_id, text_of
from sales.clock import shop_today


def test_a_token_is_made_on_the_profile_page_shown_once_and_kept_hashed(client, seller, app):
    login(client, seller)
    bad = client.post("/account/api-tokens", data={"name": "", "expires_on": "2001-01-01"})
    assert bad.status_code == 422 and "Name the token" in text_of(bad) and "in the past" in text_of(bad)
    response = client.post("/account/api-tokens", data={"name": "Web shop",
                                                       "expires_on": (shop_today() + timedelta(days=30)).isoformat()})
    page = response.get_data(as_text=True)
    token = page.split('id="token" type="text" readonly value="')[1].split('"')[0]
    assert token.startswith("mst_") and len(token) > 40
    with app.app_context():
        row = db.session.scalars(select(ApiToken)).one()
        assert row.token_hash == hash_of(token) and token not in (row.prefix, row.token_hash, row.name)
    account = client.get("/account").get_data(as_text=True)
    assert "Web shop" in account and token not in account and row.prefix in account
    client.post("/logout")
    answer = client.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    with app.app_context():
        assert db.session.get(ApiToken, row.id).last_used_at is not None
    login(client, seller)
    client.post(f"/account/api-tokens/{row.id}/revoke")
    assert client.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_without_a_valid_token_every_operation_is_a_401_problem(client, owner, token_for, app):
    from sales.api.endpoint import OPERATIONS

    for operation in OPERATIONS:
        url = "/api" + re.sub(r"<int:\w+>", "1", operation.rule)
        response = client.open(url, method=operation.method, json={})
        assert response.status_code == 401, url
        assert response.mimetype == "application/problem+json"
        assert response.json["status"] == 401 and response.json["type"].endswith("token-missing")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    expired = token_for(owner, expires_on=shop_today() - timedelta(days=1))
    response = client.get("/api/v1/customers", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and response.json["type"].endswith("token-invalid")
    assert client.get("/api/v1/customers", headers={"Authorization": "Bearer mst_guess"}).status_code == 401


def test_a_session_cookie_is_not_a_token(client, owner):
    login(client, owner)
    assert client.get("/api/v1/customers").status_code == 401


def test_customers_can_be_created_read_and_changed_with_etags(api, owner, app):
    as_owner = api(owner)
    bad = as_owner.post("/api/v1/customers", json={"name": "", "email": "not-an-email", "colour": "red"})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    pointers = {e["pointer"] for e in bad.json["errors"]}
    assert {"/body/name", "/body/email", "/body/colour"} <= pointers
    created = as_owner.post("/api/v1/customers", json={"name": "Ana García", "email": "Ana@Example.com",
                                                       "mobile": "600 123 456", "tags": ["vip", "club"]})
    assert created.status_code == 201
    customer = created.json
    assert customer["email"] == "ana@example.com" and customer["tags"] == ["club", "vip"]
    assert created.headers["Location"].endswith(f"/api/v1/customers/{customer['id']}")
    read = as_owner.get(f"/api/v1/customers/{customer['id']}")
    etag = read.headers["ETag"]
    assert etag == '"1"' and read.json == customer
    assert as_owner.get(f"/api/v1/customers/{customer['id']}", headers={"If-None-Match": etag}).status_code == 304
    changed = as_owner.patch(f"/api/v1/customers/{customer['id']}", json={"city": "Madrid"},
                             headers={"If-Match": etag})
    assert changed.status_code == 200 and changed.json["city"] == "Madrid" and changed.headers["ETag"] == '"2"'
    assert changed.json["email"] == "ana@example.com"        # what was not sent stays
    stale = as_owner.patch(f"/api/v1/customers/{customer['id']}", json={"city": "Toledo"},
                           headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.json["type"].endswith("stale-write")
    with app.app_context():
        assert db.session.get(Customer, customer["id"]).city == "Madrid"
    assert as_owner.get("/api/v1/customers/999999").status_code == 404
    not_json = as_owner.post("/api/v1/customers", data="name=Ana", content_type="application/x-www-form-urlencoded")
    assert not_json.status_code == 415


@pytest.mark.parametrize("method, url", [("GET", "/api/v1/customers/0"), ("PATCH", "/api/v1/customers/0"),
                                         ("PATCH", f"/api/v1/leads/{2 ** 64}"), ("POST", "/api/v1/leads/0/moves")])
def test_an_id_no_record_can_have_is_a_404_for_every_method_of_the_path(api, owner, method, url):
    # Not a 405: GET and PATCH of one path are separate rules, and the id is what is wrong, not the method.
    response = api(owner).open(url, method, json={"title": "x", "stage_id": 1})
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_json_answers_are_compressed_for_a_client_that_asks(api, owner, make_customer):
    import gzip
    import json

    for number in range(30):
        make_customer(f"Cliente {number}", email=f"cliente{number}@example.com")
    response = api(owner).get("/api/v1/customers", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in response.headers["Vary"]
    plain = api(owner).get("/api/v1/customers", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert json.loads(gzip.decompress(response.get_data())) == plain.get_json()


def test_a_retried_post_with_the_same_idempotency_key_creates_one_record(api, owner, app):
    as_owner = api(owner)
    body = {"name": "Bruno Díaz", "city": "Toledo"}
    first = as_owner.post("/api/v1/customers", json=body, headers={"Idempotency-Key": "order-7781-customer"})
    again = as_owner.post("/api/v1/customers", json=body, headers={"Idempotency-Key": "order-7781-customer"})
    assert first.status_code == again.status_code == 201 and first.json == again.json
    assert again.headers["Idempotent-Replayed"] == "true" and again.headers["Location"] == first.headers["Location"]
    other = as_owner.post("/api/v1/customers", json={"name": "Someone else"},
                          headers={"Idempotency-Key": "order-7781-customer"})
    assert other.status_code == 422 and other.json["type"].endswith("idempotency-key-reused")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 1


def test_lists_go_page_by_page_along_the_next_link(api, owner, make_customer):
    for n in range(7):
        make_customer(f"Customer {n}", city="Madrid" if n % 2 else "Toledo")
    as_owner = api(owner)
    seen, url, pages = [], "/api/v1/customers?limit=3", 0
    while url:
        response = as_owner.get(url)
        assert response.status_code == 200
        seen += [c["name"] for c in response.json["items"]]
        url = response.json["next"]
        if url:
            assert response.headers["Link"] == f'<{url}>; rel="next"'
            url = url.split("localhost", 1)[1]
        pages += 1
    assert pages == 3 and seen == [f"Customer {n}" for n in range(7)]
    assert as_owner.get("/api/v1/customers?cursor=garbage").status_code == 400
    assert as_owner.get("/api/v1/customers?limit=1000").status_code == 422
    searched = as_owner.get("/api/v1/customers?q=Customer%203").json["items"]
    assert [c["name"] for c in searched] == ["Customer 3"]


def test_a_seller_sees_and_works_only_their_own_leads(api, app, owner, seller, make_user, make_customer, make_lead):
    ana = make_customer("Ana García")
    own = make_lead(ana, seller, title="Sam's e-bike")
    other_seller = make_user("seller")
    theirs = make_lead(ana, other_seller, title="Someone else's")
    as_seller = api(seller)
    listed = as_seller.get("/api/v1/leads").json["items"]
    assert [lead["title"] for lead in listed] == ["Sam's e-bike"]
    assert as_seller.get(f"/api/v1/leads/{theirs.id}").status_code == 404
    assert as_seller.patch(f"/api/v1/leads/{theirs.id}", json={"title": "Mine now"}).status_code == 404
    seen = as_seller.get(f"/api/v1/leads/{own.id}").json
    # The shop's name for the stage (its language's), and every language's it has one in.
    assert seen["stage_names"]["en"] == "New" and seen["stage"] == seen["stage_names"][shop_language_of(app)]
    # A seller makes leads for themselves only, as on the lead form.
    refused = as_seller.post("/api/v1/leads", json={"customer_id": ana.id, "title": "For a colleague",
                                                    "seller_id": other_seller.id})
    assert refused.status_code == 422 and refused.json["errors"][0]["pointer"] == "/body/seller_id"
    made = as_seller.post("/api/v1/leads", json={"customer_id": ana.id, "title": "Child seat",
                                                 "estimated_value": "89.90", "source": "web_form"})
    assert made.status_code == 201 and made.json["seller_id"] == seller.id and made.json["estimated_value"] == "89.90"
    # Support has no leads at all.
    support = make_user("support")
    assert api(support).get("/api/v1/leads").status_code == 403
    assert api(owner).get("/api/v1/leads").json["items"].__len__() == 3


def test_a_lead_moves_through_the_pipeline_like_on_the_board(api, app, owner, make_customer, make_lead):
    lead = make_lead(make_customer(), owner, title="Two e-bikes", value=2400)
    with app.app_context():
        db.session.add(WebhookEndpoint(url="http://127.0.0.1:9/", events="lead.won", secret="whsec_AAAA"))
        db.session.commit()
    as_owner = api(owner)
    etag = as_owner.get(f"/api/v1/leads/{lead.id}").headers["ETag"]
    won = stage_id(app, "Won")
    moved = as_owner.post(f"/api/v1/leads/{lead.id}/moves", json={"stage_id": won}, headers={"If-Match": etag})
    assert moved.status_code == 201 and moved.json["to_stage_id"] == won
    assert as_owner.post(f"/api/v1/leads/{lead.id}/moves", json={"stage_id": won}).status_code == 200
    assert as_owner.post(f"/api/v1/leads/{lead.id}/moves", json={"stage_id": won},
                         headers={"If-Match": etag}).status_code == 412
    assert as_owner.post(f"/api/v1/leads/{lead.id}/moves", json={"stage_id": 99999}).status_code == 422
    history = as_owner.get(f"/api/v1/leads/{lead.id}/moves").json["items"]
    assert [m["to_stage_id"] for m in history][-1] == won and history[0]["from_stage_id"] is None
    assert as_owner.get(f"/api/v1/leads/{lead.id}").json["stage_kind"] == "won"
    with app.app_context():
        # The same webhooks as a move on the board.
        assert db.session.scalar(select(WebhookDelivery.event_type)) == "lead.won"


def test_the_rate_limit_is_per_token_and_says_when_to_come_back(api, app, owner, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_PER_MINUTE", 3)
    first, second = api(owner), api(owner)
    answers = [first.get("/api/v1/products").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = first.get("/api/v1/products")
    assert 1 <= int(limited.headers["Retry-After"]) <= 61 and limited.json["type"].endswith("rate-limited")
    assert second.get("/api/v1/products").status_code == 200     # another token has its own count


def test_lists_run_a_few_queries_whatever_the_page_size(api, owner, make_customer, make_lead, count_queries):
    customers = [make_customer(f"Customer {n}", tags=("vip",)) for n in range(30)]
    for customer in customers:
        make_lead(customer, owner)
    as_owner = api(owner)
    for url in ("/api/v1/customers?limit=5", "/api/v1/customers?limit=30", "/api/v1/leads?limit=5",
                "/api/v1/leads?limit=30", f"/api/v1/leads/{1}", f"/api/v1/customers/{customers[0].id}"):
        as_owner.get(url)                      # the rate window of this minute exists now
        with count_queries() as queries:
            assert as_owner.get(url).status_code == 200
        assert len(queries) <= 5, (url, queries)


def test_the_spec_and_the_docs_page(client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"] == "3.1.0"
    assert {"/api/v1/customers", "/api/v1/leads/{lead_id}/moves"} <= set(spec["paths"])
    create = spec["paths"]["/api/v1/customers"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"] == \
        "#/components/schemas/CustomerCreate"
    assert spec["components"]["schemas"]["CustomerCreate"]["properties"]["name"]["maxLength"] == 160
    page = client.get("/api/docs").get_data(as_text=True)
    assert re.search(r"swagger-ui-5\.35\.0/swagger-ui-bundle\.[0-9a-f]+\.js", page) and "/api/openapi.json" in page
    assert client.get("/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js").status_code == 200


def shop_language_of(app):
    from sales.languages import shop_language

    with app.app_context():
        return shop_language()
