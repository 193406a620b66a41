"""Every page carries the security headers, and bad input over HTTP gets a clear answer
(404 or 400), never a server error."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from werkzeug.test import Client

from tests.conftest import PASSWORD, db_fingerprint, join, make_user, make_workshop
from workshop import static_files
from workshop.services import editing

ROOT = Path(__file__).resolve().parent.parent

HUGE = str(2**63 + 5)
# The first number a PostgreSQL INTEGER column cannot hold (SQLite's go on to 2**63 - 1).
PAST_INTEGER = str(2**31)


@pytest.fixture
def fran(app):
    with app.app_context():
        user = make_user("fran@example.org", name="Fran Facilitator")
        workshop = make_workshop(user)
        editing.paste_document(user, workshop.id, "We help.\n\nWe listen.", based_on=None)
        return workshop.id, workshop.join_code


def logged_in(app):
    client = app.test_client()
    client.post("/login", data={"email": "fran@example.org", "password": PASSWORD})
    return client


def test_every_page_carries_the_security_headers(app, fran):
    workshop_id, code = fran
    client = logged_in(app)
    pages = [
        "/",
        "/login",
        f"/j/{code}",
        "/workshops/",
        f"/workshops/{workshop_id}",
        f"/workshops/{workshop_id}/projector",
        f"/workshops/{workshop_id}/document",
        f"/workshops/{workshop_id}/document/versions",
        f"/workshops/{workshop_id}/document/versions/1",
        f"/workshops/{workshop_id}/qr.svg",
        "/healthz",
        "/no-such-page",
        "/favicon.ico",
        "/static/js/live/main.js",
        "/static/css/app.css",
        "/static/no-such-file.js",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code in (200, 302, 404), page
        csp = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, page
        assert "'unsafe-inline'" not in csp, page
        assert response.headers.get("X-Frame-Options") == "DENY", page
        assert response.headers.get("X-Content-Type-Options") == "nosniff", page
        assert response.headers.get("Referrer-Policy") == "same-origin", page
        response.close()  # a file's answer holds the file open until it is closed


def test_static_files_are_answered_with_their_type_a_short_cache_and_304s(app):
    """A browser's first visit to a room loads some 26 static files, answered before the app
    (WhiteNoise): each with its type, kept a minute, and not sent again while unchanged."""
    client = app.test_client()
    for path, kind in (
        ("/static/js/live/main.js", "text/javascript"),
        ("/static/css/app.css", "text/css"),
        ("/static/vendor/socket.io.min.js", "text/javascript"),
        ("/static/favicon.svg", "image/svg+xml"),
    ):
        with client.get(path) as first:
            assert first.status_code == 200 and first.content_type.startswith(kind), path
            assert first.data == (ROOT / path.lstrip("/")).read_bytes(), path
            assert first.headers["Cache-Control"] == "max-age=60, public", path
            assert first.headers["X-Content-Type-Options"] == "nosniff", path
        with client.get(path, headers={"If-None-Match": first.headers["ETag"]}) as again:
            assert again.status_code == 304 and again.data == b"", path
    assert client.get("/static/../workshop/config.py").status_code == 404


def test_static_text_goes_gzipped_to_browsers_that_take_it_and_plain_to_others(app):
    """A phone's first visit downloads the room's scripts and styles gzipped (a third of their
    size); a client that does not say it takes gzip gets the files as they are."""
    client = app.test_client()
    sizes = {"plain": 0, "gzip": 0}
    for path in (
        "/static/js/live/main.js",
        "/static/css/app.css",
        "/static/vendor/socket.io.min.js",
    ):
        original = (ROOT / path.lstrip("/")).read_bytes()
        with client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"}) as zipped:
            assert zipped.headers["Content-Encoding"] == "gzip", path
            assert zipped.headers["Vary"] == "Accept-Encoding", path
            assert zipped.headers["X-Content-Type-Options"] == "nosniff", path
            assert gzip.decompress(zipped.data) == original, path
            sizes["gzip"] += len(zipped.data)
        with client.get(path, headers={"Accept-Encoding": "identity"}) as plain:
            assert "Content-Encoding" not in plain.headers and plain.data == original, path
            sizes["plain"] += len(plain.data)
    assert sizes["gzip"] < sizes["plain"] / 2, sizes


def test_live_pages_name_every_module_the_live_client_imports_for_fetching_at_once(app, fran):
    """The room, the console and the projector name, in their head, every module the browser
    would otherwise find one layer of imports at a time: the live client's entry and all it
    imports, as served, and nothing else."""
    import re

    workshop_id, code = fran
    client = app.test_client()
    client.post(f"/j/{code}", data={"display_name": "Amira", "level": "Frontline"})
    staff = logged_in(app)
    pages = {
        "room": client.get(f"/w/{workshop_id}"),
        "console": staff.get(f"/workshops/{workshop_id}"),
        "projector": staff.get(f"/workshops/{workshop_id}/projector"),
    }
    entry = "/static/js/live/main.js"
    imported, wanted = [], [entry]
    while wanted:
        module = wanted.pop()
        if module not in imported:
            imported.append(module)
            with client.get(module) as served:
                text = served.get_data(as_text=True)
            folder = module.rsplit("/", 1)[0]
            wanted += [f"{folder}/{name}" for name in re.findall(r'from "\./([^"]+)"', text)]
    assert len(imported) > 10
    for name, page in pages.items():
        html = page.get_data(as_text=True)
        head = html.split("</head>", 1)[0]
        preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', head)
        assert sorted(preloaded) == sorted(imported), name
        assert f'<script type="module" src="{entry}">' in html, name


def test_a_changed_static_file_gets_a_new_gzipped_copy_never_the_old_one(tmp_path):
    """The copies are made when the app starts: after an upgrade changes a file, the next
    start serves the new version gzipped, though the old copy is still on disk."""
    static, copies = tmp_path / "static", tmp_path / "instance" / "static-gzip"
    (static / "js").mkdir(parents=True)
    script = static / "js" / "room.js"
    versions = ["let room = 'first';\n" * 50, "let room = 'second';\n" * 50]
    for version in versions:
        script.write_text(version)
        site = static_files.GzippedStatic(
            None, gzipped=static_files.gzip_copies(static, copies), root=str(static), prefix="s/"
        )
        browser = Client(site)
        with browser.get("/s/js/room.js", headers={"Accept-Encoding": "gzip"}) as answer:
            assert answer.headers["Content-Encoding"] == "gzip"
            assert gzip.decompress(answer.data).decode() == version
    assert len(list((copies / "js").glob("room.js.*.gz"))) == 2


def test_no_page_has_inline_script_or_style(app, fran):
    import re

    workshop_id, code = fran
    client = logged_in(app)
    for page in ["/", f"/workshops/{workshop_id}", f"/workshops/{workshop_id}/document"]:
        html = client.get(page).data.decode()
        for script in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html):
            assert 'type="application/json"' in script, (page, script)  # data, never code
        assert " style=" not in html and "<style" not in html, page
        assert not re.search(r"\son[a-z]+=", html), page


@pytest.mark.parametrize("number", [HUGE, PAST_INTEGER])
@pytest.mark.parametrize(
    "path",
    [
        "/workshops/{n}",
        "/workshops/{n}/document",
        "/workshops/{n}/document/versions/{n}",
        "/workshops/1/document/versions/{n}",
        "/w/{n}",
        "/w/1/rounds/{n}/heatmap.svg",
    ],
)
def test_absurd_ids_in_addresses_are_not_found(app, fran, path, number):
    assert logged_in(app).get(path.format(n=number)).status_code == 404


@pytest.mark.parametrize("based_on", ["abc", HUGE, PAST_INTEGER, "1.5", "--1"])
def test_malformed_form_numbers_are_a_bad_request(app, fran, based_on):
    workshop_id, _ = fran
    client = logged_in(app)
    response = client.post(
        f"/workshops/{workshop_id}/document",
        data={"body_md": "We help.", "based_on": based_on, "note": ""},
    )
    assert response.status_code == 400
    assert b"based_on" in response.data and b"whole number" in response.data
    restore = client.post(
        f"/workshops/{workshop_id}/document/versions/1/restore", data={"based_on": based_on}
    )
    assert restore.status_code == 400


def test_a_nul_character_anywhere_in_a_request_is_a_clear_bad_request(app, fran):
    """Nobody types a NUL, and PostgreSQL cannot store one in text (it was a server error
    there, and stored as it came on SQLite): forms, queries and addresses are refused alike,
    saying why, and nothing is stored."""
    workshop_id, code = fran
    with app.app_context():
        before = db_fingerprint()
    staff, newcomer = logged_in(app), app.test_client()
    settings = {"title": "A\x00B", "organisation": "O", "dots_per_participant": "3"}
    answers = [
        staff.post("/workshops/new", data={**settings, "levels": "Frontline"}),
        staff.post(f"/workshops/{workshop_id}/document/paste", data={"text": "We\x00 help."}),
        newcomer.post(f"/j/{code}", data={"display_name": "Am\x00ira", "level": "Frontline"}),
        newcomer.post(f"/j/{code}", data={"display_name": "Amira", "level": "Frontline\x00"}),
        newcomer.get(f"/j/{code}", query_string={"next\x00": "1"}),
        newcomer.get(f"/j/{code[:4]}%00{code[4:]}"),
    ]
    for answer in answers:
        assert answer.status_code == 400, (answer.request.path, answer.status_code)
        assert "character NUL" in answer.get_data(as_text=True), answer.request.path
    with app.app_context():
        assert db_fingerprint() == before


def test_a_participant_cannot_take_a_staff_members_name(app, fran):
    workshop_id, code = fran
    response = app.test_client().post(
        f"/j/{code}", data={"display_name": "fran facilitator", "level": "Frontline"}
    )
    assert response.status_code == 200 and b"name of one of the workshop" in response.data
    with app.app_context():
        from workshop.queries import get_workshop

        assert join(get_workshop(workshop_id), "Fran").display_name == "Fran"


def _with_huge_numbers(rule: str, number: str) -> str:
    """A route's address with every ``<int:…>`` part an absurd number (other parts: a word)."""
    import re

    return re.sub(r"<([a-z]+:)?[a-z_]+>", lambda m: number if m[1] == "int:" else "x", rule)


@pytest.mark.parametrize("number", [HUGE, PAST_INTEGER])
def test_every_address_with_a_number_in_it_answers_an_absurd_one_with_not_found(app, fran, number):
    """Not only the pages above: every route that takes an id, for every method it answers."""
    client = logged_in(app)
    checked = 0
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        path = _with_huge_numbers(rule.rule, number)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code == 404, (method, path, response.status_code)
            checked += 1
    assert checked > 30  # the whole application, not a handful of routes


@pytest.mark.parametrize("value", ["abc", HUGE, "-" + HUGE, PAST_INTEGER, "1.5", "1e3"])
@pytest.mark.parametrize("which", ["from", "to"])
def test_malformed_version_numbers_to_compare_are_a_bad_request(app, fran, which, value):
    """``?from=9223372036854775813`` once reached the database and gave a server error."""
    workshop_id, _ = fran
    numbers = {"from": "1", "to": "1", which: value}
    response = logged_in(app).get(f"/workshops/{workshop_id}/document/diff", query_string=numbers)
    assert response.status_code == 400
    assert f"“{which}” must be a whole number".encode() in response.data


def test_comparing_two_existing_versions_still_works(app, fran):
    workshop_id, _ = fran
    response = logged_in(app).get(f"/workshops/{workshop_id}/document/diff?from=1&to=1")
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["abc", HUGE, PAST_INTEGER, "1.5"])
@pytest.mark.parametrize(
    ("path", "fields", "field"),
    [
        ("/workshops/{id}/document/paste", {"text": "We help."}, "based_on"),
        ("/workshops/{id}/document/from-proposals", {}, "based_on"),
        ("/workshops/{id}/document/from-proposals", {}, "clause_key"),
        ("/workshops/{id}/document/from-proposals", {}, "proposal_ids"),
        ("/workshops/{id}/document/versions/1/restore", {}, "based_on"),
    ],
)
def test_malformed_numbers_in_staff_forms_are_a_bad_request(app, fran, path, fields, field, value):
    workshop_id, _ = fran
    with app.app_context():
        before = db_fingerprint()
    response = logged_in(app).post(path.format(id=workshop_id), data={**fields, field: value})
    assert response.status_code == 400
    assert f"“{field}” must be a whole number".encode() in response.data
    with app.app_context():
        assert db_fingerprint() == before


@pytest.mark.parametrize("value", ["abc", HUGE, PAST_INTEGER, "1.5"])
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"action": "my_part", "sentence": "I listen."}, "clause_key"),
        ({"action": "support", "clause_key": "1"}, "measure_id"),
        ({"action": "unsupport", "clause_key": "1"}, "measure_id"),
    ],
)
def test_malformed_numbers_in_a_participants_forms_are_a_bad_request(
    app, fran, fields, field, value
):
    workshop_id, code = fran
    participant = app.test_client()
    joined = participant.post(f"/j/{code}", data={"display_name": "Amira", "level": "Frontline"})
    assert joined.status_code == 302
    with app.app_context():
        before = db_fingerprint()
    response = participant.post(f"/w/{workshop_id}/mission", data={**fields, field: value})
    assert response.status_code == 400
    assert f"“{field}” must be a whole number".encode() in response.data
    with app.app_context():
        assert db_fingerprint() == before


@pytest.mark.parametrize("field", ["words_per_clause", "words_total", "dots_per_participant"])
def test_an_absurd_number_in_the_workshop_settings_is_refused_on_the_form(app, fran, field):
    workshop_id, _ = fran
    settings = {"title": "T", "organisation": "O", "dots_per_participant": "3", field: HUGE}
    with app.app_context():
        before = db_fingerprint()
    response = logged_in(app).post(f"/workshops/{workshop_id}/edit", data=settings)
    assert response.status_code == 200 and b"Settings saved" not in response.data
    with app.app_context():
        assert db_fingerprint() == before
