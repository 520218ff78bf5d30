"""403/404/500 pages: HTML for people, JSON for clients that ask for it."""
from flask import current_app, flash, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from extensions import db
from sales.htmx import wants_fragment


def _wants_json():
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _render(status, error=None):
    if _wants_json():
        return jsonify({"error": status, "message": getattr(error, "description", "")}), status
    template = f"errors/{status}.html" if status in (403, 404, 410, 500) else "errors/generic.html"
    return render_template(template, status=status, error=error, fragment=wants_fragment()), status


def register(app):
    from sales import conflicts

    conflicts.register(app)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if request.method == "POST":
            # An expired session or token: what was typed is kept and offered back (after signing in).
            from sales.drafts import answer_expired_form

            answer = answer_expired_form()
            if answer is not None:
                return answer
        return render_template("errors/csrf.html", error=error), 400

    @app.errorhandler(HTTPException)
    def http_error(error):
        if request.path.startswith("/api/"):
            # Also for what never reached the API blueprint (an unknown path, a method it has no route for).
            from sales.api.problems import from_http_error

            return from_http_error(error)
        if error.code in (403, 404, 405, 410):
            return _render(error.code, error)
        return error

    @app.errorhandler(RequestEntityTooLarge)
    def upload_too_large(error):
        """Over MAX_CONTENT_LENGTH (a file too large): said in words, back on the page the file was for when
        the route says which (sales/storage.py), else on a page of its own."""
        from sales.storage import MB, TOO_LARGE_PAGES

        page = TOO_LARGE_PAGES.get(request.endpoint)
        if page is not None and request.method == "POST":
            url, message = page(request.view_args or {})
            flash(message, "error")
            return redirect(url, 303)
        if request.path.startswith("/api/"):
            return http_error(error)
        message = _("That file is too large. Files can be up to %(mb)d MB.",
                    mb=current_app.config["MAX_CONTENT_LENGTH"] // MB)
        return render_template("errors/too_large.html", message=message), 413

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return _render(500, error)
