"""Names the shop gives things, per language (issue 19): each member of staff reads the pipeline's stages in their
own language, else in the shop's; the defaults come named in every language of the catalogue; the settings page
has a name per offered language, and renaming one keeps the others."""
import re
from datetime import datetime
from html import unescape

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select, text

from app import create_app
from extensions import db
from models import PipelineStage, ShopSetting
from sales.languages import available_languages, shop_language
from sales.leads.stages import DEFAULT_STAGES
from tests.conftest import login, stage_id, text_of
from tests.test_migrations_round_trip import MIGRATIONS, empty_database  # noqa: F401 (a fixture)

GERMAN = {"New": "Neu hier", "Contacted": "Kontaktiert", "Qualified": "Qualifiziert"}


def catalogue(app, message, code, **variables):
    """A UI text as the catalogue has it in `code` (the lazy default names, or a msgid with its variables)."""
    with app.test_request_context(), force_locale(code):
        return gettext(message, **variables) if isinstance(message, str) else str(message)


def default_name(app, english, code):
    """The catalogue's name, in `code`, of the default stage called `english` in English."""
    message = next(name for name, _kind in DEFAULT_STAGES if catalogue(app, name, "en") == english)
    return catalogue(app, message, code)


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return unescape(response.get_data(as_text=True))


def rename(client, app, english_or_id, **names):
    """Post a stage's settings form as the owner fills it in: `name` the shop's, `name_de`… the others."""
    stage = english_or_id if isinstance(english_or_id, int) else stage_id(app, english_or_id)
    with app.app_context():
        kind = db.session.get(PipelineStage, stage).kind
    data = {f"s{stage}-{field}": value for field, value in names.items()}
    return client.post(f"/leads/settings/stages/{stage}", data={**data, f"s{stage}-kind": kind})


def names_of(app, english_or_id):
    stage = english_or_id if isinstance(english_or_id, int) else stage_id(app, english_or_id)
    with app.app_context():
        stage = db.session.get(PipelineStage, stage)
        return stage.name, dict(stage.names)


@pytest.fixture
def readers(app, make_user):
    """An owner reading in each language, each with a client of their own."""
    people = {}
    for code in ("en", "es", "de", "hi"):
        user = make_user("owner", name=f"Owner {code}", language=code)
        client = app.test_client()
        login(client, user)
        people[code] = client
    return people


@pytest.fixture
def german_names(app, readers):
    """The owner gives three stages German names; Hindi left blank (it falls back to the shop's)."""
    for english, german in GERMAN.items():
        shop_name, _names = names_of(app, english)
        response = rename(readers["en"], app, english, name=shop_name, name_en=english, name_de=german, name_hi="")
        assert response.status_code == 303, text_of(response)


def test_the_defaults_are_named_in_every_language_whoever_opens_the_board_first(app, readers):
    board = page(readers["es"], "/leads/board")       # a Spanish reader makes the pipeline
    with app.app_context():
        stages = db.session.scalars(select(PipelineStage).order_by(PipelineStage.position)).all()
        shop = shop_language()
        languages = available_languages()
    assert [s.kind for s in stages] == [kind for _name, kind in DEFAULT_STAGES]
    for stage, (message, _kind) in zip(stages, DEFAULT_STAGES):
        expected = {code: catalogue(app, message, code) for code in languages}
        assert stage.names == expected and stage.name == expected[shop]
        assert expected["es"] in board
    # Not just the same word everywhere: the Spanish catalogue names them otherwise than the English msgids.
    assert default_name(app, "Contacted", "es") != "Contacted"
    english_board = page(readers["en"], "/leads/board")
    for message, _kind in DEFAULT_STAGES:
        assert catalogue(app, message, "en") in english_board
    assert default_name(app, "Contacted", "es") not in english_board


def test_each_reader_sees_the_same_stage_in_their_language(app, readers, german_names, make_customer, make_lead,
                                                           fetch):
    customer = make_customer("Ana García")
    lead = make_lead(customer, None, title="Cargo bike", stage="Contacted")
    contacted_es, qualified_es = (default_name(app, name, "es") for name in ("Contacted", "Qualified"))
    shops = [names_of(app, name)[0] for name in ("Contacted", "Qualified")]
    for code, contacted, qualified in (("es", contacted_es, qualified_es),
                                       ("de", GERMAN["Contacted"], GERMAN["Qualified"]),
                                       ("hi", *shops)):        # no Hindi name given: the shop's
        board = page(readers[code], "/leads/board")
        assert f"<h2 id=\"stage-{stage_id(app, 'Contacted')}\">{contacted}</h2>" in board
        assert f'title="{catalogue(app, "Move to %(stage)s", code, stage=qualified)}"' in board
        detail = page(readers[code], f"/leads/{lead.id}")
        assert f"· {contacted}" in detail and f">{qualified}</button>" in detail
    assert GERMAN["Contacted"] not in page(readers["es"], f"/leads/{lead.id}")
    # A German reader moves it: everyone reads the move on the customer's timeline in their own words.
    response = readers["de"].post(f"/leads/{lead.id}/move", data={"stage_id": stage_id(app, "Qualified")})
    assert response.status_code == 303
    assert fetch(type(lead), lead.id).stage_id == stage_id(app, "Qualified")
    for code, qualified in (("es", qualified_es), ("de", GERMAN["Qualified"])):
        timeline = page(readers[code], f"/customers/{customer.id}")
        assert catalogue(app, "%(title)s moved to %(stage)s", code, title="Cargo bike", stage=qualified) in timeline


def test_renaming_one_language_keeps_the_others(app, readers, german_names):
    contacted = stage_id(app, "Contacted")
    shop_name, names = names_of(app, contacted)
    # A script (or a page from before) sends the shop's name alone: the other languages stay as they were.
    assert rename(readers["en"], app, contacted, name="Llamado").status_code == 303
    assert names_of(app, contacted) == ("Llamado", {**names, shop_language_of(app): "Llamado"})
    # The whole form, the English name changed: German kept, Hindi still falls back.
    assert rename(readers["en"], app, contacted, name="Llamado", name_en="Called", name_de=GERMAN["Contacted"],
                  name_hi="").status_code == 303
    name, after = names_of(app, contacted)
    assert (name, after["en"], after["de"], "hi" in after) == ("Llamado", "Called", GERMAN["Contacted"], False)
    settings = page(readers["en"], "/leads/settings")
    stage = contacted
    for field, value in (("name", "Llamado"), ("name_en", "Called"), ("name_de", GERMAN["Contacted"]),
                         ("name_hi", "")):
        assert re.search(rf'id="s{stage}-{field}"[^>]*value="{value}"', settings), field
    assert "Called" in page(readers["en"], "/leads/board") and "Llamado" in page(readers["hi"], "/leads/board")
    # The page's changes say which language's name changed (the shop's as its name, the others by language).
    changes = text_of(readers["en"].get("/leads/settings"))
    assert f"Stage name {shop_name} → Llamado" in changes
    assert f"Stage name (English) {names['en']} → Called" in changes


def test_the_settings_show_a_name_per_offered_language_the_shops_first_and_keep_what_was_typed(app, readers):
    stage = stage_id(app, "New")
    with app.app_context():
        ShopSetting.put("languages", "es,de")          # the shop offers Spanish and German only
        db.session.commit()
        shop = shop_language()
    settings = page(readers["es"], "/leads/settings")
    fields = re.findall(rf'id="s{stage}-(name(?:_[a-z]+)?)"', settings)
    assert fields == ["name", "name_de"] and shop == "es"
    assert re.search(rf'<label for="s{stage}-name">[^<]*\(Español\)</label> <span class="required"', settings)
    # The shop's name is required; what was typed comes back with the error.
    response = rename(readers["es"], app, stage, name="", name_de="Neu hier")
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and 'value="Neu hier"' in html
    too_long = "L" * 61
    response = rename(readers["es"], app, stage, name="Recién llegado", name_de=too_long)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and f'value="{too_long}"' in html and 'value="Recién llegado"' in html
    assert names_of(app, stage)[0] == default_name(app, "New", "es")
    # A new stage gets the names typed for it; a blank one reads as the shop's.
    response = readers["es"].post("/leads/settings/stages", data={"new-name": "Prueba", "new-name_de": "Probefahrt",
                                                                  "new-kind": "open"})
    assert response.status_code == 303
    with app.app_context():
        added = db.session.scalar(select(PipelineStage).where(PipelineStage.name == "Prueba"))
        assert added.names == {"es": "Prueba", "de": "Probefahrt"}
    assert "Probefahrt" in page(readers["de"], "/leads/board")
    assert "Prueba" in page(readers["en"], "/leads/board")


def test_the_funnel_report_and_the_dashboard_show_the_readers_names(app, readers, german_names, make_customer,
                                                                    make_lead):
    make_lead(make_customer(), None, stage="Contacted")
    make_lead(make_customer("Luis Prieto"), None, stage="Qualified")
    for code, new, contacted in (("de", GERMAN["New"], GERMAN["Contacted"]),
                                 ("es", default_name(app, "New", "es"), default_name(app, "Contacted", "es"))):
        funnel = text_of(readers[code].get("/manage/funnel"))
        assert new in funnel and contacted in funnel
        assert contacted in text_of(readers[code].get("/"))
    assert GERMAN["New"] not in text_of(readers["es"].get("/manage/funnel"))


def test_the_board_runs_as_many_queries_whatever_the_stages_names_and_leads(app, readers, german_names,
                                                                             make_customer, make_lead, count_queries):
    customer = make_customer()
    make_lead(customer, None, stage="New")

    def measured(code):
        readers[code].get("/leads/board")
        with count_queries() as queries:
            assert readers[code].get("/leads/board").status_code == 200
        return len(queries)

    few = {code: measured(code) for code in ("es", "de")}
    for english in ("Contacted", "Qualified", "Proposal", "Negotiation", "Contacted"):
        make_lead(customer, None, stage=english)
    assert {code: measured(code) for code in ("es", "de")} == few
    assert few["es"] == few["de"]


def shop_language_of(app):
    with app.app_context():
        return shop_language()


def test_the_migration_keeps_every_existing_name_as_the_shops_languages(empty_database):
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database, "SECRET_KEY": "migrations"})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0042")
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO shop_settings (key, value) VALUES ('shop_language', 'de')"))
            for position, name in enumerate(("Neu", "Angebot"), start=1):
                connection.execute(text(
                    "INSERT INTO pipeline_stages (name, position, kind, active, created_at, updated_at, version) "
                    "VALUES (:name, :position, 'open', :yes, :now, :now, 1)"),
                    {"name": name, "position": position * 10, "yes": True, "now": datetime(2026, 1, 5)})
        upgrade(directory=MIGRATIONS, revision="0043")
        stages = db.session.scalars(select(PipelineStage).order_by(PipelineStage.position)).all()
        assert [(s.name, s.names) for s in stages] == [("Neu", {"de": "Neu"}), ("Angebot", {"de": "Angebot"})]
        db.session.remove()
        db.engine.dispose()
