"""Keyset (cursor) pagination: each page continues after the last id of the one before, so page 4 000 costs
what page 1 does, and rows added meanwhile never shift a page. The cursor is opaque to clients."""
import base64
import json

from flask import request, url_for

from extensions import db
from sales.api.problems import Problem


def encode_cursor(last_id):
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor):
    if not cursor:
        return 0
    try:
        after = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["after"]
        if isinstance(after, int) and 0 <= after < 2**31:
            return after
    except (ValueError, KeyError, TypeError):
        pass
    raise Problem(400, "This cursor is not one we gave out: start again without it.", kind="bad-cursor")


def same_filter(statement, model, *options):
    """A select() of `model` with `statement`'s WHERE (a list page's filters and record rules) and our own
    loading `options`: the API reuses the page's query without the names its table loads."""
    from sqlalchemy import select

    own = select(model).options(*options)
    return own.where(statement.whereclause) if statement.whereclause is not None else own


def keyset_page(statement, id_column, query):
    """(rows, next URL or None) for `statement` read in id order after the query's cursor."""
    after = decode_cursor(query.cursor)
    rows = db.session.scalars(statement.where(id_column > after).order_by(None).order_by(id_column)
                              .limit(query.limit + 1)).unique().all()
    if len(rows) <= query.limit:
        return rows, None
    rows = rows[:query.limit]
    args = {key: value for key, value in request.args.items() if key != "cursor"}
    next_url = url_for(request.endpoint, **request.view_args, **args, cursor=encode_cursor(rows[-1].id),
                       _external=True)
    return rows, next_url


def page_headers(next_url):
    return {"Link": f'<{next_url}>; rel="next"'} if next_url else {}


def page_response(statement, id_column, query, out):
    """A list operation's answer: the page of `statement` after the query's cursor, each row through `out`."""
    from sales.api.endpoint import json_response

    rows, next_url = keyset_page(statement, id_column, query)
    return json_response({"items": [out(row) for row in rows], "next": next_url}, headers=page_headers(next_url))
