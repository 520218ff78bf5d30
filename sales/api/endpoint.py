"""One decorator per API operation. It routes, checks the role, validates the query string and the JSON body
with the operation's Pydantic models, commits what the view changed (with its Idempotency-Key answer, in the
same transaction), and records the operation for the OpenAPI document: what validates is what is documented."""
import hashlib
import json
from dataclasses import dataclass, field
from functools import wraps
from typing import Optional
from urllib.parse import parse_qsl

from flask import current_app, request
from flask_login import current_user
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from extensions import db
from models import ApiIdempotencyKey
from sales.api import bp
from sales.api.problems import Problem, invalid, validation_errors
from sales.policy import can


@dataclass
class Operation:
    rule: str
    method: str
    operation_id: str
    summary: str
    tag: str
    query: Optional[type[BaseModel]] = None
    body: Optional[type[BaseModel]] = None
    response: Optional[type[BaseModel]] = None
    status: int = 200
    etag: bool = False            # GET answers ETag (and 304); PATCH takes If-Match
    idempotent: bool = False      # POST takes Idempotency-Key
    description: str = ""
    errors: tuple = field(default_factory=tuple)


OPERATIONS: list[Operation] = []
MAX_ID = 2_147_483_647       # ids are 32-bit integers in the database


def json_response(payload, status=200, headers=None):
    response = current_app.response_class(json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
                                          status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def dump(model: BaseModel):
    return model.model_dump(mode="json")


def columns(record):
    """A record's own columns by name: what most of its schema is read from."""
    return {column.key: getattr(record, column.key) for column in type(record).__table__.columns}


def etag_of(record):
    return f'"{record.version}"'


def check_if_match(record):
    """If-Match with an ETag from an earlier GET: the write only goes ahead on that same version (else 412)."""
    wanted = request.headers.get("If-Match")
    if wanted is None or wanted.strip() == "*":
        return
    tags = {tag.strip().removeprefix("W/") for tag in wanted.split(",")}
    if etag_of(record) not in tags:
        raise Problem(412, f"The record changed since you read it (it is now at version {record.version}). "
                           "Read it again, then send your change with its new ETag.", kind="stale-write")


def not_modified_response(record):
    return current_app.response_class(status=304, headers={"ETag": etag_of(record)})


def not_modified(record):
    tags = request.headers.get("If-None-Match")
    return bool(tags) and etag_of(record) in {t.strip().removeprefix("W/") for t in tags.split(",")}


def read_response(record, payload):
    """A read operation's answer: 304 when the client's If-None-Match is still the record's version, else the
    payload with its ETag."""
    if not_modified(record):
        return not_modified_response(record)
    return json_response(payload, headers={"ETag": etag_of(record)})


def named_record(model, record_id, pointer, what):
    """The record a request body names by id, when the user may see it (sales/records.py); else a 422 on that
    field — the URL is right, the value is not — that says the same for a missing and a hidden record."""
    from sales import records

    record = db.session.get(model, record_id) if record_id is not None else None
    if record is None or not records.may_view(current_user, record):
        raise invalid(pointer, f"There is no {what} with this id, or it is not yours to see.")
    return record


def _parse(model, data, where, strict=False):
    try:
        return model.model_validate_json(data, strict=True) if strict else model.model_validate(data)
    except ValidationError as error:
        errors = validation_errors(error)
        for item in errors:
            item["pointer"] = f"/{where}" + (item["pointer"] if item["pointer"] != "/" else "")
        raise Problem(422, "Some fields need a look.", kind="validation", errors=errors) from None


def _body(model):
    mimetype = request.mimetype or ""
    if not (mimetype == "application/json" or mimetype.endswith("+json")):
        raise Problem(415, "Send JSON (Content-Type: application/json).")
    raw = request.get_data()
    try:
        json.loads(raw)
    except ValueError:
        raise Problem(400, "The body is not valid JSON.", kind="bad-json") from None
    # Strict: a number is not a date, "3" is not an id; JSON's own strings still read as dates and amounts.
    return _parse(model, raw, "body", strict=True)


def _sent_args():
    """The query string as sent. The shop's request drops NUL characters from `request.args` (sales/requests.py);
    the API refuses them (422), in the query as in a body, as its document says."""
    return MultiDict(parse_qsl(request.query_string.decode("utf-8", "replace"), keep_blank_values=True,
                               errors="replace"))


def _query(model):
    args = _sent_args()
    repeated = [key for key in args if len(args.getlist(key)) > 1]
    if repeated:
        raise Problem(422, "Some fields need a look.", kind="validation", errors=[
            {"pointer": f"/query/{key}", "detail": "Give this parameter once."} for key in repeated])
    return _parse(model, args.to_dict(), "query")


def _idempotent_replay(key, digest):
    stored = db.session.scalar(select(ApiIdempotencyKey).where(ApiIdempotencyKey.token_id == _token_id(),
                                                               ApiIdempotencyKey.key == key))
    if stored is None:
        return None
    if stored.request_hash != digest:
        raise Problem(422, "This Idempotency-Key was used for a different request.", kind="idempotency-key-reused")
    headers = {"Idempotent-Replayed": "true"}
    if stored.location:
        headers["Location"] = stored.location
    return json_response(json.loads(stored.response_body), stored.status_code, headers)


def _token_id():
    from flask import g

    return g.api_token_id


def endpoint(rule, method, *, operation_id, summary, tag, action, query=None, body=None, response=None, status=200,
             etag=False, idempotent=False, description="", errors=()):
    """Register `view(**path_args, query=..., body=...)`; it returns a Flask response (json_response)."""

    def decorator(view):
        @wraps(view)
        def wrapped(**path_args):
            if not can(current_user, action):
                raise Problem(403, "Your role does not allow this.", kind="forbidden")
            if any(isinstance(value, int) and value > MAX_ID for value in path_args.values()):
                raise Problem(404, "There is no such record, or it is not yours to see.")
            kwargs = dict(path_args)
            if query is not None:
                kwargs["query"] = _query(query)
            digest = key = None
            if idempotent:
                key = request.headers.get("Idempotency-Key")
                if key is not None:
                    if not 1 <= len(key) <= 200:
                        raise Problem(400, "An Idempotency-Key is 1 to 200 characters.", kind="bad-idempotency-key")
                    digest = hashlib.sha256(request.method.encode() + request.path.encode() + b"\n"
                                            + request.get_data()).hexdigest()
                    replay = _idempotent_replay(key, digest)
                    if replay is not None:
                        return replay
            if body is not None:
                kwargs["body"] = _body(body)
            result = view(**kwargs)
            if method in ("POST", "PATCH", "PUT", "DELETE"):
                if key is not None:
                    db.session.add(ApiIdempotencyKey(token_id=_token_id(), key=key, request_hash=digest,
                                                     status_code=result.status_code,
                                                     response_body=result.get_data(as_text=True),
                                                     location=result.headers.get("Location")))
                try:
                    db.session.commit()
                except StaleDataError:
                    db.session.rollback()
                    raise Problem(412, "Someone changed the record at the same moment. Read it again.",
                                  kind="stale-write") from None
                except IntegrityError:
                    db.session.rollback()
                    replay = _idempotent_replay(key, digest) if key is not None else None
                    if replay is not None:
                        return replay    # the same request, retried while the first was still running
                    raise Problem(409, "This conflicts with a record saved meanwhile.", kind="conflict") from None
            return result

        wrapped.is_token_authenticated = True
        bp.add_url_rule(rule, operation_id, wrapped, methods=[method])
        OPERATIONS.append(Operation(rule=rule, method=method, operation_id=operation_id, summary=summary, tag=tag,
                                    query=query, body=body, response=response, status=status, etag=etag,
                                    idempotent=idempotent, description=description, errors=errors))
        return wrapped

    return decorator
