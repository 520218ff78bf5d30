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
        digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
        policy = response.headers["Content-Security-Policy"]
        assert f"style-src 'self' 'sha256-{digest}';" in policy
        assert "unsafe-inline" not in policy and "script-src 'self';" in policy


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
