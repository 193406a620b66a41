"""Staff sessions end when their owner says so, and guessing is throttled for everyone."""

from __future__ import annotations

import re

import pytest

from tests.conftest import (
    PASSWORD,
    app_config,
    arrive,
    db_fingerprint,
    facilitated_workshop,
    make_user,
    make_workshop,
)
from tests.people import Person
from workshop import create_app
from workshop.extensions import db
from workshop.models import Workshop
from workshop.services import accounts


def login(client, email="fran@example.org", password=PASSWORD, **options):
    return client.post("/login", data={"email": email, "password": password}, **options)


def logged_in(client) -> bool:
    return client.get("/workshops/").status_code == 200


DOMAIN = "workshop.test"  # the test app's SERVER_NAME


def cookie(client, name: str) -> str | None:
    found = client.get_cookie(name, domain=DOMAIN)
    return found.value if found else None


def hash_methods_checked(monkeypatch) -> list[str]:
    """The method of each password hash checked from now on ("scrypt:32768:8:1", ...)."""
    checks: list[str] = []
    real = accounts.check_password_hash

    def counting(stored: str, password: str) -> bool:
        checks.append(re.sub(r"\$.*", "", stored))
        return real(stored, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    return checks


@pytest.fixture
def fran(app):
    with app.app_context():
        make_user("fran@example.org", name="Fran Facilitator")


def test_logging_out_ends_every_session_and_remember_me_token(app, fran):
    laptop = app.test_client()
    assert login(laptop).status_code == 302 and logged_in(laptop)
    session, remember = cookie(laptop, "session"), cookie(laptop, "remember_token")
    assert session and remember
    # Someone copied both cookies (a shared computer, a stolen backup).
    copy, remembered_only = app.test_client(), app.test_client()
    copy.set_cookie("session", session, domain=DOMAIN)
    remembered_only.set_cookie("remember_token", remember, domain=DOMAIN)
    assert logged_in(copy) and logged_in(remembered_only)
    laptop.post("/logout")
    assert not logged_in(laptop)
    assert not logged_in(copy)  # the old session cookie no longer works
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember, domain=DOMAIN)
    assert not logged_in(fresh)  # nor does the remember-me token alone


def _tab_on_a_workshop(app) -> tuple[Person, int]:
    with app.app_context():
        workshop_id = make_workshop(accounts.find_user("fran@example.org")).id
    tab = Person(app, workshop_id)
    assert login(tab.http).status_code == 302
    tab.connect()
    assert tab.send("state.sync", {})["ok"] is True
    return tab, workshop_id


def test_logging_out_also_ends_the_live_connection_a_tab_still_holds(app, fran):
    """A socket keeps the session cookie it connected with; a logout elsewhere drops it, and
    that cookie cannot connect again."""
    tab, workshop_id = _tab_on_a_workshop(app)
    other = app.test_client()
    login(other)
    other.post("/logout")  # ends every session of the account
    assert not tab.socket.is_connected()
    tab.connect()
    assert not tab.socket.is_connected()


def test_a_socket_whose_login_ended_cannot_act_even_before_it_is_dropped(app, fran):
    """Every command checks the login again: a socket whose login has ended but that has not
    been dropped yet (its process has not heard) is refused, not run as the account."""
    tab, workshop_id = _tab_on_a_workshop(app)
    with app.app_context():  # the login ends, and nobody drops the socket
        accounts.find_user("fran@example.org").session_token = "ended elsewhere"
        db.session.commit()
    refused = tab.send("phase.set", {"phase": "propose"})
    assert refused["ok"] is False and refused["error"]["code"] == "not_authenticated", refused
    with app.app_context():
        assert db.session.get(Workshop, workshop_id).phase == "lobby"


@pytest.mark.parametrize("ending", ["log out everywhere", "a new password"])
def test_a_login_that_ends_takes_its_live_screens_with_it(app, ending):
    """A console whose login ended elsewhere was refused every command but stayed in the
    workshop's staff room, so it went on receiving staff news: a card waiting for approval,
    with its author's name (found by an audit). Now the server drops it; the old cookie cannot
    connect again, and the browser that set the new password can."""
    console, code = facilitated_workshop(app)
    premoderated = {"kind": "propose", "prompt": "Why?", "premoderation": True}
    assert console.send("round.add", premoderated)["ok"] and console.send("round.next", {})["ok"]
    amira = arrive(app, console.workshop_id, code, "Amira")
    other = app.test_client()
    assert login(other).status_code == 302
    if ending == "log out everywhere":
        other.post("/logout")
    else:
        new = {"current": PASSWORD, "password": "a brand new password"}
        assert other.post("/account/password", data=new).status_code == 302
    assert not console.socket.is_connected()
    pending = amira.send("proposal.submit", {"body": "Words only staff may see yet"})
    assert pending["ok"] and pending["status"] == "pending"
    console.connect()  # the tab tries again, with the cookie it had
    assert not console.socket.is_connected()
    if ending == "a new password":
        here = Person(app, console.workshop_id)
        here.http = other  # the browser that changed it, with its new cookie
        here.connect()
        assert here.socket.is_connected()
        snapshot = here.events("state.snapshot")[-1]
        assert [p["status"] for p in snapshot["proposals"]] == ["pending"]


def test_a_new_password_ends_every_other_session(app, fran):
    phone, laptop = app.test_client(), app.test_client()
    login(phone), login(laptop)
    with app.app_context():
        user = accounts.find_user("fran@example.org")
        accounts.change_password(user, PASSWORD, "a brand new password")
    assert not logged_in(phone) and not logged_in(laptop)
    assert login(laptop, password="a brand new password").status_code == 302


def test_login_cookies_are_httponly_and_samesite(app, fran):
    client = app.test_client()
    response = login(client)
    set_cookies = response.headers.getlist("Set-Cookie")
    for name in ("session", "remember_token"):
        (line,) = [c for c in set_cookies if c.startswith(name + "=")]
        assert "HttpOnly" in line and "SameSite=Lax" in line


def secure_flags(response) -> dict[str, bool]:
    """Each cookie the response sets, and whether it is marked Secure."""
    flags = {}
    for line in response.headers.getlist("Set-Cookie"):
        name, *attributes = [part.strip() for part in line.split(";")]
        flags[name.split("=")[0]] = "Secure" in attributes
    return flags


def test_cookies_are_secure_when_the_app_is_served_over_https(app, fran):
    """Over HTTPS every cookie (the login, remember-me, a participant's, the language choice)
    is Secure, so the browser never sends it over plain HTTP; over plain HTTP on a laptop
    they are not, or nobody could log in there."""
    assert app.config["SESSION_COOKIE_SECURE"] is False  # not configured: follows the request
    plain = login(app.test_client())
    assert secure_flags(plain) == {"session": False, "remember_token": False}
    https = app.test_client()
    answer = https.post(
        "/login",
        data={"email": "fran@example.org", "password": PASSWORD},
        base_url=f"https://{DOMAIN}",
    )
    assert answer.status_code == 302
    assert secure_flags(answer) == {"session": True, "remember_token": True}
    chosen = https.post("/language", data={"language": "nl"}, base_url=f"https://{DOMAIN}")
    assert secure_flags(chosen)["language"] is True
    logged_out = https.post("/logout", base_url=f"https://{DOMAIN}")
    assert secure_flags(logged_out) and all(secure_flags(logged_out).values())
    with app.app_context():
        code = make_workshop(accounts.find_user("fran@example.org")).join_code
    amira = app.test_client()
    joined = amira.post(
        f"/j/{code}",
        data={"display_name": "Amira", "level": "Frontline"},
        base_url=f"https://{DOMAIN}",
    )
    assert joined.status_code == 302 and secure_flags(joined) == {"session": True}
    # Pages that send the (refreshed) cookie again send it Secure too.
    room = amira.get(joined.headers["Location"], base_url=f"https://{DOMAIN}")
    assert room.status_code == 200 and secure_flags(room) == {"session": True}


def test_behind_a_trusted_proxy_its_https_makes_cookies_secure(app, fran, tmp_path):
    """A proxy that ends TLS says so in X-Forwarded-Proto; the app believes it only when told
    how many proxies stand in front of it (TRUSTED_PROXIES), since anyone can send the header."""
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    untrusted = login(app.test_client(), headers=forwarded)
    assert secure_flags(untrusted) == {"session": False, "remember_token": False}
    database = app.config["SQLALCHEMY_ENGINES"]["default"]
    behind_proxy = create_app(
        {
            **app_config(tmp_path, database),
            "TRUSTED_PROXIES": 1,
            "LOGIN_LIMIT_PER_ADDRESS": "1 per minute",
        }
    )
    try:
        trusted = login(behind_proxy.test_client(), headers=forwarded)
        assert trusted.status_code == 302
        assert secure_flags(trusted) == {"session": True, "remember_token": True}
        # The proxy's word on who is asking counts too: a throttle per address is per person
        # behind the proxy, not one for everyone.
        guesser = behind_proxy.test_client()
        for expected in (200, 429):
            answer = login(guesser, "a@example.org", "wrong password!", headers=forwarded)
            assert answer.status_code == expected
        neighbour = {**forwarded, "X-Forwarded-For": "203.0.113.10"}
        assert login(guesser, "b@example.org", "wrong!", headers=neighbour).status_code == 200
    finally:
        with behind_proxy.app_context():
            db.engine.dispose()


def test_a_public_https_address_makes_cookies_secure_even_over_plain_http(monkeypatch, tmp_path):
    """TLS ended by a proxy the app does not trust: PUBLIC_URL (or SESSION_COOKIE_SECURE=1)
    still says the site is HTTPS."""
    from workshop.config import load_config

    monkeypatch.setenv("PUBLIC_URL", "https://mission.example.org")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    config = load_config(tmp_path)
    assert config["SESSION_COOKIE_SECURE"] is True and config["REMEMBER_COOKIE_SECURE"] is True
    monkeypatch.setenv("PUBLIC_URL", "")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    assert load_config(tmp_path)["SESSION_COOKIE_SECURE"] is True


def test_passwords_are_hashed_with_scrypt_unless_the_deployment_names_another_method(
    app, monkeypatch, tmp_path
):
    """New hashes follow PASSWORD_HASH_METHOD; an account hashed before keeps logging in."""
    from workshop.config import load_config

    monkeypatch.delenv("PASSWORD_HASH_METHOD", raising=False)
    assert load_config(tmp_path)["PASSWORD_HASH_METHOD"] == "scrypt"
    monkeypatch.setenv("PASSWORD_HASH_METHOD", "pbkdf2:sha256:600000")
    method = load_config(tmp_path)["PASSWORD_HASH_METHOD"]
    with app.app_context():
        before = make_user("before@example.org")  # the tests' own fast method
        monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", method)
        after = make_user("after@example.org")
        assert after.password_hash.startswith("pbkdf2:sha256:600000$")
        assert not before.password_hash.startswith("pbkdf2:sha256:600000$")
        for email in ("before@example.org", "after@example.org"):
            assert accounts.authenticate(email, PASSWORD).email == email


@pytest.mark.waits  # for the throttle's two seconds to pass
def test_password_guessing_is_throttled_per_account_even_with_the_right_password(
    app, fran, monkeypatch
):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "3 per 2 seconds")
    guesser = app.test_client()
    for _ in range(3):
        assert login(guesser, password="wrong password!").status_code == 200
    assert login(guesser, password="wrong password!").status_code == 429
    # While throttled, the right password is refused too: guessing stays pointless.
    assert login(guesser).status_code == 429
    assert login(app.test_client()).status_code == 429  # per account, from anywhere
    assert login(app.test_client(), email="other@example.org").status_code == 200  # not others
    from time import sleep

    sleep(2.1)
    assert login(guesser).status_code == 302


def test_password_guessing_is_throttled_per_address(app, fran, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "4 per minute")
    guesser = app.test_client()
    for number in range(4):
        login(guesser, email=f"person{number}@example.org", password="wrong password!")
    assert login(guesser).status_code == 429


def test_only_failed_logins_count(app, fran, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "2 per minute")
    for _ in range(5):
        client = app.test_client()
        assert login(client).status_code == 302


def test_join_codes_cannot_be_guessed_at_speed(app, fran, monkeypatch):
    monkeypatch.setitem(app.config, "JOIN_CODE_GUESS_LIMIT", "5 per minute")
    with app.app_context():
        workshop = make_workshop(accounts.find_user("fran@example.org"))
        code = workshop.join_code
    guesser = app.test_client()
    for index in range(3):
        assert guesser.get(f"/j/ZZZZZZZ{index + 2}").status_code == 404
    for index in range(2):
        response = guesser.post("/", data={"code": f"YYYYYYY{index + 2}"})
        assert response.status_code == 200 and b"No open workshop" in response.data
    assert guesser.get(f"/j/{code}").status_code == 429  # even the right code, for now
    assert app.test_client().get(f"/j/{code}").status_code == 429  # the same address
    assert b"Too many tries" in guesser.post("/", data={"code": code}).data


def test_a_room_can_join_from_one_address_but_not_a_flood(app, fran, monkeypatch):
    monkeypatch.setitem(app.config, "JOIN_LIMIT_PER_ADDRESS", "3 per minute")
    with app.app_context():
        workshop = make_workshop(accounts.find_user("fran@example.org"))
        code = workshop.join_code
    answers = []
    for number in range(4):
        browser = app.test_client()
        answers.append(
            browser.post(
                f"/j/{code}", data={"display_name": f"Person {number}", "level": "Frontline"}
            ).status_code
        )
    assert answers == [302, 302, 302, 429]


def test_an_unknown_email_costs_the_same_password_check(app, fran, monkeypatch):
    """The answer's time does not tell which emails have accounts: both paths hash once."""
    checks = hash_methods_checked(monkeypatch)
    with app.app_context():
        for email in ("fran@example.org", "nobody@example.org"):
            with pytest.raises(accounts.NotAuthenticated):
                accounts.authenticate(email, "wrong password!")
    assert len(checks) == 2 and checks[0] == checks[1]  # the same method and cost


def test_the_password_page_changes_it_and_keeps_only_this_browser_in(app, fran):
    here, elsewhere = app.test_client(), app.test_client()
    login(here), login(elsewhere)
    wrong = here.post(
        "/account/password", data={"current": "not it at all", "password": "a brand new one!"}
    )
    assert wrong.status_code == 200 and b"current password is not right" in wrong.data
    done = here.post(
        "/account/password", data={"current": PASSWORD, "password": "a brand new one!"}
    )
    assert done.status_code == 302
    assert logged_in(here) and not logged_in(elsewhere)


WORKSHOP_FORM = {
    "title": "Mission 2027",
    "organisation": "Harbour Health",
    "levels": "Frontline\nManager",
    "dots_per_participant": "3",
    "amendment_method": "consent",
}


def test_the_facilitator_sets_how_many_may_join_and_nobody_past_it_gets_in(app, fran):
    fran_browser = app.test_client()
    login(fran_browser)
    new_form = fran_browser.get("/workshops/new").data.decode()
    assert re.search(r'id="max_participants"[^>]*value="500"', new_form)  # the default
    created = fran_browser.post("/workshops/new", data={**WORKSHOP_FORM, "max_participants": "2"})
    workshop_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    with app.app_context():
        workshop = db.session.get(Workshop, workshop_id)
        assert workshop.max_participants == 2
        code = workshop.join_code
    # The console says so; the settings show it.
    assert "Up to 2 people can join." in fran_browser.get(f"/workshops/{workshop_id}").text
    edit = f"/workshops/{workshop_id}/edit"
    assert re.search(r'id="max_participants"[^>]*value="2"', fran_browser.get(edit).text)
    # A save of other settings keeps it: as the form sends it, and without the field.
    fran_browser.post(edit, data={**WORKSHOP_FORM, "title": "Renamed", "max_participants": "2"})
    fran_browser.post(edit, data={**WORKSHOP_FORM, "title": "Renamed again"})
    with app.app_context():
        workshop = db.session.get(Workshop, workshop_id)
        assert (workshop.title, workshop.max_participants) == ("Renamed again", 2)

    def join_as(browser, name):
        return browser.post(f"/j/{code}", data={"display_name": name, "level": "Frontline"})

    amira, joost, sanne = app.test_client(), app.test_client(), app.test_client()
    assert join_as(amira, "Amira").status_code == 302
    assert join_as(joost, "Joost").status_code == 302
    with app.app_context():
        before = db_fingerprint()
    refused = join_as(sanne, "Sanne")
    assert refused.status_code == 409
    assert "This workshop is full: 2 people have joined" in refused.text
    with app.app_context():
        assert db_fingerprint() == before  # nobody was created
    # Someone who joined comes back with their cookie, full or not.
    back = amira.get(f"/j/{code}")
    assert back.status_code == 302 and back.headers["Location"].endswith(f"/w/{workshop_id}")
    assert amira.get(f"/w/{workshop_id}").status_code == 200
    # Room for one more: Sanne gets in.
    fran_browser.post(edit, data={**WORKSHOP_FORM, "max_participants": "3"})
    assert join_as(sanne, "Sanne").status_code == 302


def test_the_cap_on_the_form_stays_in_range(app, fran):
    browser = app.test_client()
    login(browser)
    for cap in ("0", "10001", "many"):
        answer = browser.post("/workshops/new", data={**WORKSHOP_FORM, "max_participants": cap})
        assert answer.status_code == 200 and 'id="max_participants-error"' in answer.text
    with app.app_context():
        assert db.session.query(Workshop).count() == 0


# ---- found by an audit of accounts and sessions -------------------------------------------


def _session_of(app, client) -> dict:
    return app.session_interface.get_signing_serializer(app).loads(cookie(client, "session"))


def _invite_made_on(app, laptop) -> int:
    with app.app_context():
        workshop_id = make_workshop(accounts.find_user("fran@example.org")).id
    assert login(laptop).status_code == 302
    made = laptop.post(
        f"/workshops/{workshop_id}/invites",
        data={"email": "new@example.org", "role": "facilitator"},
    )
    assert made.status_code == 302
    assert _session_of(app, laptop)["invite_links"]  # copyable while logged in
    return workshop_id


def test_logging_out_takes_the_invite_links_out_of_the_browser(app, fran):
    """The session cookie is signed, not secret: the links it kept for copying (each makes
    whoever opens it staff) stayed in it after "Log out", for the next person at a shared
    computer to read and use."""
    laptop = app.test_client()
    workshop_id = _invite_made_on(app, laptop)
    tokens = list(_session_of(app, laptop)["invite_links"].values())
    laptop.post("/logout")
    assert "invite_links" not in _session_of(app, laptop)
    assert not logged_in(laptop)
    # And what a stranger would have done with them, had they been read before:
    page = laptop.get(f"/workshops/{workshop_id}/invites")
    assert page.status_code != 200 and tokens  # (the links themselves work until used)


def test_someone_else_logging_in_on_the_browser_does_not_see_the_invite_links(app, fran):
    laptop = app.test_client()
    _invite_made_on(app, laptop)
    with app.app_context():
        make_user("ola@example.org", name="Ola Other")
    assert login(laptop, email="ola@example.org").status_code == 302  # without logging out
    assert "invite_links" not in _session_of(app, laptop)


def test_the_invites_page_with_its_working_links_is_kept_in_no_cache(app, fran):
    laptop = app.test_client()
    workshop_id = _invite_made_on(app, laptop)
    page = laptop.get(f"/workshops/{workshop_id}/invites")
    assert "/invite/" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"


def test_the_current_password_is_not_guessed_at_speed_on_the_password_page(app, fran, monkeypatch):
    """A session left open let anyone guess the password on the password page at full speed
    (the login page allows five guesses in 15 minutes); a hit set a password they knew."""
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "3 per minute")
    left_open = app.test_client()
    assert login(left_open).status_code == 302
    answers = [
        left_open.post(
            "/account/password",
            data={"current": f"guess number {n}", "password": "a brand new password"},
        ).status_code
        for n in range(4)
    ]
    assert answers == [200, 200, 200, 429]
    assert login(app.test_client()).status_code == 429  # the login counts them too


def test_a_password_hashed_the_old_way_is_hashed_the_new_way_at_login(app, fran, monkeypatch):
    """After PASSWORD_HASH_METHOD changed, accounts kept their old hashes while an unknown
    email was checked against a decoy of the new method: the time of the answer told which
    emails have accounts. A login now hashes the password again the new way."""
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000")
    checks = hash_methods_checked(monkeypatch)
    with app.app_context():
        assert accounts.authenticate("fran@example.org", PASSWORD).email == "fran@example.org"
        checks.clear()
        for email in ("fran@example.org", "nobody@example.org"):
            with pytest.raises(accounts.NotAuthenticated):
                accounts.authenticate(email, "wrong password!")
    assert checks == ["pbkdf2:sha256:1000", "pbkdf2:sha256:1000"]


def test_a_console_whose_login_ends_while_it_connects_is_dropped(app, monkeypatch):
    """ "Log out everywhere" landed while a copied-cookie console was half way through its
    connect (its rooms joined, its row not yet written): the logout found no row to drop, and
    the screen stayed in the staff room receiving staff news (a card awaiting approval)."""
    from workshop import realtime

    console, code = facilitated_workshop(app)
    premoderated = {"kind": "propose", "prompt": "Why?", "premoderation": True}
    assert console.send("round.add", premoderated)["ok"] and console.send("round.next", {})["ok"]
    amira = arrive(app, console.workshop_id, code, "Amira Unique")
    copied = Person(app, console.workshop_id)
    copied.http = console.http
    real_send = realtime.send_snapshot
    ended = []

    def logout_lands_meanwhile(sid, snapshot):
        if not ended:
            ended.append(True)
            accounts.end_every_session(accounts.find_user("fran@example.org"))
        return real_send(sid, snapshot)

    monkeypatch.setattr(realtime, "send_snapshot", logout_lands_meanwhile)
    copied.connect()
    monkeypatch.setattr(realtime, "send_snapshot", real_send)
    assert ended
    assert amira.send("proposal.submit", {"body": "Words only staff may see yet"})["ok"]
    assert not copied.socket.is_connected()
