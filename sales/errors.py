"""403/404/500 pages: HTML for people, JSON for clients that ask for it."""
from flask import current_app, flash, jsonify, redirect, render_template, request
from flask_login import current_user
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


def csrf_refused(values):
    """400 for a form without a valid token, with `values` (what was typed) in a form to send again."""
    context = {"values": values, "action": request.full_path if request.query_string else request.path,
               "had_files": bool(request.files), "fragment": wants_fragment()}
    if context["fragment"]:
        # Into the page's main area, not into whatever small part the form was going to replace.
        return render_template("errors/_csrf.html", **context), 400, {
            "HX-Retarget": "#content", "HX-Reswap": "innerHTML", "Vary": "HX-Request"}
    return render_template("errors/csrf.html", **context), 400, {"Vary": "HX-Request"}


def _size(limit):
    """16777216 → "16 MB", 1024 → "1 KB", in the reader's notation."""
    from flask_babel import format_decimal

    mb = limit / (1024 * 1024)
    return f"{format_decimal(round(mb, 1))} MB" if mb >= 1 else f"{format_decimal(round(limit / 1024, 1))} KB"


def too_large_page():
    """413 for a request over MAX_CONTENT_LENGTH. Its form cannot be read (that is what the limit is for), so the
    page says nothing was saved and sends the person back to the form, where what they typed still is (the
    browser's back, or the tablet's kept draft), to choose a smaller file."""
    from sales.conflicts import same_site_referrer

    context = {"limit": _size(current_app.config["MAX_CONTENT_LENGTH"]), "back": same_site_referrer(),
               "fragment": wants_fragment()}
    if context["fragment"]:
        return render_template("errors/_too_large.html", **context), 413, {
            "HX-Retarget": "#content", "HX-Reswap": "innerHTML", "Vary": "HX-Request"}
    return render_template("errors/too_large.html", **context), 413, {"Vary": "HX-Request"}


def register(app):
    from sales import conflicts

    conflicts.register(app)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        from sales import drafts

        if request.method == "POST" and current_user.is_authenticated:
            # Signed in, but the form's token is missing or old: nothing is saved (400), and what was typed is
            # on the page, ready to send again with a fresh token.
            return csrf_refused(drafts.typed_values())
        if request.method == "POST":
            # The session is gone: what was typed is kept and offered back after signing in.
            answer = drafts.answer_expired_form()
            if answer is not None:
                return answer
        return csrf_refused([])

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error):
        """Over MAX_CONTENT_LENGTH: back on the page the file was for when its route says where
        (sales/storage.py `back_when_too_large`), else the 413 page."""
        if request.path.startswith("/api/"):
            from sales.api.problems import from_http_error

            return from_http_error(error)
        from sales.storage import TOO_LARGE_PAGES

        page = TOO_LARGE_PAGES.get(request.endpoint)
        if page is not None and request.method == "POST":
            url, message = page(request.view_args or {})
            flash(message, "error")
            return redirect(url, 303)
        return too_large_page()

    @app.errorhandler(HTTPException)
    def http_error(error):
        if request.path.startswith("/api/"):
            # Also for what never reached the API blueprint (an unknown path, a method it has no route for).
            from sales.api.problems import from_http_error

            return from_http_error(error)
        if error.code in (403, 404, 405, 410):
            return _render(error.code, error)
        return error

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return _render(500, error)
