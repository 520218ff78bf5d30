"""Export → import round trip: a shop with the public sample's history is exported in the columns the imports read
(catalog, users, deals), the files are imported into an empty shop, and every report figure comes out the same.
Runs on SQLite, and on PostgreSQL with TEST_DATABASE_URL."""
import csv
import io
import re

from sqlalchemy import func, select, text

from extensions import db
from models import Customer, Lead, PipelineStage, User
from sales.management import funnel, metrics
from sales.management.product_wins import wins_per_product
from tests.conftest import login, text_of
from tests.test_history_import import ALL_TIME, SAMPLE, YEAR_2017, import_pipeline, post_file, run_steps, selected


def figures(app):
    """Every report figure the history feeds, keyed by names (ids differ between the two shops)."""
    with app.app_context():
        names = {u.id: u.name for u in db.session.scalars(select(User))}
        stages = {s.id: s.name for s in db.session.scalars(select(PipelineStage))}
        result = {}
        for label, period in (("2017", YEAR_2017), ("all time", ALL_TIME)):
            performance = metrics.performance(period)
            result[label, "sellers"] = {names.get(k): (p.won, p.lost, p.revenue, p.new_leads, p.cycle_days)
                                        for k, p in performance.items()}
            products, categories = wins_per_product(period)
            result[label, "products"] = {r.name: (r.won, r.lost, r.value) for r in products}
            result[label, "categories"] = {r.name: (r.won, r.lost, r.value) for r in categories}
            result[label, "funnel"] = {f.stage.name: (f.reached, f.moved_on, f.lost, f.went_back, f.median_days)
                                       for f in funnel.funnel(period)}
        result["stages"] = {stages[k]: n for k, n in db.session.execute(
            select(Lead.stage_id, func.count()).group_by(Lead.stage_id))}
        result["customers"] = {c.name: (c.kind, c.custom) for c in db.session.scalars(select(Customer))}
        return result


def empty_the_shop(app):
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(text(f'DELETE FROM "{table.name}"'))


def test_export_then_import_into_an_empty_shop_reproduces_every_figure(as_owner, client, app, make_user):
    from tests.test_custom_fields import import_accounts

    assert "85 new customers" in import_accounts(as_owner)[0]
    assert "7 new products" in text_of(post_file(as_owner, "/catalog/import", SAMPLE / "products.csv"))
    assert "Import finished" in import_pipeline(as_owner, app)
    before = figures(app)
    assert before["2017", "sellers"] and before["2017", "products"]
    exported = {name: as_owner.get(url).data for name, url in
                (("catalog.csv", "/catalog/export.csv"), ("users.csv", "/users/export.csv"),
                 ("customers.csv", "/customers/export.csv"), ("leads.csv", "/leads/export.csv"))}

    empty_the_shop(app)
    login(client, make_user("owner", name="New Owner", email="new-owner@shop.example"))
    assert "7 new products" in text_of(post_file(client, "/catalog/import", exported["catalog.csv"], "catalog.csv"))
    assert "85 new customers" in import_accounts(client, exported["customers.csv"], "customers.csv")[0]
    users = text_of(post_file(client, "/users/import", exported["users.csv"], "users.csv"))
    staff = list(csv.DictReader(io.StringIO(exported["users.csv"].decode("utf-8-sig"))))
    assert f"{len(staff)} new users" in users      # the 30 sellers of the pipeline and the first shop's owner
    response = post_file(client, "/leads/import", exported["leads.csv"], "leads.csv")
    job_id = int(re.search(r"/import/(\d+)", response.location).group(1))
    html = client.get(response.location).get_data(as_text=True)
    form = {name: selected(html, name) for name in re.findall(r'<select id="(map-[a-z_]+)"', html)}
    header = next(csv.reader(io.StringIO(exported["leads.csv"].decode("utf-8-sig"))))
    assert {header[int(i)] for i in form.values() if i} == set(header)   # every exported column is read back
    assert selected(html, "date_format") == "ymd"
    client.post(f"/leads/import/{job_id}", data={**form, "date_format": "ymd", "action": "values"})
    started = client.post(f"/leads/import/{job_id}/values", data={"action": "start"})
    assert started.status_code == 303, text_of(started)                 # every value matched by itself
    run_steps(client, job_id, "Import the good rows")
    client.post(f"/leads/import/{job_id}/step", data={"action": "import"})
    done = text_of(run_steps(client, job_id, "Import finished"))
    assert "left out" not in done
    assert figures(app) == before
