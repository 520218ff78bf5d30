"""The product catalog: list and search, add and edit, CSV import and export."""
import re
from decimal import Decimal

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm.exc import StaleDataError

from extensions import db
from models import Product
from sales.backup.shop_export import export_kind
from sales.csv_export import csv_response
from sales import numbers
from sales.htmx import render_page
from sales.import_files import FileProblem as ImportError_
from sales.import_files import read_table, read_upload
from sales.pagination import page_number, paginate
from sales.policy import require
from sales.quotes import catalog_bp as bp
from sales.quotes.forms import CatalogImportForm, ProductForm
from sales.search import contains

HEADERS = {
    "code": ("code", "código", "codigo", "sku", "ref", "reference"),
    "name": ("name", "nombre", "product", "producto"),
    "category": ("category", "categoría", "categoria", "series", "familia"),
    "unit_price": ("unit_price", "price", "precio", "sales_price", "pvp"),
    "tax_rate": ("tax_rate", "tax", "iva", "vat"),
    "unit": ("unit", "unidad"),
    "warranty_months": ("warranty_months", "warranty", "garantía", "garantia"),
    "stock_on_hand": ("stock", "stock_on_hand", "existencias"),
    "description": ("description", "descripción", "descripcion"),
}


@bp.route("/")
@require("quotes.view")
def index():
    text = request.args.get("q", "").strip()
    statement = select(Product).order_by(Product.active.desc(), Product.name, Product.id)
    if text:
        statement = statement.where(or_(contains(Product.name, text), contains(Product.code, text),
                                        contains(Product.category, text)))
    page = paginate(statement, page_number(request.args.get("page")), current_app.config["PAGE_SIZE"])
    return render_page(None, "quotes/_catalog.html", title=_("Catalog"), page=page, q=text)


def _save(form, product):
    product.code = form.code.data.strip()
    product.name = form.name.data.strip()
    product.description = (form.description.data or "").strip() or None
    product.category = (form.category.data or "").strip() or None
    product.is_service = form.kind.data == "service"
    product.unit = form.unit.data.strip()
    product.unit_price = form.unit_price.data
    product.tax_rate = form.tax_rate.data if form.tax_rate.data is not None else Decimal("21")
    product.stock_on_hand = form.stock_on_hand.data
    product.warranty_months = form.warranty_months.data
    product.competitor_note = (form.competitor_note.data or "").strip() or None
    product.active = form.active.data == "1"


def _code_taken(code, product_id=None):
    query = select(Product.id).where(Product.code == code.strip())
    if product_id:
        query = query.where(Product.id != product_id)
    return db.session.scalar(query) is not None


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:product_id>", methods=["GET", "POST"])
@require("catalog.edit")
def edit(product_id=None):
    product = db.session.get(Product, product_id) if product_id else None
    if product_id and product is None:
        abort(404)
    form = ProductForm(obj=product)
    if request.method == "GET" and product:
        form.version.data = product.version
        form.kind.data = "service" if product.is_service else "product"
        form.active.data = "1" if product.active else "0"
    status = 200
    if form.validate_on_submit():
        if _code_taken(form.code.data, product_id):
            form.code.errors.append(_("Another product already has this code."))
        elif product and form.loaded_version() != product.version:
            form.version.errors.append(_("Someone else changed this product meanwhile; your values are kept. "
                                         "Save again to replace theirs."))
            form.version.data = product.version
            status = 409
        else:
            product = product or Product()
            _save(form, product)
            db.session.add(product)
            try:
                db.session.commit()
            except StaleDataError:
                db.session.rollback()
                abort(409)
            flash(_("%(name)s saved.", name=product.name), "success")
            return redirect(url_for("catalog.index"), 303)
    if form.errors and status == 200:
        status = 422
    from sales.documents.views import Section

    return render_page(None, "quotes/_product_form.html", title=product.name if product else _("New product"),
                       form=form, product=product, status=status,
                       docs=Section(product, heading=_("Documents for the customer"),
                                    empty=_("No datasheet, manual or care instructions yet.")) if product else None)


@bp.route("/export.csv")
@require("quotes.view")
def export():
    return csv_response("catalog.csv", *catalog_table())


@bp.route("/export.xlsx")
@require("quotes.view")
def export_xlsx():
    from sales.xlsx_export import xlsx_response

    return xlsx_response("catalog.xlsx", *catalog_table())


@export_kind("products", default=True)
def catalog_table():
    """The catalog as (header, rows), in the columns its import reads."""
    from sales.exports import product_rows

    return product_rows()


def _file_number(text, notation):
    """A number in a spreadsheet cell, in the file's notation (the export writes 2399.90; a Spanish sheet 2.399,90),
    read as the lead import reads its amounts."""
    return numbers.parse_file_number(text, notation) if text else None


def _file_notation(rows, columns):
    """How the file writes its prices and tax rates (sales/numbers.py): the file's own values decide; when they
    read both ways ("1.200"), the shop's notation."""
    values = [row[columns[target]] for target in ("unit_price", "tax_rate") if target in columns
              for row in rows[:2000] if columns[target] < len(row) and row[columns[target]].strip()]
    return numbers.number_reading(values, default=numbers.shop_file_notation())["notation"]


def _slug(text):
    return re.sub(r"[^A-Z0-9]+", "-", text.upper()).strip("-")[:40]


def import_products(header, rows):
    """Create or update products by code; returns (created, updated, problems [(line, field, message)])."""
    columns = {}
    for target, words in HEADERS.items():
        for index, name in enumerate(header):
            if name.strip().lower() in words and index not in columns.values():
                columns[target] = index
                break
    if "name" not in columns or "unit_price" not in columns:
        raise ImportError_(_("The file needs at least a name column and a price column."))
    existing = {p.code: p for p in db.session.scalars(select(Product))}
    notation = _file_notation(rows, columns)
    created = updated = 0
    problems = []
    for number, row in enumerate(rows, start=2):
        cell = lambda target: row[columns[target]].strip() if target in columns and columns[target] < len(row) else ""  # noqa: E731
        if not any(c.strip() for c in row):
            continue
        name = cell("name")
        if not name:
            problems.append((number, _("name"), _("No name.")))
            continue
        try:
            price = _file_number(cell("unit_price"), notation)
            if price is None or price < 0:
                raise ValueError
        except ValueError:
            problems.append((number, _("price"), _("“%(value)s” is not a price.", value=cell("unit_price"))))
            continue
        tax = Decimal("21")
        if cell("tax_rate"):
            try:
                tax = _file_number(cell("tax_rate"), notation)
            except ValueError:
                problems.append((number, _("tax"), _("“%(value)s” is not a tax rate.", value=cell("tax_rate"))))
                continue
        code = cell("code") or _slug(name)
        product = existing.get(code)
        if product is None:
            product = Product(code=code, tax_rate=tax)
            db.session.add(product)
            existing[code] = product
            created += 1
        else:
            updated += 1
        product.name, product.unit_price, product.tax_rate = name[:200], price, tax
        product.category = cell("category") or product.category
        product.unit = cell("unit") or product.unit or "unit"
        if cell("warranty_months").isdigit():
            product.warranty_months = int(cell("warranty_months"))
        if cell("stock_on_hand").isdigit():
            product.stock_on_hand = int(cell("stock_on_hand"))
        product.description = cell("description") or product.description
    return created, updated, problems


@bp.route("/import", methods=["GET", "POST"])
@require("catalog.edit")
def import_csv():
    form = CatalogImportForm()
    result = error = None
    if form.validate_on_submit():
        upload = request.files.get("file")
        try:
            if not upload or not upload.filename:
                raise ImportError_(_("Choose a CSV file to import."))
            text, _sheets = read_upload(upload.filename, upload.read())
            header, rows, _delimiter = read_table(text)
            result = import_products(header, rows)
            db.session.commit()
        except ImportError_ as problem:
            error = str(problem)
    return render_page(None, "quotes/_catalog_import.html", title=_("Import the catalog"), form=form,
                       result=result, error=error, status=422 if error else 200)
