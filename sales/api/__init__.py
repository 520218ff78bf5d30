"""The JSON API under /api/v1/: the same records, rules and role checks as the web pages, for other software.

- `auth.py`     personal API tokens (made on the profile page), the rate limit per token.
- `problems.py` every error as RFC 9457 problem details.
- `endpoint.py` one decorator per operation: route, validation of the query and body with Pydantic models,
                ETag / If-Match, Idempotency-Key; it also records the operation for the OpenAPI document.
- `openapi.py`  the OpenAPI 3.1 document built from those same models, and the /api/docs page.
- `schemas.py`  the Pydantic models; `customers.py`, `leads.py`, `contacts.py` (and inquiries), `quotes.py`
                (and orders), `tickets.py`, `promises.py`, `catalog.py`: the resources; `custom.py`: the owner's
                own fields of customers and leads in JSON; `reports.py`: the report figures.

Pydantic (not apispec + marshmallow): its JSON Schema output is draft 2020-12, which is exactly what OpenAPI
3.1 uses, so the models that validate a request are pasted into the document unchanged; marshmallow's
plugin still writes OpenAPI 3.0-style schemas. One library does validation, serialisation and the schema.
"""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from sales.api import (auth, catalog, contacts, customers, leads, openapi, problems,  # noqa: E402,F401
                       promises, quotes, reports, tickets)
