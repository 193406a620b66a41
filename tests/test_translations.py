"""Dutch ships beside English: every user-facing string is translated, and each person sees
the language they chose, else their workshop's, else their browser's, else English."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import gettext as _

from tests.conftest import PASSWORD, join, make_user, make_workshop
from tests.people import Person
from workshop import locales
from workshop.extensions import db
from workshop.models import Phase, Workshop
from workshop.services import rounds

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "workshop" / "translations"
DUTCH_PO = TRANSLATIONS / "nl" / "LC_MESSAGES" / "messages.po"
DUTCH_MO = TRANSLATIONS / "nl" / "LC_MESSAGES" / "messages.mo"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%%|\{[^{}]*\}")
DUTCH = {"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def _key(message_id: str | tuple[str, ...]) -> str | tuple[str, ...]:
    return tuple(message_id) if isinstance(message_id, list | tuple) else message_id


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.fixture(scope="module")
def fresh_template(tmp_path_factory: pytest.TempPathFactory):
    """The catalogue template as the code and templates are now (the README's command)."""
    target = tmp_path_factory.mktemp("pot") / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [
            str(pybabel),
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--ignore-dirs",
            ".* _* tests",
            "-o",
            str(target),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with target.open("rb") as handle:
        return read_po(handle)


@pytest.fixture(scope="module")
def dutch_catalogue():
    with DUTCH_PO.open("rb") as handle:
        return read_po(handle, locale="nl")


def test_every_string_in_the_code_has_a_dutch_translation(fresh_template, dutch_catalogue):
    dutch = {_key(m.id): m for m in dutch_catalogue if m.id}
    problems = []
    for message in fresh_template:
        if not message.id:
            continue
        key = _key(message.id)
        translated = dutch.get(key)
        if translated is None:
            problems.append(f"missing: {message.id!r}")
            continue
        strings = translated.string if isinstance(key, tuple) else (translated.string,)
        if "fuzzy" in translated.flags or not all(s and s.strip() for s in strings):
            problems.append(f"untranslated or fuzzy: {message.id!r}")
    assert not problems, "Refresh the Dutch catalogue (README, 'Translations'):\n" + "\n".join(
        problems
    )


GETTEXT_NAMES = {"_", "_l", "N_", "gettext", "lazy_gettext", "ngettext"}


def test_strings_inside_f_strings_have_a_dutch_translation_too(dutch_catalogue):
    """pybabel's extractor does not look inside an f-string, so "# {_('Values appendix')}"
    never reached the catalogue and the Dutch sign-off pack had English headings. Python's own
    parser sees every call, wherever it is."""
    dutch = {_key(m.id): m for m in dutch_catalogue if m.id}
    problems = []
    for path in sorted((ROOT / "workshop").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) in GETTEXT_NAMES
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                continue
            found = next((m for k, m in dutch.items() if _first(k) == node.args[0].value), None)
            strings = () if found is None else _strings(found.string)
            if not strings or not all(s and s.strip() for s in strings):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.args[0].value!r}")
    assert not problems, "Not in the Dutch catalogue:\n" + "\n".join(problems)


def _first(key: str | tuple[str, ...]) -> str:
    return key[0] if isinstance(key, tuple) else key


def _strings(string: str | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(string) if isinstance(string, list | tuple) else (string,)


def test_dutch_translations_keep_every_placeholder(dutch_catalogue):
    problems = []
    for message in dutch_catalogue:
        if not message.id or not message.string:
            continue
        if isinstance(message.id, list | tuple):
            pairs = zip(message.id, message.string, strict=False)
        else:
            pairs = [(message.id, message.string)]
        for source, translation in pairs:
            if _placeholders(source) != _placeholders(translation):
                problems.append(f"{source!r} -> {translation!r}")
    assert not problems, "\n".join(problems)
    assert dutch_catalogue.num_plurals == 2


def test_the_compiled_dutch_catalogue_matches_its_source(dutch_catalogue):
    """The .mo ships in the package: compiled from the .po as it is now (pybabel compile)."""
    with DUTCH_MO.open("rb") as handle:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(handle) if m.id}
    source = {_key(m.id): _key(m.string) for m in dutch_catalogue if m.id and not m.fuzzy}
    stale = [key for key, string in source.items() if compiled.get(key) != string]
    assert not stale, f"run pybabel compile -d workshop/translations ({len(stale)} differ)"


# ---- which language a person sees -----------------------------------------------------------


def test_a_dutch_browser_gets_the_pages_in_dutch(client):
    page = client.get("/", headers=DUTCH).get_data(as_text=True)
    assert '<html lang="nl">' in page
    assert "Doe mee aan een workshop" in page
    assert "Naar de inhoud" in page
    assert "Join a workshop" not in page


def test_other_browsers_get_english(client):
    for headers in (ENGLISH, {"Accept-Language": "de-DE,fr;q=0.8"}, {}):
        page = client.get("/", headers=headers).get_data(as_text=True)
        assert '<html lang="en">' in page
        assert "Join a workshop" in page


def test_the_language_switch_overrides_the_browser_both_ways(client):
    page = client.get("/", headers=DUTCH).get_data(as_text=True)
    assert 'action="/language"' in page and 'value="en"' in page  # offers English

    response = client.post("/language", data={"language": "en", "next": "/"}, headers=DUTCH)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/", headers=DUTCH).get_data(as_text=True)
    assert '<html lang="en">' in page and "Join a workshop" in page

    client.post("/language", data={"language": "nl", "next": "/"}, headers=ENGLISH)
    page = client.get("/", headers=ENGLISH).get_data(as_text=True)
    assert '<html lang="nl">' in page and "Doe mee aan een workshop" in page


def test_the_language_switch_refuses_unknown_languages_and_foreign_pages(client):
    assert client.post("/language", data={"language": "xx"}).status_code == 400
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post("/language", data={"language": "nl", "next": target})
        assert response.headers["Location"] == "/"


def test_the_language_switch_needs_the_forms_csrf_token(migrated_template, tmp_path):
    from tests.conftest import app_config
    from workshop import create_app

    app = create_app({**app_config(tmp_path, migrated_template), "WTF_CSRF_ENABLED": True})
    try:
        client = app.test_client()
        assert client.post("/language", data={"language": "nl"}).status_code == 400
        page = client.get("/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post("/language", data={"language": "nl", "csrf_token": token})
        assert response.status_code == 302
    finally:
        with app.app_context():  # no connection of this app may outlive the test
            db.engine.dispose()


def test_a_workshops_language_comes_after_the_persons_choice_and_before_the_browser(app):
    dutch_workshop = SimpleNamespace(language="nl")
    with app.test_request_context("/", headers=ENGLISH):
        assert locales.select_locale() == "en"
        locales.use_workshop(dutch_workshop)
        assert locales.select_locale() == "nl"
        assert _("Vote") == "Stemmen"
    with app.test_request_context("/", headers={**DUTCH, "Cookie": "language=en"}):
        locales.use_workshop(dutch_workshop)
        assert locales.select_locale() == "en"
    with app.test_request_context("/", headers=DUTCH):
        locales.use_workshop(SimpleNamespace(language=""))  # "": follow the browser
        assert locales.select_locale() == "nl"
    with app.test_request_context("/"):
        locales.use_workshop(SimpleNamespace())  # before Workshop.language exists
        assert locales.select_locale() is None  # the default: English


@pytest.mark.skipif(
    "language" not in Workshop.__table__.columns, reason="Workshop.language not added yet"
)
def test_a_dutch_workshop_shows_its_join_page_in_dutch_to_an_english_browser(app, client):
    with app.app_context():
        workshop = make_workshop(make_user("fran@example.org"))
        workshop.language = "nl"
        db.session.commit()
        code = workshop.join_code
    page = client.get(f"/j/{code}", headers=ENGLISH).get_data(as_text=True)
    assert '<html lang="nl">' in page and "Meedoen" in page
    client.post("/language", data={"language": "en"})
    page = client.get(f"/j/{code}", headers=ENGLISH).get_data(as_text=True)
    assert '<html lang="en">' in page


def test_a_domain_error_over_http_comes_in_dutch(client):
    response = client.get("/j/ZZZZZZZZ", headers=DUTCH)
    assert response.status_code == 404
    assert "Er is geen open workshop met die deelnamecode" in response.get_data(as_text=True)
    response = client.get("/j/ZZZZZZZZ", headers={**DUTCH, "Accept": "application/json"})
    assert response.get_json()["error"]["message"].startswith("Er is geen open workshop")


def test_a_form_field_left_empty_is_named_in_each_persons_language(app, client):
    """WTForms' own messages follow the person asking (its catalogue is read once per
    language and kept, not read again for every request), one language after the other."""
    with app.app_context():
        code = make_workshop(make_user("fran@example.org")).join_code
    for headers, message, other in (
        (DUTCH, "Dit veld is vereist.", "This field is required."),
        (ENGLISH, "This field is required.", "Dit veld is vereist."),
        (DUTCH, "Dit veld is vereist.", "This field is required."),
    ):
        page = client.post(
            f"/j/{code}", data={"display_name": "", "level": "Frontline"}, headers=headers
        ).get_data(as_text=True)
        assert message in page and other not in page


def _dutch_room(app):
    """A facilitator with an English browser and a participant with a Dutch one, connected
    to one workshop in the lobby."""
    with app.app_context():
        make_workshop(make_user("fran@example.org"))
        workshop_id = db.session.scalar(sa.select(Workshop.id))
        code = db.session.get(Workshop, workshop_id).join_code
    fran = Person(app, workshop_id)
    fran.http.post("/login", data={"email": "fran@example.org", "password": PASSWORD})
    fran.connect()
    anouk = Person(app, workshop_id)
    anouk.http.post(
        f"/j/{code}",
        data={"display_name": "Anouk", "level": "Frontline", "department": ""},
        headers=DUTCH,
    )
    return fran, anouk, workshop_id


def test_a_domain_error_over_a_socket_comes_in_the_persons_language(app):
    fran, anouk, workshop_id = _dutch_room(app)
    from workshop.extensions import socketio

    anouk.socket = socketio.test_client(
        app, flask_test_client=anouk.http, auth={"workshop_id": workshop_id}, headers=DUTCH
    )
    assert anouk.socket.is_connected()
    ack = anouk.send("proposal.submit", {"body": "Wij zorgen voor elkaar", "op_id": "n1"})
    assert ack["ok"] is False
    assert ack["error"]["message"] == "Voorstellen is nu niet open."
    # The facilitator's English browser gets English from the same server.
    ack = fran.send("round.start", {"round_id": 999999})
    assert ack["ok"] is False and "does not exist" in ack["error"]["message"]

    # The person's own choice counts on sockets too (the cookie of the connect request).
    anouk.http.post("/language", data={"language": "en"})
    english = socketio.test_client(
        app, flask_test_client=anouk.http, auth={"workshop_id": workshop_id}, headers=DUTCH
    )
    ack = english.emit("proposal.submit", {"body": "x", "op_id": "n2"}, callback=True)
    assert ack["error"]["message"] == "Proposals are not open right now."


def test_the_values_catalogue_shows_dutch_names_on_a_dutch_page(app):
    fran, anouk, workshop_id = _dutch_room(app)
    page = anouk.http.get(f"/w/{workshop_id}", headers=DUTCH).get_data(as_text=True)
    assert "Integriteit" in page and "Karakter" in page
    page = fran.http.get(f"/workshops/{workshop_id}/values-catalogue", headers=DUTCH)
    assert "Integriteit" in page.get_data(as_text=True)
    page = fran.http.get(f"/workshops/{workshop_id}/values-catalogue", headers=ENGLISH)
    assert "Integrity" in page.get_data(as_text=True)


def test_the_live_pages_strings_come_in_the_readers_language_each_time(app):
    """The live client's strings are rendered once per language and kept: a Dutch page after
    an English one (and the other way round) still gets its own language's."""
    fran, anouk, workshop_id = _dutch_room(app)

    def strings(person, path: str, headers: dict[str, str]) -> dict:
        page = person.http.get(path, headers=headers).get_data(as_text=True)
        return json.loads(
            page.split('<script type="application/json" id="i18n">', 1)[1].split("</script>", 1)[0]
        )

    for headers, phase, connected in (
        (ENGLISH, "Propose", "Connected"),
        (DUTCH, "Voorstellen", "Verbonden"),
        (ENGLISH, "Propose", "Connected"),
        (DUTCH, "Voorstellen", "Verbonden"),
    ):
        for person, path in ((anouk, f"/w/{workshop_id}"), (fran, f"/workshops/{workshop_id}")):
            catalogue = strings(person, path, headers)
            assert (catalogue["phases"]["propose"], catalogue["connected"]) == (phase, connected)


def test_value_names_in_live_results_follow_the_persons_language(app):
    from workshop.audiences import tag_name

    with app.test_request_context("/", headers=DUTCH):
        assert tag_name("integrity") == "Integriteit"
    with app.test_request_context("/", headers=ENGLISH):
        assert tag_name("integrity") == "Integrity"


def test_snapshots_are_shared_per_language(app):
    """The shared part of a snapshot holds words the server writes: a Dutch connect after an
    English one must not get the English copy."""
    with app.app_context():
        owner = make_user("fran@example.org")
        workshop = make_workshop(owner)
        rounds.set_phase(owner, workshop.id, Phase.PROPOSE)
        join(workshop, "Anouk")
        workshop_id = workshop.id
    from workshop import snapshots

    for headers in (ENGLISH, DUTCH):
        with app.test_request_context("/", headers=headers):
            owner = db.session.scalar(sa.select(type(owner)))
            snapshots.build_snapshot(workshop_id, owner)
    assert {(workshop_id, True, "en"), (workshop_id, True, "nl")} <= set(snapshots._shared)


def test_exports_are_in_the_language_of_the_person_exporting(app):
    from tests.test_exports import scenario

    with app.app_context():
        ids = scenario()
    fran = app.test_client()
    fran.post("/login", data={"email": "fran@example.org", "password": PASSWORD})
    url = f"/workshops/{ids['workshop']}/document/versions/1/export.md"
    dutch = fran.get(url, headers=DUTCH)
    assert dutch.status_code == 200
    assert "Waar de woorden vandaan kwamen" in dutch.get_data(as_text=True)
    english = fran.get(url, headers=ENGLISH).get_data(as_text=True)
    assert "Where the words came from" in english
    html = fran.get(url.replace(".md", ".html"), headers=DUTCH).get_data(as_text=True)
    assert '<html lang="nl">' in html
