"""Large imports advance without a browser tab: `flask run-imports` (cron) checks and imports the chunks nobody's
page asked for, and two runs at once — two servers, or a server and the page — never take the same chunk."""
import io
import re
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from extensions import db
from models import ImportJob, Lead, Order
from sales import import_jobs
from sales.leads import imports
from tests.conftest import text_of
from tests.test_history_import import selected

ROWS = 30


def deals_file(rows=ROWS):
    lines = ["deal id,customer,stage,closed on,won amount"]
    lines += [f"D{n},Customer {n % 7},Won,2017-03-{n % 28 + 1:02d},{100 + n}" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 4)


def started_import(client, app):
    """Upload and map the file and start the check, as the person does — then the page is closed."""
    response = client.post("/leads/import", data={"file": (io.BytesIO(deals_file()), "deals.csv")},
                           content_type="multipart/form-data")
    job_id = int(re.search(r"/import/(\d+)", response.location).group(1))
    html = client.get(response.location).get_data(as_text=True)
    form = {name: selected(html, name) for name in re.findall(r'<select id="(map-[a-z_]+)"', html)}
    client.post(f"/leads/import/{job_id}", data={**form, "action": "values"})
    assert client.post(f"/leads/import/{job_id}/values", data={"action": "start"}).status_code == 303
    return job_id


def status(app, job_id):
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        return job.status, job.checked_rows, job.imported_rows


def test_the_cron_finishes_an_import_whose_page_was_closed(as_owner, app, runner, small_chunks):
    job_id = started_import(as_owner, app)
    assert status(app, job_id) == ("checking", 0, 0)
    result = runner.invoke(args=["run-imports"])
    assert result.exit_code == 0, result.output
    assert status(app, job_id)[:2] == ("checked", ROWS)
    # The person comes back, sees the check and asks to import; then closes the page again.
    assert "Import the good rows" in text_of(as_owner.get(f"/leads/import/{job_id}/progress"))
    as_owner.post(f"/leads/import/{job_id}/step", data={"action": "import"})
    assert status(app, job_id) == ("importing", ROWS, 0)
    result = runner.invoke(args=["run-imports"])
    assert result.exit_code == 0 and "chunks done" in result.output
    assert status(app, job_id) == ("done", ROWS, ROWS)
    page = text_of(as_owner.get(f"/leads/import/{job_id}/progress"))
    assert f"{ROWS} leads imported" in page and f"{ROWS} orders made from won deals" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Lead)) == ROWS
        assert db.session.scalar(select(func.sum(Order.total))) == sum(Decimal(100 + n) for n in range(ROWS))
    # Nothing left to do: a later run says so and changes nothing.
    assert "0 chunks done" in runner.invoke(args=["run-imports"]).output


def test_the_page_shows_the_progress_the_server_made(as_owner, app, small_chunks):
    job_id = started_import(as_owner, app)
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        import_jobs.advance(job)
    page = text_of(as_owner.get(f"/leads/import/{job_id}/progress"))
    assert "4 of 30 rows checked" in page


def test_two_runs_at_once_take_each_chunk_once(as_owner, app, small_chunks):
    job_id = started_import(as_owner, app)
    errors, start = [], threading.Barrier(2)

    def cron_run():
        try:
            with app.app_context():
                start.wait()
                import_jobs.run_pending()
                db.session.remove()
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)

    def both():
        threads = [threading.Thread(target=cron_run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

    both()
    assert not errors and status(app, job_id)[:2] == ("checked", ROWS)
    as_owner.post(f"/leads/import/{job_id}/step", data={"action": "import"})
    both()
    assert not errors and status(app, job_id) == ("done", ROWS, ROWS)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Lead)) == ROWS
        assert db.session.scalar(select(func.count()).select_from(Order)) == ROWS
        job = db.session.get(ImportJob, job_id)
        assert '"created": 30' in job.result and job.problems == "[]"


def test_a_page_asking_for_a_chunk_the_cron_already_did_takes_nothing(as_owner, app, small_chunks):
    job_id = started_import(as_owner, app)
    as_owner.post(f"/leads/import/{job_id}/step")          # the page checks the first chunk…
    with app.app_context():
        stale = db.session.get(ImportJob, job_id)
        set_committed_value(stale, "checked_rows", 0)       # …a second tab still thinks the first is next
        assert import_jobs.advance(stale) is False
        assert db.session.get(ImportJob, job_id).checked_rows == 4
