"""The OpenAPI 3.1 document, assembled from the operations the endpoint decorator recorded and the very Pydantic
models that validate them; and /api/docs, a readable page with Swagger UI served from this server (vendored)."""
import re

from flask import render_template, url_for
from pydantic.json_schema import models_json_schema

from sales.api import bp, schemas
from sales.api.endpoint import OPERATIONS, json_response
from sales.policy import public

VERSION = "1.0.0"
SWAGGER_UI = "vendor/swagger-ui-5.35.0"
REF = "#/components/schemas/{model}"


def _problem(description):
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}}}


def _parameters(operation, defs):
    params = [{"name": name, "in": "path", "required": True,
               "schema": {"type": "integer", "minimum": 1, "maximum": 2_147_483_647}}
              for name in re.findall(r"<int:(\w+)>", operation.rule)]
    if operation.query is not None:
        schema = operation.query.model_json_schema(ref_template=REF)
        required = set(schema.get("required", ()))
        for name, prop in schema["properties"].items():
            prop = dict(prop)
            description = prop.pop("description", None)
            prop.pop("title", None)
            param = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if description:
                param["description"] = description
            params.append(param)
    headers = []
    if operation.etag and operation.method == "GET":
        headers.append({"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
                        "description": "An ETag read before: 304 when the record has not changed."})
    if operation.etag and operation.method != "GET" or operation.operation_id == "move_lead":
        headers.append({"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
                        "description": "The ETag you read: the change is refused with 412 if the record moved on."})
    if operation.idempotent:
        headers.append({"name": "Idempotency-Key", "in": "header", "required": False,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                        "description": "Any unique string: a retry with the same key and body answers the first "
                                       "response again instead of creating a second record."})
    return params + headers


def _responses(operation):
    headers = {}
    if operation.etag:
        headers["ETag"] = {"schema": {"type": "string"}, "description": "The record's version."}
    responses = {str(operation.status): {
        "description": "OK" if operation.status == 200 else "Created",
        "headers": headers,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=operation.response.__name__)}}}}}
    if operation.operation_id == "move_lead":
        responses["200"] = {"description": "Already in that stage: its last move.",
                            "content": {"application/json": {"schema": {"$ref": REF.format(model="StageMove")}}}}
    if operation.etag and operation.method == "GET":
        responses["304"] = {"description": "Not modified since the ETag sent in If-None-Match."}
    responses["401"] = _problem("No token, or one that is unknown, revoked or expired.")
    responses["403"] = _problem("The token's user may not do this.")
    responses["429"] = {**_problem("Too many requests for this token this minute."),
                        "headers": {"Retry-After": {"schema": {"type": "integer"}}}}
    if "{" in _path(operation.rule):
        responses["404"] = _problem("No such record, or not one this user may see.")
    if operation.query is not None or operation.body is not None:
        responses["400"] = _problem("A cursor or body that cannot be read.")
        responses["422"] = _problem("Fields that need a look: see `errors`.")
    if operation.body is not None:
        responses["415"] = _problem("The body is not JSON.")
        if operation.method == "POST":
            responses["409"] = _problem("A conflicting record was saved meanwhile.")
    if operation.etag and operation.method != "GET" or operation.operation_id == "move_lead":
        responses["412"] = _problem("The record changed since the ETag sent in If-Match.")
    for status, description in operation.errors:
        # The operation's own refusals (a quote already sent, its validity passed).
        responses[str(status)] = _problem(description)
    return responses


def _path(rule):
    return "/api" + re.sub(r"<int:(\w+)>", r"{\1}", rule)


def document():
    models = {schemas.Problem}
    for operation in OPERATIONS:
        models.update(m for m in (operation.body, operation.response) if m is not None)
    _, defs = models_json_schema([(model, "validation" if model in {op.body for op in OPERATIONS} else
                                   "serialization") for model in sorted(models, key=lambda m: m.__name__)],
                                 ref_template=REF)
    paths = {}
    for operation in OPERATIONS:
        item = {"operationId": operation.operation_id, "summary": operation.summary, "tags": [operation.tag],
                "parameters": _parameters(operation, defs), "responses": _responses(operation)}
        if operation.description:
            item["description"] = operation.description
        if operation.body is not None:
            item["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": REF.format(model=operation.body.__name__)}}}}
        paths.setdefault(_path(operation.rule), {})[operation.method.lower()] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "Mostrador API", "version": VERSION,
                 "description": "Personal API tokens are made on your profile page; send one as "
                                "`Authorization: Bearer mst_…`. A token acts as its user: their role and the "
                                "records they may see on the web. Lists are read page by page along the "
                                "`next` link. Errors are RFC 9457 problem details."},
        "servers": [{"url": url_for("pages.home", _external=True).rstrip("/")}],
        "security": [{"token": []}],
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer",
                                                     "description": "A personal API token (mst_…)."}},
                       "schemas": defs["$defs"]},
        "paths": paths,
    }


@bp.route("/openapi.json")
@public
def openapi_document():
    return json_response(document())


@bp.route("/docs")
@public
def docs():
    return render_template("api/docs.html", spec_url=url_for("api.openapi_document"), swagger=SWAGGER_UI)
