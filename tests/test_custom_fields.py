"""The owner's own fields, and the customer import that fills them: the public sample's 85 accounts with their
sector, revenue and employees."""
import csv
import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models import Customer, CustomField
from sales import custom_fields
from tests.conftest import login, text_of
from tests.test_history_import import SAMPLE


def raw_accounts():
    with open(SAMPLE / "accounts.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def import_accounts(client, content=None, name="accounts.csv", **answers):
    content = content if content is not None else (SAMPLE / "accounts.csv").read_bytes()
    response = client.post("/customers/import", data={"file": (io.BytesIO(content), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 303, text_of(response)
    page = client.get(response.location).get_data(as_text=True)
    form = {}
    for select_name, options in re.findall(r'<select id="(column-\d+)" name="column-\d+">(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        form[select_name] = chosen.group(1) if chosen else ""
    checked = client.post(response.location, data={**form, "kind": "company", "action": "check", **answers})
    assert checked.status_code == 303, text_of(checked)
    progress = checked.location
    step = progress.replace("/progress", "/step")
    for _ in range(50):                       # the page's own polling, done by hand
        shown = text_of(client.get(progress))
        if "Import the good rows" in shown:
            client.post(step, data={"action": "import"})
        elif "finished" in shown:
            return shown, page
        else:
            client.post(step)
    raise AssertionError("the import never finished")


def test_the_sample_accounts_come_in_with_their_own_columns_as_custom_fields(as_owner, app):
    done, mapping = import_accounts(as_owner)
    accounts = raw_accounts()
    assert f"{len(accounts)} new customers" in done
    assert "New custom field “sector”" in mapping
    with app.app_context():
        fields = {f.label: f for f in db.session.scalars(select(CustomField))}
        assert fields["sector"].kind == "choice"
        assert fields["revenue"].kind == "number" and fields["employees"].kind == "number"
        assert set(fields["sector"].choice_list) == {a["sector"] for a in accounts}
        by_name = {c.name: c for c in db.session.scalars(select(Customer))}
        for account in accounts:
            customer = by_name[account["account"]]
            assert customer.kind == "company"
            assert Decimal(customer.custom["revenue"]) == Decimal(account["revenue"])
            assert Decimal(customer.custom["employees"]) == Decimal(account["employees"])
            assert customer.custom["sector"] == account["sector"]
            assert customer.custom.get("subsidiary_of", "") == account["subsidiary_of"]
        acme = by_name["Acme Corporation"]
    page = text_of(as_owner.get(f"/customers/{acme.id}"))
    assert "sector technolgy" in page and "revenue 1,100.04" in page and "employees 2,822" in page
    # The list filters on a custom field.
    medical = {a["account"] for a in accounts if a["sector"] == "medical"}
    listing = text_of(as_owner.get("/customers/?field=sector&value=Medical"))
    assert all(name in listing for name in medical)
    assert "Acme Corporation" not in listing
    # Edited on the form, with the error next to the field.
    form = as_owner.get(f"/customers/{acme.id}/edit").get_data(as_text=True)
    assert 'name="cf-revenue" value="1100.04"' in form
    bad = as_owner.post(f"/customers/{acme.id}/edit", data={"kind": "company", "name": "Acme Corporation",
                                                            "owner_id": "0", "version": str(acme.version),
                                                            "cf-revenue": "lots", "cf-sector": "retail"})
    assert bad.status_code == 422 and "Not a number. Write it like 1,200.50." in text_of(bad)
    assert 'value="lots"' in bad.get_data(as_text=True)
    good = as_owner.post(f"/customers/{acme.id}/edit", data={"kind": "company", "name": "Acme Corporation",
                                                             "owner_id": "0", "version": str(acme.version),
                                                             "cf-revenue": "1,200.50", "cf-sector": "retail"})
    assert good.status_code == 303
    with app.app_context():
        saved = db.session.get(Customer, acme.id)
        assert saved.custom["revenue"] == "1200.5" and saved.custom["sector"] == "retail"
        assert saved.custom["employees"] == "2822"                # untouched fields keep their values
    # Exported in the columns the import reads, and imported again: nothing new, nothing lost.
    exported = as_owner.get("/customers/export.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {"sector", "revenue", "employees"} <= set(rows[0])
    again, _mapping = import_accounts(as_owner, exported.encode(), "customers.csv")
    assert "0 new customers" in again and f"{len(accounts)} customers unchanged" in again
    with app.app_context():
        assert db.session.query(Customer).count() == len(accounts)
        assert db.session.query(CustomField).count() == len(fields)


def test_the_owner_defines_fields_and_others_may_not(as_owner, app, make_user):
    refused = as_owner.post("/customers/fields", data={"label": "Fleet size", "kind": "choice", "entity": "customer",
                                                       "choices": ""})
    assert refused.status_code == 422 and "Write the choices, one per line." in text_of(refused)
    as_owner.post("/customers/fields", data={"label": "Fleet size", "kind": "choice", "entity": "customer",
                                             "choices": "1–5\n6–20\nMore"})
    as_owner.post("/customers/fields", data={"label": "Has a workshop", "kind": "yes_no", "entity": "customer"})
    page = text_of(as_owner.get("/customers/fields"))
    assert "Fleet size Choice 1–5, 6–20, More" in page and "Has a workshop Yes / no" in page
    new = as_owner.post("/customers/new", data={"kind": "company", "name": "Bicis Norte", "owner_id": "0",
                                                "cf-fleet_size": "6–20", "cf-has_a_workshop": "yes"})
    assert new.status_code == 303
    with app.app_context():
        customer = db.session.scalars(select(Customer).where(Customer.name == "Bicis Norte")).one()
        assert customer.custom == {"fleet_size": "6–20", "has_a_workshop": "yes"}
    assert "Has a workshop Yes" in text_of(as_owner.get(new.location))
    other = app.test_client()
    login(other, make_user("seller"))
    assert other.get("/customers/fields").status_code == 403
    assert other.post("/customers/fields", data={"label": "X", "kind": "text", "entity": "customer"}).status_code == 403


def test_values_are_read_in_one_form_per_kind(app):
    with app.test_request_context():
        number, date_, yes, choice = (CustomField(kind=k, choices="Retail\nMedical") for k in
                                      ("number", "date", "yes_no", "choice"))
        assert custom_fields.parse(number, "1.234,5", "comma") == ("1234.5", None)     # a file's notation
        assert custom_fields.parse(number, "1,234.5", "point") == ("1234.5", None)
        assert custom_fields.parse(date_, "2017-03-01") == ("2017-03-01", None)
        assert custom_fields.parse(date_, "1/3/2017") == ("2017-03-01", None)
        assert custom_fields.parse(yes, "Sí") == ("yes", None)
        assert custom_fields.parse(choice, " medical ") == ("Medical", None)
        assert custom_fields.parse(choice, "Toys")[1] == "“Toys” is not one of: Retail, Medical."
        assert custom_fields.guess_kind(["1996", "2001"], "comma") == ("number", None)
        assert custom_fields.guess_kind(["yes", "no", "yes"], "comma") == ("yes_no", None)
        assert custom_fields.guess_kind(["a", "b", "a", "b"], "comma") == ("choice", ["a", "b"])


@pytest.mark.parametrize("language, typed, stored, shown_again", [
    ("es", "1.200", "1200", "1.200"), ("es", "1.234,5", "1234.5", "1.234,5"),
    ("en", "1,200", "1200", "1,200"), ("en", "1.5", "1.5", "1.5")])
def test_a_typed_number_is_read_in_the_person_s_language_and_shown_back_the_same(app, language, typed, stored,
                                                                                 shown_again):
    number = CustomField(kind="number")
    with app.test_request_context(headers={"Accept-Language": language}):
        assert custom_fields.parse(number, typed) == (stored, None)
        assert custom_fields.form_text(number, stored) == shown_again


def test_a_typed_number_that_reads_two_ways_is_refused_with_both_readings(app):
    with app.test_request_context(headers={"Accept-Language": "es"}):
        stored, problem = custom_fields.parse(CustomField(kind="number"), "1.5")
    assert stored is None and "“15”" in problem and "“1,5”" in problem


def test_a_lead_field_is_shown_and_edited_on_the_lead(as_owner, app, owner, make_customer, make_lead):
    as_owner.post("/customers/fields", data={"label": "Bikes in the fleet", "kind": "number", "entity": "lead"})
    lead = make_lead(make_customer("Mensajería Rápida"), owner, title="Fleet renewal")
    form = as_owner.get(f"/leads/{lead.id}/edit").get_data(as_text=True)
    assert 'name="cf-bikes_in_the_fleet"' in form
    data = {"title": "Fleet renewal", "source": "walk_in", "seller_id": str(owner.id), "version": str(lead.version)}
    bad = as_owner.post(f"/leads/{lead.id}/edit", data={**data, "cf-bikes_in_the_fleet": "a dozen"})
    assert bad.status_code == 422 and "Not a number. Write it like 1,200.50." in text_of(bad)
    good = as_owner.post(f"/leads/{lead.id}/edit", data={**data, "cf-bikes_in_the_fleet": "12"})
    assert good.status_code == 303, text_of(good)
    assert "Bikes in the fleet 12" in text_of(as_owner.get(f"/leads/{lead.id}"))
    # And it leaves with the lead: the deals export has a column for it, as the customers export has.
    exported = list(csv.DictReader(io.StringIO(as_owner.get("/leads/export.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert [row["Bikes in the fleet"] for row in exported] == ["12"]
