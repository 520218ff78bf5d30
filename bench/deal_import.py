"""The deal import on the public sample (8 800 opportunities, tests/data/crm-sales-opportunities): upload, the
column and value mapping, the check and the import, each through the Flask test client as the browser does it,
chunk by chunk. Prints the seconds of each phase; the target is under 10 s for check and import together.

Run with `python bench/deal_import.py` (BENCH_REPEAT=3 for the spread; BENCH_PROFILE=1 prints where the import's
time goes). Uses a throwaway SQLite database; DATABASE_URL=postgresql://… measures PostgreSQL instead (it must
be an empty database).
"""
import cProfile
import io
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text  # noqa: E402

from app import create_app, upgrade_schema  # noqa: E402
from extensions import db  # noqa: E402
from models import Lead, Product, User  # noqa: E402

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "crm-sales-opportunities"
REPEAT = int(os.environ.get("BENCH_REPEAT", 1))
PASSWORD = "bench password long enough"


def fresh_app():
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    upgrade_schema(app)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        owner = User(name="Bench Owner", email="owner@bench.example", role="owner")
        owner.set_password(PASSWORD)
        db.session.add(owner)
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "owner@bench.example", "password": PASSWORD})
    return app, client


def post_file(client, url, path):
    return client.post(url, data={"file": (io.BytesIO(path.read_bytes()), path.name)},
                       content_type="multipart/form-data")


def guessed_mapping(html):
    """The column choices the mapping page pre-selected: what a person accepting the guesses would send."""
    mapping = {}
    for name, options in re.findall(r'<select id="(map-[a-z_]+)" name="map-[a-z_]+">(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="(\d+)" selected', options)
        if chosen:
            mapping[name] = chosen.group(1)
    return mapping


def run_steps(client, job_id, until):
    requests = 0
    while until not in client.get(f"/leads/import/{job_id}/progress").get_data(as_text=True):
        client.post(f"/leads/import/{job_id}/step")
        requests += 1
    return requests


def one_run(profile=False):
    app, client = fresh_app()
    post_file(client, "/catalog/import", SAMPLE / "products.csv")
    timings = {}
    started = time.perf_counter()
    response = post_file(client, "/leads/import", SAMPLE / "sales_pipeline.csv")
    job_id = int(re.search(r"/import/(\d+)", response.location).group(1))
    html = client.get(response.location).get_data(as_text=True)
    timings["upload and mapping page"] = time.perf_counter() - started
    mapping = guessed_mapping(html)
    started = time.perf_counter()
    client.post(f"/leads/import/{job_id}", data={**mapping, "date_format": "mdy", "action": "values"})
    values = client.get(f"/leads/import/{job_id}/values").get_data(as_text=True)
    with app.app_context():
        gtx_pro = db.session.scalar(select(Product.id).where(Product.name == "GTX Pro"))
    number = re.search(r'<label for="value-product-(\d+)">GTXPro</label>', values).group(1)
    response = client.post(f"/leads/import/{job_id}/values",
                           data={f"value-product-{number}": str(gtx_pro), "action": "start"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    timings["value mapping"] = time.perf_counter() - started
    started = time.perf_counter()
    checks = run_steps(client, job_id, "Import the good rows")
    timings[f"check ({checks} chunks)"] = time.perf_counter() - started
    started = time.perf_counter()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    client.post(f"/leads/import/{job_id}/step", data={"action": "import"})
    chunks = run_steps(client, job_id, "Import finished")
    if profiler:
        profiler.disable()
    timings[f"import ({chunks} chunks)"] = time.perf_counter() - started
    with app.app_context():
        imported = db.session.scalar(select(func.count()).select_from(Lead))
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    return timings, imported


def main():
    runs = [one_run(profile=os.environ.get("BENCH_PROFILE") == "1") for _ in range(REPEAT)]
    imported = runs[0][1]
    print(f"Deal import of {SAMPLE.name}/sales_pipeline.csv: {imported} deals imported, {REPEAT} run(s)")
    print(f"{'phase':32} {'median s':>9} {'min s':>7} {'max s':>7}")
    for phase in runs[0][0]:
        values = [run[0][phase] for run in runs]
        print(f"{phase:32} {statistics.median(values):9.2f} {min(values):7.2f} {max(values):7.2f}")
    totals = [sum(v for k, v in run[0].items() if k.startswith(("check", "import"))) for run in runs]
    print(f"{'check + import':32} {statistics.median(totals):9.2f} {min(totals):7.2f} {max(totals):7.2f}"
          f"   (target: under 10 s)")


if __name__ == "__main__":
    main()
