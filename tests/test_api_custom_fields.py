"""The owner's own fields on the API's customers and leads: read in JSON's own types, written as JSON numbers or
point-notation decimals (never a language's notation), checked by the same parse the forms and imports use."""
import pytest

from extensions import db
from models import Customer, Lead
from sales import custom_fields
from tests.api_client import api, token_for  # noqa: F401 (fixtures)
from tests.conftest import login, text_of


@pytest.fixture
def fields(app):
    """Revenue (number), first purchase (date), sector (choice), fleet (yes/no), notes (text) on customers; a
    budget (number) on leads; and a field the owner switched off."""
    with app.app_context():
        made = {
            "revenue": custom_fields.define("customer", "Revenue", "number"),
            "since": custom_fields.define("customer", "First purchase", "date"),
            "sector": custom_fields.define("customer", "Sector", "choice", ["Retail", "Medical"]),
            "fleet": custom_fields.define("customer", "Has a fleet", "yes_no"),
            "remark": custom_fields.define("customer", "Remark", "text"),
            "budget": custom_fields.define("lead", "Budget", "number"),
            "old": custom_fields.define("customer", "Old code", "text"),
        }
        made["old"].active = False
        db.session.commit()
        return {name: field.key for name, field in made.items()}


def _pointers(response):
    assert response.status_code == 422, response.json
    return {error["pointer"]: error["detail"] for error in response.json["errors"]}


def test_a_customer_is_made_and_read_with_the_owners_fields(api, app, client, owner, fields):
    k = fields
    made = api(owner).post("/api/v1/customers", json={"name": "Clínica Sur", "custom_fields": {
        k["revenue"]: 1100.04, k["since"]: "2017-03-01", k["sector"]: "medical", k["fleet"]: True,
        k["remark"]: "007"}})
    assert made.status_code == 201, made.json
    # Typed as JSON reads them; every active field is there (null when empty), the switched-off one is not.
    assert made.json["custom_fields"] == {k["revenue"]: "1100.04", k["since"]: "2017-03-01", k["sector"]: "Medical",
                                          k["fleet"]: True, k["remark"]: "007"}
    with app.app_context():
        stored = db.session.get(Customer, made.json["id"]).custom
    # Stored in the one form the forms, lists and exports use (sales/custom_fields.py).
    assert stored == {k["revenue"]: "1100.04", k["since"]: "2017-03-01", k["sector"]: "Medical", k["fleet"]: "yes",
                      k["remark"]: "007"}
    login(client, owner)
    page = text_of(client.get(f"/customers/{made.json['id']}"))
    assert "1,100.04" in page and "Medical" in page
    bare = api(owner).post("/api/v1/customers", json={"name": "Ana García"}).json
    assert bare["custom_fields"] == {key: None for name, key in k.items() if name not in ("budget", "old")}


def test_a_change_sends_only_the_fields_it_changes(api, app, owner, fields):
    k = fields
    as_owner = api(owner)
    made = as_owner.post("/api/v1/customers", json={"name": "Clínica Sur", "custom_fields": {
        k["revenue"]: "2500.5", k["sector"]: "Retail"}}).json
    changed = as_owner.patch(f"/api/v1/customers/{made['id']}", json={"custom_fields": {
        k["revenue"]: 12, k["sector"]: None, k["fleet"]: False}})
    assert changed.status_code == 200, changed.json
    got = changed.json["custom_fields"]
    assert (got[k["revenue"]], got[k["sector"]], got[k["fleet"]]) == ("12", None, False)
    assert changed.json["version"] == made["version"] + 1
    # A change without custom_fields leaves them as they are.
    assert as_owner.patch(f"/api/v1/customers/{made['id']}", json={"city": "Sevilla"}).json["custom_fields"] == got


def test_values_a_field_cannot_take_are_field_errors(api, app, owner, fields):
    k = fields
    as_owner = api(owner)
    made = as_owner.post("/api/v1/customers", json={"name": "Clínica Sur", "custom_fields": {k["revenue"]: 5}}).json
    bad = as_owner.patch(f"/api/v1/customers/{made['id']}", json={"custom_fields": {
        k["revenue"]: "1.100,04", k["since"]: "1/3/2017", k["sector"]: "Bakery", k["fleet"]: "yes",
        k["old"]: "X-1", "nonsense": "x", k["remark"]: 3}})
    errors = _pointers(bad)
    assert set(errors) == {f"/body/custom_fields/{key}" for key in (k["revenue"], k["since"], k["sector"], k["fleet"],
                                                                     k["old"], "nonsense", k["remark"])}
    assert "point" in errors[f"/body/custom_fields/{k['revenue']}"]
    assert "Retail, Medical" in errors[f"/body/custom_fields/{k['sector']}"]
    assert "true or false" in errors[f"/body/custom_fields/{k['fleet']}"]
    huge = as_owner.patch(f"/api/v1/customers/{made['id']}", json={"custom_fields": {k["revenue"]: 10 ** 16}})
    assert f"/body/custom_fields/{k['revenue']}" in _pointers(huge)
    # Nothing of a refused change was kept.
    assert as_owner.get(f"/api/v1/customers/{made['id']}").json["custom_fields"][k["revenue"]] == "5"


def test_leads_read_and_write_their_own_fields(api, app, owner, make_customer, fields):
    ana = make_customer("Ana García")
    as_owner = api(owner)
    made = as_owner.post("/api/v1/leads", json={"customer_id": ana.id, "title": "Fleet of e-bikes",
                                                "custom_fields": {fields["budget"]: "18000.00"}})
    assert made.status_code == 201, made.json
    assert made.json["custom_fields"] == {fields["budget"]: "18000"}
    # A customer's field is not a lead's.
    wrong = as_owner.patch(f"/api/v1/leads/{made.json['id']}", json={"custom_fields": {fields["revenue"]: 1}})
    assert set(_pointers(wrong)) == {f"/body/custom_fields/{fields['revenue']}"}
    changed = as_owner.patch(f"/api/v1/leads/{made.json['id']}", json={"custom_fields": {fields["budget"]: 19500.5}})
    assert changed.json["custom_fields"] == {fields["budget"]: "19500.5"}
    with app.app_context():
        assert db.session.get(Lead, made.json["id"]).custom == {fields["budget"]: "19500.5"}
    assert as_owner.get(f"/api/v1/leads?customer_id={ana.id}").json["items"][0]["custom_fields"] == \
        changed.json["custom_fields"]


def test_the_document_describes_the_fields(client):
    schemas = client.get("/api/openapi.json").json["components"]["schemas"]
    for name in ("Customer", "CustomerCreate", "CustomerUpdate", "Lead", "LeadCreate", "LeadUpdate"):
        assert "custom_fields" in schemas[name]["properties"], name
    assert "point notation" in str(schemas["CustomerCreate"]["properties"]["custom_fields"])

