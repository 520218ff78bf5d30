"""English and Spanish: every string translated, language from the user's setting, else the browser's."""
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.conftest import login, text_of

CATALOGUE = Path(__file__).resolve().parent.parent / "translations" / "es" / "LC_MESSAGES" / "messages.po"


def test_spanish_catalogue_is_complete():
    with CATALOGUE.open("rb") as fh:
        catalog = read_po(fh)
    missing = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert missing == [] and fuzzy == []


def test_every_template_string_is_in_the_catalogue():
    # Guards against UI text added without running `make strings`.
    from babel.messages.extract import extract_from_dir

    root = Path(__file__).resolve().parent.parent
    with CATALOGUE.open("rb") as fh:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    method_map = [("templates/**.html", "jinja2"), ("sales/**.py", "python"), ("models.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.do"}}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(root), method_map, options, keywords={"_": None, "_l": None, "gettext": None,
                                                      "ngettext": (1, 2), "lazy_gettext": None}):
        found.add(message if isinstance(message, str) else message[0])
    assert sorted(found - known) == []


def test_browser_language_is_used_before_sign_in(client, owner):
    assert "Entrar" in text_of(client.get("/login", headers={"Accept-Language": "es-ES,es;q=0.9"}))
    assert "Sign in" in text_of(client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}))


def test_users_language_setting_wins_over_the_browser(client, make_user):
    user = make_user(language="es")
    login(client, user)
    page = text_of(client.get("/customers/", headers={"Accept-Language": "en"}))
    assert "Clientes" in page and "Nuevo cliente" in page


@pytest.mark.parametrize("url", ["/", "/customers/", "/customers/new", "/leads/", "/leads/board", "/leads/my-day", "/support/", "/account"])
def test_spanish_pages_render(client, make_user, url):
    login(client, make_user(language="es"))
    response = client.get(url)
    assert response.status_code == 200
    assert '<html lang="es">' in response.get_data(as_text=True)


@pytest.mark.parametrize("language, expected", [
    ("es", "−0,75 · +2 · 67\u00a0% · 4,50"),
    ("en", "−0.75 · +2 · 67% · 4.50"),
])
def test_reports_write_numbers_the_readers_way(app, language, expected):
    from flask import render_template_string

    with app.test_request_context(headers={"Accept-Language": language}):
        shown = render_template_string("{{ -0.75|signed }} · {{ 2|signed(0) }} · {{ 0.67|percent }} · {{ 4.5|number(2) }}")
    assert shown == expected
