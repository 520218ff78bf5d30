"""The first paint does not wait for the stylesheet: its first-paint part is inline, allowed by its hash in a CSP
that stays strict, and the whole file follows without blocking (and loads the usual way without JavaScript)."""
import base64
import hashlib
import re

from tests.conftest import login


def _head(response):
    html = response.get_data(as_text=True)
    return html[:html.index("</head>")]


def test_the_inline_style_is_allowed_by_its_hash_and_nothing_else(client, owner):
    pages = [client.get("/login")]
    login(client, owner)
    pages += [client.get("/"), client.get("/customers/")]
    for response in pages:
        assert response.status_code == 200
        styles = re.findall(r"<style>(.*?)</style>", _head(response), flags=re.S)
        assert len(styles) == 1 and len(styles[0]) > 2000
        assert ".doc-head" not in styles[0]          # a quotation's part only where one is shown (below)
        _allowed_by_hash(styles[0], response)


def _allowed_by_hash(style, response):
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = response.headers["Content-Security-Policy"]
    style_src = re.search(r"style-src ([^;]*);", policy).group(1).split()
    assert style_src[0] == "'self'" and f"'sha256-{digest}'" in style_src
    assert all(source.startswith("'sha256-") for source in style_src[1:])
    assert "unsafe-inline" not in policy and "script-src 'self';" in policy


def test_a_quotation_is_laid_out_before_the_stylesheet_arrives(client, owner, make_customer, sent_quote, app):
    """Its header, addresses and lines moved when the whole file arrived (a layout shift of 0.5 measured by
    Lighthouse): the pages that show one inline the quotation's part too, allowed by its own hash."""
    from extensions import db
    from models import QuoteRevision

    quote_id = sent_quote(make_customer("Ana García"), owner)
    with app.app_context():
        token = db.session.query(QuoteRevision.token).filter_by(quote_id=quote_id).scalar()
    public = client.get(f"/quotes/q/{token}")
    login(client, owner)
    for response in (public, client.get(f"/quotes/{quote_id}")):
        assert response.status_code == 200 and "E-bike City" in response.get_data(as_text=True)
        styles = re.findall(r"<style>(.*?)</style>", _head(response), flags=re.S)
        assert len(styles) == 2 and ".doc-head" in styles[1] and ".doc-head" not in styles[0]
        for style in styles:
            _allowed_by_hash(style, response)


def test_the_whole_stylesheet_does_not_block_and_has_a_fallback(client, owner):
    head = _head(client.get("/login"))
    outside_noscript = re.sub(r"<noscript>.*?</noscript>", "", head, flags=re.S)
    assert not re.search(r'<link rel="stylesheet" href="[^"]+">', outside_noscript)   # none that blocks
    assert re.search(r'<link rel="stylesheet" href="/static/css/mostrador\.[0-9a-f]{10}\.css" media="print" '
                     r'data-stylesheet>', head)
    assert re.search(r'<noscript><link rel="stylesheet" href="/static/css/mostrador\.[0-9a-f]{10}\.css"></noscript>',
                     head)
    assert re.search(r'<script src="/static/js/stylesheet\.[0-9a-f]{10}\.js" async></script>', head)


def test_the_inline_part_is_the_stylesheets_own_rules(app):
    from pathlib import Path

    sheet = Path(app.static_folder, "css", "mostrador.css").read_text()
    critical = app.extensions["critical_css"].css
    assert "--tap: 44px" in critical and ".topbar" in critical and "table.list" in critical
    assert len(critical) < len(sheet) / 2          # the first paint's part, not the whole file again
