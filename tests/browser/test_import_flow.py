"""Bringing a shop's history in on a tablet, by the labels a person reads: upload the deals file, match the
columns, match the values (GTXPro is the catalog's GTX Pro), watch the check, import, and see the year's wins."""
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_customers_flow import nav, sign_in

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "crm-sales-opportunities"
# Screenshots of the steps, to look at (docs/screenshots keeps the ones published in the README).
SHOTS = Path(os.environ.get("IMPORT_SCREENSHOTS", "")) if os.environ.get("IMPORT_SCREENSHOTS") else None


def shot(page, name, tmp_path):
    page.screenshot(path=str((SHOTS or tmp_path) / f"{name}.png"), full_page=True)


def test_mapping_values_check_and_import_on_a_tablet(page, live_server, app, owner, tmp_path):
    with app.app_context():
        from extensions import db
        from sales.import_files import read_table
        from sales.quotes.catalog import import_products

        header, rows, _delimiter = read_table((SAMPLE / "products.csv").read_text(encoding="utf-8"))
        import_products(header, rows)
        db.session.commit()
    # The first 600 deals of the public sample: every stage, product and date form is in them.
    lines = (SAMPLE / "sales_pipeline.csv").read_text(encoding="utf-8").splitlines()[:601]
    deals = tmp_path / "sales_pipeline.csv"
    deals.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with_account = sum(1 for line in lines[1:] if line.split(",")[3])

    sign_in(page, live_server, owner)
    nav(page, "Leads").tap()
    page.get_by_role("link", name="Import").tap()
    page.get_by_label("File (CSV, .xlsx or .ods, up to 8 MB)").set_input_files(str(deals))
    page.get_by_role("button", name="Upload and continue").tap()

    expect(page.get_by_role("heading", name="Import leads: which column is which?")).to_be_visible()
    expect(page.get_by_label("Product(s)")).to_have_value("2")          # the product column, guessed
    expect(page.get_by_label("Dates in the file are written")).to_have_value("mdy")
    shot(page, "import-columns-tablet", tmp_path)
    page.get_by_role("button", name="Next: match the values").tap()

    expect(page.get_by_role("heading", name="Import leads: how do the file's values match yours?")).to_be_visible()
    # The same spelling is matched already; the sellers, unknown here, get accounts of their own.
    expect(page.get_by_label("GTX Basic", exact=True).locator("option:checked")).to_have_text("GTX Basic")
    expect(page.get_by_label("Won", exact=True).locator("option:checked")).to_have_text("Won")
    expect(page.get_by_text("new seller accounts will be created")).to_be_visible()
    page.get_by_role("button", name="Check the rows").tap()
    expect(page.get_by_text("Choose what these values are: GTXPro.")).to_be_visible()   # asked, not guessed
    page.get_by_label("GTXPro").select_option(label="GTX Pro")
    shot(page, "import-values-tablet", tmp_path)
    page.get_by_role("button", name="Check the rows").tap()

    expect(page.get_by_role("button", name="Import the good rows")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(f"{with_account} rows are ready to import.")).to_be_visible()
    shot(page, "import-checked-tablet", tmp_path)
    page.get_by_role("button", name="Import the good rows").tap()
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(f"{with_account} leads imported")).to_be_visible()
    shot(page, "import-finished-tablet", tmp_path)

    # The wins land in 2017, where they happened.
    page.goto(f"{live_server}/manage/products?period=2017")
    expect(page.get_by_role("heading", name="Wins per product · 2017")).to_be_visible()
    expect(page.locator("table").first).to_contain_text("GTX Pro")
    shot(page, "wins-per-product-tablet", tmp_path)
