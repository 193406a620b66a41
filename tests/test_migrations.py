"""The migrations build exactly the schema the models describe, and the schema keeps the
rules the models promise even against writes that bypass the code."""

import os
import subprocess
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.conftest import (
    TEST_DATABASE_URL,
    drop_postgresql_database,
    join,
    make_user,
    make_workshop,
    on_postgresql,
    postgresql_admin,
    sqlite_only,
)
from tests.live_server import workshop_executable
from workshop.extensions import db
from workshop.migrate import MIGRATIONS_DIR
from workshop.models import Base
from workshop.services import proposals, rounds


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


@sqlite_only
def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


VOTE_TABLES = (
    "ballots",
    "amendment_votes",
    "clause_votes",
    "duel_ballots",
    "tag_supports",
    "measure_supports",
    "my_parts",
)


@sqlite_only
def test_votes_are_not_stored_in_the_order_they_were_cast(app):
    """Every vote table is keyed by random ids without row ids: rows lie in key order in the
    file, which says nothing about who voted when."""
    with app.app_context(), db.engine.connect() as connection:
        for table in VOTE_TABLES:
            sql = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = ?", (table,)
            ).scalar()
            assert sql.rstrip().endswith("WITHOUT ROWID"), table


def _refused(connection, sql: str, **params) -> bool:
    """Whether the database itself refuses a write (the rule holds even if code forgets it)."""
    try:
        with connection.begin_nested():
            connection.execute(sa.text(sql), params)
    except sa.exc.IntegrityError:
        return True
    except sa.exc.ProgrammingError as error:  # how pg8000 reports most integrity errors
        details = error.orig.args[0] if error.orig.args else None
        sqlstate = details.get("C", "") if isinstance(details, dict) else ""
        if sqlstate.startswith("23"):  # class 23: integrity constraint violation
            return True
        raise
    return False


@pytest.fixture
def raw(app):
    """A plain connection to the migrated database, with one workshop and one proposal."""
    with app.app_context():
        owner = make_user("a@b.org")
        workshop = make_workshop(owner)
        rounds.set_phase(owner, workshop.id, "propose")
        proposals.submit_proposal(join(workshop), workshop.id, "We care")
        # Plain SQL from here: the rules must hold for writes that bypass the code.
        db.session.execute(sa.text("DELETE FROM rounds"))
        db.session.commit()
        with db.engine.connect() as connection:
            yield connection


ROUND = (
    "INSERT INTO rounds (workshop_id, position, kind, prompt, duration_seconds, status,"
    " method, dots_budget, pick_limit, blind, breakdown_by_level, premoderation, words)"
    " VALUES (1, :position, :kind, '', 60, :status, :method, 3, 5, TRUE, FALSE, FALSE, '[]')"
)


def test_a_workshop_has_at_most_one_running_or_paused_round(raw):
    assert not _refused(raw, ROUND, position=0, kind="propose", status="running", method=None)
    assert not _refused(raw, ROUND, position=1, kind="propose", status="ended", method=None)
    assert not _refused(raw, ROUND, position=2, kind="propose", status="pending", method=None)
    assert _refused(raw, ROUND, position=3, kind="propose", status="running", method=None)
    assert _refused(raw, ROUND, position=3, kind="propose", status="paused", method=None)


@pytest.mark.parametrize(
    ("kind", "method", "refused"),
    [
        ("vote", "dot", False),
        ("vote", "consent", False),  # consent on each proposal of the ballot
        ("consent", None, False),  # consent on the draft's clauses: no ballots
        ("values", None, False),
        ("vote", None, True),  # a vote needs a method
        ("values", "dot", True),  # values ballots are not votes by a method
        ("consent", "consent", True),
        ("consent", "dot", True),
        ("vote", "plurality", True),  # not a method we have
    ],
)
def test_a_rounds_method_matches_its_kind(raw, kind, method, refused):
    assert _refused(raw, ROUND, position=0, kind=kind, status="pending", method=method) is refused


TAG = (
    "INSERT INTO value_tags (proposal_id, amendment_id, value_key, confirmed, created_at)"
    " VALUES (:proposal_id, NULL, 'care', TRUE, '2026-01-01')"
)


def test_a_value_tag_belongs_to_exactly_one_proposal_or_amendment(raw):
    assert _refused(raw, TAG, proposal_id=None)
    assert not _refused(raw, TAG, proposal_id=1)


def test_enumerated_columns_refuse_values_outside_their_enum(raw):
    audit = (
        "INSERT INTO audit_entries (workshop_id, actor_id, action, summary, created_at)"
        " VALUES (1, 1, :action, '', '2026-01-01')"
    )
    assert not _refused(raw, audit, action="round.start")
    assert _refused(raw, audit, action="started a round")
    assert _refused(raw, "UPDATE workshops SET anonymity = 'secret' WHERE id = 1")


def test_the_migrations_are_one_line_of_history_that_never_imports_the_models(app):
    """The initial schema (the pre-release history squashed into one), then one migration per
    change since; none imports the models, so old steps never change when the models do."""
    versions = MIGRATIONS_DIR / "versions"
    assert sorted(p.name for p in versions.glob("*.py")) == [
        "0001_initial.py",
        "0002_participant_join_key.py",
        "0003_room_path_indexes.py",
        "0004_final_readiness.py",
        "0005_ballot_op_keys.py",
        "0006_pending_erasures.py",
        "0007_final_record.py",
        "0008_itemised_voter_hashes.py",
    ]
    for script in versions.glob("*.py"):
        assert "workshop.models" not in script.read_text()


@pytest.fixture
def fresh_database_url(tmp_path) -> Iterator[str]:
    """The URL of a database with nothing in it yet, on the backend the suite runs on."""
    if not on_postgresql:
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    name = f"workshop_fresh_{os.getpid()}"
    admin = postgresql_admin()
    drop_postgresql_database(admin, name)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield sa.engine.make_url(TEST_DATABASE_URL).set(database=name).render_as_string(False)
    drop_postgresql_database(admin, name)


@pytest.mark.waits  # three processes start up
def test_servers_started_at_once_on_a_fresh_database_all_come_up(fresh_database_url):
    """README's scale-out starts several `workshop serve` at once, and each brings the schema
    up to date first: on a fresh database every one saw no tables and all but one failed
    ("table users already exists"). They now migrate one after another."""
    env = {**os.environ, "DATABASE_URL": fresh_database_url, "SECRET_KEY": "shared-test-key"}
    env.pop("SOCKETIO_MESSAGE_QUEUE", None)
    upgrades = [
        subprocess.Popen(
            [str(workshop_executable()), "db", "upgrade"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [upgrade.communicate(timeout=120)[0] for upgrade in upgrades]
    assert [upgrade.returncode for upgrade in upgrades] == [0, 0, 0], "\n".join(outputs)
    engine = sa.create_engine(fresh_database_url, poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            assert context.get_current_heads() == ("0008",)
    finally:
        engine.dispose()


def test_an_open_workshops_anonymous_answers_are_still_its_peoples_after_the_upgrade(app, ctx):
    """0008 gives each fully anonymous answer on a clause, tag or measure a hash made with its
    item. A workshop under way at the upgrade keeps its answers: each person still finds and
    changes their own, and no two of one person's rows share a hash any more."""
    from alembic import command

    from workshop.migrate import alembic_config, upgrade_database
    from workshop.models import Anonymity, ClauseVote, MyPart
    from workshop.queries import clauses_of, latest_version, participant_clause_votes
    from workshop.services import consent, editing, my_part

    owner = make_user("fran@example.org")
    workshop = make_workshop(owner)
    workshop.anonymity = Anonymity.FULL
    db.session.commit()
    editing.paste_document(owner, workshop.id, "## A\n\nWe care.\n\n## B\n\nWe ask.", based_on=None)
    first, second = (c.key for c in clauses_of(latest_version(workshop.id)))
    amira, bo = join(workshop, "Amira"), join(workshop, "Bo")
    for person, choice in ((amira, "object"), (bo, "agree")):
        for key in (first, second):
            consent.vote_on_clause(person, key, choice, "No" if choice == "object" else "")
            my_part.write_my_part(person, key, f"{person.display_name} helps")
    db.session.commit()

    def hashes(model) -> list[str]:
        return list(db.session.scalars(sa.select(model.voter_hash)))

    def migrate(step, revision: str) -> None:
        db.session.close()
        config = alembic_config()
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            step(config, revision)

    migrate(command.downgrade, "0007")  # the hashes as the older version made them
    for model in (ClauseVote, MyPart):
        assert len(set(hashes(model))) == 2, "one hash per person, as before"
    upgrade_database(app)
    for model in (ClauseVote, MyPart):
        assert len(set(hashes(model))) == 4, "one hash per answer"
    amira = db.session.merge(amira)
    assert {v.clause_key: v.choice for v in participant_clause_votes(amira)} == {
        first: "object",
        second: "object",
    }
    consent.vote_on_clause(amira, second, "agree")  # changes hers, adds none
    assert len(hashes(ClauseVote)) == 4
    assert my_part.my_parts(amira) == {first: "Amira helps", second: "Amira helps"}
