"""Static files under content-hashed names, cached by the browser for a year without asking again.

`url_for('static', filename='css/mostrador.css')` gives `/static/css/mostrador.1a2b3c4d5e.css`: the hash is the
file's content, so a new version has a new name and the old one may be kept forever (`immutable`). The plain name
still works (the service worker, an old bookmark) but is revalidated every time. Hashes are computed once, when
the app starts; in debug mode they are recomputed when a file changes.
"""
import base64
import hashlib
import os
import re

from flask import abort, current_app, request, send_from_directory
from flask.sessions import SecureCookieSessionInterface

YEAR = 365 * 24 * 3600
_HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{10})(?P<suffix>\.[^./]+)$")
# A file without an extension (a vendored LICENSE) carries its hash at the end: LICENSE.cfc7749b96.
_HASHED_BARE = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{10})$")


class Manifest:
    """filename → hashed filename, for every file under the static folder."""

    def __init__(self, folder):
        self.folder = folder
        self.hashed = {}
        self.stamp = None
        self.refresh()

    def _files(self):
        for root, _dirs, names in os.walk(self.folder):
            for name in names:
                path = os.path.join(root, name)
                yield os.path.relpath(path, self.folder).replace(os.sep, "/"), path

    def refresh(self):
        files = list(self._files())
        stamp = tuple(sorted((name, os.stat(path).st_mtime_ns) for name, path in files))
        if stamp == self.stamp:
            return
        hashed = {}
        for name, path in files:
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()[:10]
            stem, dot, suffix = name.rpartition(".")
            hashed[name] = f"{stem}.{digest}.{suffix}" if dot and "/" not in suffix else f"{name}.{digest}"
        self.hashed, self.stamp = hashed, stamp

    def original(self, filename):
        """(the file a name stands for, whether the name carries its current hash); (None, False) if unknown.

        A stale hash (a page from before an update) gets today's file, just not for a year."""
        if filename in self.hashed:
            return filename, False
        match = _HASHED.match(filename)
        bare = _HASHED_BARE.match(filename)
        for name in (match and match["stem"] + match["suffix"], bare and bare["stem"]):
            if name in self.hashed:
                return name, self.hashed[name] == filename
        return None, False


class SessionInterface(SecureCookieSessionInterface):
    """Static files leave the session cookie alone: saving it would add "Vary: Cookie" (the sign-in extension
    looks at the session after every request), and a browser would fetch the year-long cached files again
    after each sign-in on a shared tablet."""

    def save_session(self, app, session, response):
        if request.endpoint == "static":
            return
        super().save_session(app, session, response)


# The stylesheet's parts the first paint needs, marked in it; inlined in <head>, allowed by their hash in the CSP.
# "critical document" marks what only the pages showing a quotation need (they ask for it: inline_document_css).
STYLESHEET = "css/mostrador.css"
_CRITICAL = re.compile(r"/\* critical \{ \*/(.*?)/\* \} critical \*/", re.S)
_DOCUMENT = re.compile(r"/\* critical document \{ \*/(.*?)/\* \} critical document \*/", re.S)


def _minified(parts) -> str:
    css = re.sub(r"/\*.*?\*/", "", " ".join(parts), flags=re.S)
    css = re.sub(r"\s+", " ", css).replace("{ ", "{").replace("; ", ";").replace(" }", "}").strip()
    if "</" in css:
        raise ValueError("the critical CSS would end its <style> element early")
    return css


def _source(css: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii") + "'"


class CriticalCSS:
    """The marked parts of the stylesheet, comments and runs of white space taken out, and their CSP sources:
    `css` for every page, `document_css` for the pages that show a quotation."""

    def __init__(self, folder):
        with open(os.path.join(folder, STYLESHEET), encoding="utf-8") as f:
            text = f.read()
        self.css, self.document_css = _minified(_CRITICAL.findall(text)), _minified(_DOCUMENT.findall(text))
        self.source = _source(self.css)
        self.document_source = _source(self.document_css)


def init_app(app):
    app.session_interface = SessionInterface()
    manifest = Manifest(app.static_folder)
    app.extensions["static_manifest"] = manifest
    critical = CriticalCSS(app.static_folder)
    app.extensions["critical_css"] = critical

    @app.context_processor
    def inline_styles():
        from markupsafe import Markup

        if app.debug:
            app.extensions["critical_css"] = CriticalCSS(app.static_folder)
        critical = app.extensions["critical_css"]
        return {"critical_css": Markup(critical.css), "critical_document_css": Markup(critical.document_css)}

    @app.url_defaults
    def hashed_static_name(endpoint, values):
        if endpoint == "static" and "filename" in values:
            if app.debug:
                manifest.refresh()
            values["filename"] = manifest.hashed.get(values["filename"], values["filename"])

    app.view_functions["static"] = serve_static


def serve_static(filename):
    manifest = current_app.extensions["static_manifest"]
    original, current = manifest.original(filename)
    if original is None:
        abort(404)
    if current:
        response = send_from_directory(current_app.static_folder, original, max_age=YEAR, etag=False)
        response.cache_control.immutable = True
        response.cache_control.public = True
        return response
    response = send_from_directory(current_app.static_folder, original, max_age=0)
    response.cache_control.no_cache = True
    return response


def precache_urls():
    """Every static file's hashed URL path: what the service worker keeps for working offline."""
    manifest = current_app.extensions["static_manifest"]
    prefix = current_app.static_url_path
    return sorted(f"{prefix}/{hashed}" for name, hashed in manifest.hashed.items() if not name.startswith("."))
