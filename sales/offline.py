"""The app on the tablet's home screen: the web app manifest, the service worker and the page it shows offline.

The service worker keeps the static files (under their hashed names) and the offline page, nothing else:
pages hold customers' data and tablets are shared, so they always come from the server.
"""
import hashlib
import json

from flask import Blueprint, make_response, render_template, url_for

from models import ShopSetting
from sales.assets import precache_urls
from sales.policy import public

bp = Blueprint("offline", __name__)


@bp.route("/manifest.webmanifest")
@public
def manifest():
    from flask import current_app

    name = ShopSetting.get("shop_name", current_app.config["SHOP_NAME"])
    icon = lambda filename, size, purpose="any": {  # noqa: E731
        "src": url_for("static", filename=f"icons/{filename}"), "sizes": size, "type": "image/png",
        "purpose": purpose}
    body = {
        "name": name,
        "short_name": name if len(name) <= 12 else "Mostrador",
        "description": "Mostrador",
        "start_url": url_for("pages.home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#f3f5f6",
        "theme_color": "#0f5f5c",
        "icons": [icon("icon-192.png", "192x192"), icon("icon-512.png", "512x512"),
                  icon("icon-maskable-512.png", "512x512", "maskable")],
    }
    response = make_response(json.dumps(body, ensure_ascii=False))
    response.mimetype = "application/manifest+json"
    response.cache_control.no_cache = True
    return response


@bp.route("/sw.js")
@public
def service_worker():
    urls = precache_urls()
    offline_url = url_for("offline.page")
    # A new static file (a new hash) or a new offline page makes a new worker, which replaces the old cache.
    version = hashlib.sha256("\n".join(urls + [render_template("offline/page.html")]).encode()).hexdigest()[:12]
    response = make_response(render_template("offline/sw.js", urls=urls, offline_url=offline_url, version=version))
    response.mimetype = "text/javascript"
    response.cache_control.no_cache = True
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/offline")
@public
def page():
    return render_template("offline/page.html")


@bp.app_template_global()
def idempotency_key():
    from sales import idempotency

    return idempotency.sent_key() or idempotency.new_key()
