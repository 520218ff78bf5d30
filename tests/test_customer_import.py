"""The customer import on a par with the deal import: a check that shows what will be created, updated and left
unchanged, and each line's problems, before anything is written; the import's progress; and a re-import that
updates the customers on file (by the file's ID, else by email, phone or name) instead of copying or skipping."""
import io
import re

from sqlalchemy import func, select

from extensions import db
from models import Customer, CustomField, ImportJob
from tests.conftest import text_of


def upload(client, content, name="customers.csv"):
    response = client.post("/customers/import", data={"file": (io.BytesIO(content.encode()), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 303, text_of(response)
    page = client.get(response.location).get_data(as_text=True)
    form = {}
    for select_name, options in re.findall(r'<select id="(column-\d+)" name="column-\d+">(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        form[select_name] = chosen.group(1) if chosen else ""
    return response.location, form


def check(client, location, form, **answers):
    response = client.post(location, data={**form, "action": "check", **answers})
    assert response.status_code == 303, text_of(response)
    progress = response.location
    for _ in range(20):
        page = text_of(client.get(progress))
        if "Import the good rows" in page:
            return progress, page
        client.post(progress.replace("/progress", "/step"))
    raise AssertionError("the check never finished")


def finish(client, progress):
    step = progress.replace("/progress", "/step")
    client.post(step, data={"action": "import"})
    for _ in range(20):
        page = text_of(client.get(progress))
        if "finished" in page:
            return page
        client.post(step)
    raise AssertionError("the import never finished")


def count(app, model=Customer):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


FILE = ("customer id,name,phone,email,city,sector\n"
        "A1,Ferretería Sol,600 111 222,sol@example.com,Sevilla,retail\n"
        "A2,Bicis Norte,600 333 444,norte@example.com,Bilbao,retail\n"
        "A3,Talleres Este,600 555 666,not-an-email,Valencia,services\n")


def test_the_check_says_what_will_happen_line_by_line_before_anything_is_written(as_owner, app, make_customer):
    make_customer("Bicis del Norte", phone="+34 600 33 34 44")       # the same number, written another way
    location, form = upload(as_owner, FILE)
    progress, page = check(as_owner, location, form)
    assert "Checked: nothing is saved yet" in page
    assert "create 1 customer" in page and "update 1 customer already on file" in page
    assert "1 row has a problem and will be left out" in page
    assert "4 email “not-an-email” is not an email address." in page        # line 4, the field, the problem
    assert count(app) == 1 and count(app, CustomField) == 0                  # nothing written yet
    done = finish(as_owner, progress)
    assert "1 new customer" in done and "1 customer updated" in done and "0 customers unchanged" in done
    assert "1 row left out because of a problem" in done
    with app.app_context():
        north = db.session.scalar(select(Customer).where(Customer.phone_digits.contains("34600333444")))
        # Updated with the file's values: its name, city, email and ID; the custom field created for it.
        assert (north.name, north.city, north.email, north.external_id) == (
            "Bicis Norte", "Bilbao", "norte@example.com", "A2")
        assert north.custom == {"sector": "retail"}


def test_a_re_import_updates_by_the_file_s_id_and_counts_what_is_unchanged(as_owner, app):
    location, form = upload(as_owner, FILE)
    finish(as_owner, check(as_owner, location, form)[0])
    assert count(app) == 2
    again = FILE.replace("Sevilla", "Córdoba").replace("Bicis Norte", "Bicis Norte SL").replace(
        "not-an-email", "este@example.com")
    location, form = upload(as_owner, again)
    progress, page = check(as_owner, location, form)
    assert "create 1 customer" in page and "update 2 customers already on file" in page
    done = finish(as_owner, progress)
    assert "1 new customer" in done and "2 customers updated" in done and "0 customers unchanged" in done
    with app.app_context():
        by_id = {c.external_id: c for c in db.session.scalars(select(Customer))}
        assert (by_id["A1"].city, by_id["A2"].name, len(by_id)) == ("Córdoba", "Bicis Norte SL", 3)
    # The same file once more: nothing to change.
    location, form = upload(as_owner, again)
    done = finish(as_owner, check(as_owner, location, form)[0])
    assert "0 new customers" in done and "0 customers updated" in done and "3 customers unchanged" in done
    assert count(app) == 3


def test_skip_and_merge_leave_what_the_shop_knows(as_owner, app, make_customer):
    make_customer("Ferretería Sol", city="Écija")
    location, form = upload(as_owner, FILE)
    done = finish(as_owner, check(as_owner, location, form, duplicates="merge")[0])
    assert "1 customer updated" in done
    with app.app_context():
        sol = db.session.scalar(select(Customer).where(Customer.name == "Ferretería Sol"))
        assert sol.city == "Écija" and sol.email == "sol@example.com"     # blanks filled, the city kept
    location, form = upload(as_owner, FILE)
    done = finish(as_owner, check(as_owner, location, form, duplicates="skip")[0])
    assert "2 rows skipped: the customer already existed" in done


def test_the_cron_carries_a_customer_import_on(as_owner, app, runner):
    location, form = upload(as_owner, FILE)
    progress = as_owner.post(location, data={**form, "action": "check"}).location
    assert runner.invoke(args=["run-imports"]).exit_code == 0
    assert "create 2 customers" in text_of(as_owner.get(progress))
    as_owner.post(progress.replace("/progress", "/step"), data={"action": "import"})
    assert runner.invoke(args=["run-imports"]).exit_code == 0
    assert "2 new customers" in text_of(as_owner.get(progress)) and count(app) == 2
    with app.app_context():
        assert db.session.scalar(select(ImportJob.status)) == "done"


def test_back_to_the_columns_after_the_check(as_owner, app):
    location, form = upload(as_owner, FILE)
    progress, _page = check(as_owner, location, form)
    back = as_owner.post(progress.replace("/progress", "/step"), data={"action": "back"})
    assert back.status_code == 303 and back.location.endswith(location.split("localhost")[-1])
    assert "which column is which" in text_of(as_owner.get(location))
    assert count(app) == 0
