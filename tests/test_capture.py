"""Getting leads in: the public web form, CSV import (with the public sample data), and pipeline settings."""
import io
from decimal import Decimal
import re
from pathlib import Path

import pytest

from models import Customer, ImportJob, Lead, PipelineStage
from tests.conftest import stage_id, text_of

# A copy of the public sample in ../shared/data, kept in the repository so the tests need nothing outside it.
SAMPLE = Path(__file__).resolve().parent / "data" / "crm-sales-opportunities"


# --- Public web form -----------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def english_browser(client):
    """The web form is tied to no customer: it speaks the browser's language (test_public_languages.py)."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def post_web_form(client, **data):
    """Open the form (as a visitor's browser does, with no cookie of ours) and send it with its form token."""
    page = client.get("/leads/web-form").get_data(as_text=True)
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post("/leads/web-form", data={"form_token": token, **data})


def test_web_form_creates_a_new_lead_without_login(client, owner, app):
    page = client.get("/leads/web-form")
    assert page.status_code == 200 and "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]
    response = post_web_form(client, name="Eva Pardo", email="eva@x.example", interest="Cargo bike for two kids",
                             website="")
    assert response.status_code == 303 and response.location == "/leads/web-form/thanks"
    assert "Thank you!" in text_of(client.get(response.location))
    with app.app_context():
        from extensions import db
        lead = db.session.query(Lead).one()
        assert lead.source == "web_form" and lead.stage.names["en"] == "New" and lead.customer.name == "Eva Pardo"


def test_web_form_asks_for_a_way_to_answer(client, owner):
    response = post_web_form(client, name="Eva", interest="Bike")
    assert response.status_code == 422
    assert "Leave an email or a phone number" in text_of(response)
    assert 'value="Eva"' in response.get_data(as_text=True)


def test_web_form_honeypot_keeps_nothing(client, owner, app):
    response = post_web_form(client, name="Bot", email="bot@x.example", interest="Spam",
                             website="http://spam.example")
    assert response.status_code == 303
    with app.app_context():
        from extensions import db
        assert db.session.query(Lead).count() == 0


def test_web_form_is_rate_limited_per_address(client, owner):
    for i in range(5):
        post_web_form(client, name=f"P{i}", email=f"p{i}@x.example", interest="Bike")
    response = post_web_form(client, name="P6", email="p6@x.example", interest="Bike")
    assert response.status_code == 429
    assert "try again in an hour" in text_of(response)


def test_web_form_works_in_a_frame_on_another_site_without_any_cookie(app, owner, csrf_on):
    """Inside another site's iframe the browser sends no cookie of ours (issue 14, L2): the form needs none."""
    visitor = app.test_client(use_cookies=False)
    page = visitor.get("/leads/web-form")
    assert "Set-Cookie" not in page.headers
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = visitor.post("/leads/web-form", data={"form_token": token, "name": "Eva Pardo", "phone": "600111222",
                                                     "interest": "Cargo bike"})
    assert response.status_code == 303 and "Set-Cookie" not in response.headers
    with app.app_context():
        from extensions import db
        assert db.session.query(Lead).count() == 1


@pytest.mark.parametrize("token, message", [("", "could not be checked"), ("forged.token.value", "could not be checked")])
def test_web_form_without_a_valid_token_keeps_the_message_and_asks_again(client, owner, app, token, message):
    response = client.post("/leads/web-form", data={"form_token": token, "name": "Eva", "phone": "600111222",
                                                    "interest": "Cargo bike"})
    assert response.status_code == 422 and message in text_of(response)
    assert 'value="Cargo bike"' in response.get_data(as_text=True)
    with app.app_context():
        from extensions import db
        assert db.session.query(Lead).count() == 0


def test_an_expired_form_token_asks_to_send_again(client, owner, app, monkeypatch):
    import sales.leads.capture as capture

    page = client.get("/leads/web-form").get_data(as_text=True)
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page).group(1)
    monkeypatch.setattr(capture, "FORM_TOKEN_HOURS", -1)
    response = client.post("/leads/web-form", data={"form_token": token, "name": "Eva", "phone": "600111222",
                                                    "interest": "Cargo bike"})
    assert response.status_code == 422 and "open for a long time" in text_of(response)


def test_the_owner_lists_the_sites_that_may_frame_the_form(as_owner):
    response = as_owner.post("/leads/settings/embedding",
                             data={"sites": "https://www.ruedalibre.es/contacto\nhttp://Tienda.example:8080"})
    assert response.status_code == 303
    policy = as_owner.get("/leads/web-form").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://www.ruedalibre.es/contacto" not in policy
    bad = as_owner.post("/leads/settings/embedding", data={"sites": "javascript:alert(1)"})
    assert bad.status_code == 422 and "is not a website address" in text_of(bad)
    assert "frame-ancestors 'self' https://www.ruedalibre.es http://tienda.example:8080" in \
        as_owner.get("/leads/web-form/thanks").headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in as_owner.get("/leads/web-form").headers
    assert as_owner.get("/leads/settings").headers["X-Frame-Options"] == "DENY"


# --- CSV import ----------------------------------------------------------------------------------------------

def upload(client, content, filename="leads.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post("/leads/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def run_import(client, job_url, mapping_form):
    response = client.post(job_url, data={**mapping_form, "action": "start"})
    assert response.status_code == 303, text_of(response)
    job_id = int(re.search(r"/import/(\d+)", job_url).group(1))
    for _ in range(100):
        page = client.post(f"/leads/import/{job_id}/step")
        if "Checked" in text_of(client.get(f"/leads/import/{job_id}/progress")):
            break
    client.post(f"/leads/import/{job_id}/step", data={"action": "import"})
    for _ in range(100):  # the import goes chunk by chunk, each a request, as the progress page does
        page = client.get(f"/leads/import/{job_id}/progress")
        if "Import finished" in text_of(page):
            return page
        client.post(f"/leads/import/{job_id}/step")
    raise AssertionError("the import did not finish")


def test_import_maps_columns_and_reports_bad_rows_by_line(as_seller, seller, app, make_customer):
    make_customer("Existing Shop", email="hello@existing.example")
    csv_text = ("Nombre;Correo;Teléfono;Interés;Valor;Fecha cierre;Etapa\n"
                "Ana García;ana@x.example;612 345 678;E-bike;2.400,50;31/12/2026;Nuevo\n"
                ";nobody@x.example;;Helmet;30;;New\n"
                "Bruno Díaz;not-an-email;;Gravel;abc;31/02/2026;New\n"
                "Existing Shop;hello@existing.example;;Fleet;9000;15/06/2026;Won\n")
    response = upload(as_seller, csv_text)
    assert response.status_code == 303
    mapping = as_seller.get(response.location)
    html = mapping.get_data(as_text=True)
    assert "Nombre" in html and "Ana García" in html                    # the preview
    assert re.search(r'name="map-customer">.*?<option value="0" selected', html, re.S)  # guessed
    new_stage, won = stage_id(app, "New"), stage_id(app, "Won")
    form = {"map-customer": "0", "map-email": "1", "map-phone": "2", "map-title": "3", "map-value": "4",
            "map-close_date": "5", "map-stage": "6", "date_format": "dmy", "duplicates": "merge",
            "stage-Nuevo": str(new_stage), "stage-New": str(new_stage), "stage-Won": str(won)}
    done = text_of(run_import(as_seller, response.location, form))
    assert "2 leads imported" in done and "1 new customer" in done
    assert "1 lead added to an existing customer" in done
    assert "2 rows left out because of problems" in done
    assert "3 customer No customer name." in done
    assert "4 email “not-an-email” is not an email address." in done
    assert "4 value “abc” is not an amount written like 1.200,50." in done    # the shop's (Spanish) notation
    assert "4 close date “31/02/2026” is not a date" in done
    with app.app_context():
        from extensions import db
        ana = db.session.query(Lead).join(Customer).filter(Customer.name == "Ana García").one()
        assert str(ana.estimated_value) == "2400.50" and ana.expected_close_date.isoformat() == "2026-12-31"
        assert ana.seller_id == seller.id and ana.source == "csv_import"
        assert db.session.query(Customer).filter_by(name="Existing Shop").count() == 1
        fleet = db.session.query(Lead).filter_by(title="Fleet").one()
        assert fleet.closed_at.date().isoformat() == "2026-06-15" and fleet.won_amount == 9000
        assert db.session.query(ImportJob).one().content == ""


def test_import_can_skip_existing_customers(as_seller, make_customer, app):
    make_customer("Existing Shop", email="hello@existing.example")
    response = upload(as_seller, "name,email,title\nExisting Shop,hello@existing.example,Fleet\nNew One,,Bike\n")
    done = text_of(run_import(as_seller, response.location, {"map-customer": "0", "map-email": "1",
                                                             "map-title": "2", "duplicates": "skip"}))
    assert "1 lead imported" in done and "1 row skipped" in done


def test_import_asks_how_amounts_are_written_when_the_file_does_not_tell(as_owner, app):
    """"1.200" is one thousand two hundred in a Spanish sheet and one point two in an English one: asked, not
    guessed; a value only one notation reads ("2.399,90", "2399.90") tells by itself."""
    mapping = {"map-customer": "0", "map-title": "1", "map-value": "2"}
    response = upload(as_owner, "name,title,value\nAna,Bike,1.200\nLuis,Cargo,2.500\n")
    page = as_owner.post(response.location, data={**mapping, "action": "start"})
    assert page.status_code == 422
    assert "The amounts in the file read two ways" in text_of(page)
    assert 'name="number_notation_seen"' in page.get_data(as_text=True)
    run_import(as_owner, response.location, {**mapping, "number_notation": "comma", "number_notation_seen": "1"})
    for content, notation in (("name,title,value\nEva,Tandem,\"2.399,90\"\n", None),
                              ("name,title,value\nIker,Trike,2399.90\n", None),
                              ("name,title,value\nMar,Kids,1.200\n", "point")):
        response = upload(as_owner, content)
        extra = {"number_notation": notation, "number_notation_seen": "1"} if notation else {}
        run_import(as_owner, response.location, {**mapping, **extra})
    with app.app_context():
        from extensions import db
        values = {lead.title: lead.estimated_value for lead in db.session.query(Lead)}
    assert values == {"Bike": Decimal("1200"), "Cargo": Decimal("2500"), "Tandem": Decimal("2399.90"),
                      "Trike": Decimal("2399.90"), "Kids": Decimal("1.2")}


def test_import_needs_a_customer_column(as_seller):
    response = upload(as_seller, "a,b\n1,2\n")
    again = as_seller.post(response.location, data={"action": "values", "map-title": "1"})
    assert again.status_code == 422
    assert "Choose the columns for: Customer name." in text_of(again)


def test_import_refuses_a_file_that_is_not_a_table(as_seller):
    response = upload(as_seller, "just one line\n")
    assert response.status_code == 422
    assert "should name the columns" in text_of(response)


def test_import_of_the_public_sample_pipeline(as_owner, owner, app):
    """8 800 opportunities from data nobody here wrote: US dates, a missing account on 1 425 rows."""
    content = (SAMPLE / "sales_pipeline.csv").read_bytes()
    response = upload(as_owner, content, "sales_pipeline.csv")
    assert response.status_code == 303
    mapping_html = as_owner.get(response.location).get_data(as_text=True)
    assert "8800 rows" in text_of(as_owner.get(response.location))
    assert re.search(r'name="date_format">.*?<option value="mdy" selected', mapping_html, re.S)  # US dates seen
    won, lost, new, contacted = (stage_id(app, n) for n in ("Won", "Lost", "New", "Contacted"))
    form = {"map-customer": "3", "map-title": "2", "map-value": "7", "map-close_date": "6", "map-stage": "4",
            "map-seller": "1", "date_format": "mdy", "duplicates": "merge",
            "stage-Won": str(won), "stage-Lost": str(lost), "stage-Prospecting": str(new),
            "stage-Engaging": str(contacted)}
    done = text_of(run_import(as_owner, response.location, form))
    assert "7375 leads imported" in done          # 8 800 less the 1 425 rows without an account
    assert "85 new customers" in done
    assert "1425 rows left out because of problems" in done
    with app.app_context():
        from extensions import db
        from sqlalchemy import func
        won_value = db.session.query(func.sum(Lead.estimated_value)).filter(Lead.stage_id == won).scalar()
        assert won_value > 0


def test_a_10000_row_file_imports_the_good_rows_and_reports_the_bad(as_owner, app):
    lines = ["customer,email,title,value"]
    bad = set(range(50, 10_000, 271))  # 37 bad rows spread through the file
    for i in range(10_000):
        if i in bad:
            lines.append(f"Cliente {i},broken-email-{i},Bike,{i}")
        else:
            lines.append(f"Cliente {i},c{i}@x.example,Bike {i},{i % 5000}")
    response = upload(as_owner, "\n".join(lines) + "\n")
    done = run_import(as_owner, response.location, {"map-customer": "0", "map-email": "1", "map-title": "2",
                                                    "map-value": "3", "duplicates": "merge"})
    text = text_of(done)
    assert f"{10_000 - len(bad)} leads imported" in text
    assert f"{len(bad)} rows left out because of problems" in text
    first_bad_line = min(bad) + 2  # the header is line 1
    assert f"{first_bad_line} email “broken-email-{min(bad)}” is not an email address." in text
    with app.app_context():
        from extensions import db
        assert db.session.query(Lead).count() == 10_000 - len(bad)


# --- Pipeline settings ---------------------------------------------------------------------------------------

def test_owner_renames_reorders_and_adds_stages(as_owner, app, fetch):
    as_owner.get("/leads/settings")
    proposal = stage_id(app, "Proposal")
    response = as_owner.post(f"/leads/settings/stages/{proposal}", data={
        f"s{proposal}-name": "Presupuesto", f"s{proposal}-name_en": "Quote sent", f"s{proposal}-kind": "open"})
    assert response.status_code == 303
    assert fetch(PipelineStage, proposal).name == "Presupuesto"     # the shop's language's name
    as_owner.post(f"/leads/settings/stages/{proposal}/up")
    board = text_of(as_owner.get("/leads/board"))                   # read in English
    assert board.index("Quote sent") < board.index("Qualified")
    as_owner.post("/leads/settings/stages", data={"new-name": "Test ride", "new-kind": "open"})
    board = text_of(as_owner.get("/leads/board"))
    assert board.index("Test ride") < board.index("Won")


def test_a_stage_with_leads_cannot_be_retired(as_owner, owner, make_customer, make_lead, app, fetch):
    lead = make_lead(make_customer(), owner, stage="Contacted")
    contacted = stage_id(app, "Contacted")
    as_owner.post(f"/leads/settings/stages/{contacted}/active")
    assert fetch(PipelineStage, contacted).active
    assert "still holds 1 lead: move it to another stage first" in text_of(as_owner.get("/leads/settings"))


def test_sellers_cannot_change_the_pipeline(as_seller):
    assert as_seller.get("/leads/settings").status_code == 403
    assert as_seller.post("/leads/settings/stages", data={"new-name": "X", "new-kind": "open"}).status_code == 403
