"""/api/v1/products: the catalog, read-only (the owner keeps it on the web)."""
from sqlalchemy import or_, select

from extensions import db
from models import Product
from sales.api import schemas
from sales.api.endpoint import dump, endpoint, etag_of, json_response, not_modified, not_modified_response
from sales.api.pages import keyset_page, page_headers
from sales.search import contains


def product_out(product):
    return dump(schemas.Product.model_validate(product))


@endpoint("/v1/products", "GET", operation_id="list_products", summary="List products", tag="Catalog",
          action="quotes.view", query=schemas.ProductQuery, response=schemas.ProductPage)
def list_products(query):
    statement = select(Product).where(Product.active == query.active)
    if query.q:
        statement = statement.where(or_(contains(Product.name, query.q), contains(Product.code, query.q)))
    if query.category:
        statement = statement.where(Product.category == query.category)
    rows, next_url = keyset_page(statement, Product.id, query)
    return json_response({"items": [product_out(p) for p in rows], "next": next_url}, headers=page_headers(next_url))


@endpoint("/v1/products/<int:product_id>", "GET", operation_id="get_product", summary="Read a product",
          tag="Catalog", action="quotes.view", response=schemas.Product, etag=True)
def get_product(product_id):
    product = db.session.get(Product, product_id)
    if product is None:
        from sales.api.problems import Problem

        raise Problem(404, "There is no such product.")
    if not_modified(product):
        return not_modified_response(product)
    return json_response(product_out(product), headers={"ETag": etag_of(product)})
