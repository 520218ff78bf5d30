"""Every language translated completely, language from the user's setting, else the browser's."""
import tempfile
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from config import from_environment
from tests.conftest import login, text_of

ROOT = Path(__file__).resolve().parent.parent
# The languages the app offers (config LANGUAGES); English is the msgids themselves.
with tempfile.TemporaryDirectory() as _instance:
    TRANSLATED = [code for code in from_environment(_instance)["LANGUAGES"] if code != "en"]


def _catalogue(language):
    with (ROOT / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh)


def _key(message_id):
    return message_id if isinstance(message_id, str) else message_id[0]


@pytest.fixture(scope="module")
def extracted():
    """Every msgid the code and templates mark, as `make strings` extracts them (its keywords included)."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    method_map = [("templates/**.html", "jinja2"), ("sales/**.py", "python"), ("models.py", "python"),
                  ("app.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.do"}}
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "Nn_": (1, 2)}
    return {_key(message) for _filename, _lineno, message, _comments, _context
            in extract_from_dir(str(ROOT), method_map, options, keywords=keywords)}


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogue_is_complete(language):
    catalog = _catalogue(language)
    missing = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert missing == [] and fuzzy == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders(language):
    # Babel's own checks: the same %(name)s placeholders as the msgid, and as many plural forms as the language has.
    problems = [(_key(message.id), [str(error) for error in errors]) for message, errors in _catalogue(language).check()]
    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_marked_string_is_in_the_catalogue(language, extracted):
    # Guards against UI text (templates and Python, the texts stored for later too) added without `make strings`.
    known = {_key(m.id) for m in _catalogue(language) if m.id}
    assert sorted(extracted - known) == []


def test_the_template_is_current(extracted):
    with (ROOT / "translations" / "messages.pot").open("rb") as fh:
        known = {_key(m.id) for m in read_po(fh) if m.id}
    assert sorted(extracted - known) == []


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
