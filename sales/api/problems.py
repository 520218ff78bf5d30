"""Errors as RFC 9457 problem details (application/problem+json), the same shape for every failure."""
from flask import current_app, json, request
from werkzeug.exceptions import HTTPException

from extensions import db
from sales.api import bp

PROBLEM_TYPE = "https://mostrador.example/problems/"
TITLES = {400: "Bad request", 401: "Not signed in", 403: "Not allowed", 404: "Not found",
          405: "Method not allowed", 406: "Not acceptable", 409: "Conflict", 412: "Precondition failed",
          413: "Too large", 415: "Unsupported media type", 422: "Unprocessable content",
          428: "Precondition required", 429: "Too many requests", 500: "Server error"}


class Problem(Exception):
    def __init__(self, status, detail=None, *, kind=None, title=None, errors=None, headers=None):
        super().__init__(detail or TITLES.get(status, ""))
        self.status, self.detail, self.errors, self.headers = status, detail, errors, headers or {}
        self.kind = kind or TITLES.get(status, "error").lower().replace(" ", "-")
        self.title = title or TITLES.get(status, "Error")


def invalid(pointer, detail):
    """A 422 on one field (a JSON pointer into the request): a rule of the web form that JSON Schema cannot say."""
    return Problem(422, "Some fields need a look.", kind="validation", errors=[{"pointer": pointer, "detail": detail}])


def problem_response(problem):
    body = {"type": PROBLEM_TYPE + problem.kind, "title": problem.title, "status": problem.status,
            "instance": request.path}
    if problem.detail:
        body["detail"] = problem.detail
    if problem.errors is not None:
        body["errors"] = problem.errors
    response = current_app.response_class(json.dumps(body), status=problem.status,
                                          mimetype="application/problem+json")
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


def from_http_error(error: HTTPException):
    headers = {}
    if error.code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    return problem_response(Problem(error.code or 500, error.description if error.code != 404 else
                                    "There is no such record, or it is not yours to see.", headers=headers))


def validation_errors(error):
    """Pydantic's errors as the problem's `errors`: where (a JSON pointer into the request) and what."""
    found = []
    for item in error.errors():
        location = [str(part) for part in item.get("loc", ())]
        found.append({"pointer": "/" + "/".join(location), "detail": item.get("msg", "invalid")})
    return found


@bp.errorhandler(Problem)
def _problem(problem):
    db.session.rollback()
    return problem_response(problem)


@bp.errorhandler(HTTPException)
def _http_error(error):
    db.session.rollback()
    return from_http_error(error)


@bp.errorhandler(Exception)
def _unexpected(error):
    if isinstance(error, HTTPException):
        return from_http_error(error)
    db.session.rollback()
    current_app.logger.exception("API error on %s %s", request.method, request.path)
    return problem_response(Problem(500, "Something went wrong on our side; nothing was changed."))
