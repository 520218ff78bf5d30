"""Response headers that keep the browser on our side."""
from flask import current_app, request
from flask_login import current_user

# Everything the pages need comes from this server: no inline scripts, no third parties. The inline styles are
# the stylesheet's first-paint parts (sales/assets.py), allowed by their hashes alone.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'{styles}; img-src 'self' data:; "
    "form-action 'self'; base-uri 'self'; frame-ancestors 'none'; object-src 'none'"
)


def content_security_policy():
    critical = current_app.extensions.get("critical_css")
    return CONTENT_SECURITY_POLICY.format(
        styles=f" {critical.source} {critical.document_source}" if critical else "")


def add_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if current_user.is_authenticated and request.endpoint != "static":
        # A shared tablet must not show a customer's page from cache after signing out.
        response.headers["Cache-Control"] = "no-store"
    return response
