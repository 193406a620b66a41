"""The instance's secret key, made on a first start without ``SECRET_KEY``: it signs every
cookie and keys the fully anonymous voter hashes, so a kill at any moment of its making must
leave either no key (the next start makes one) or the whole key, readable by its owner only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from workshop import create_app
from workshop.config import load_config
from workshop.migrate import upgrade_database

ROOT = Path(__file__).resolve().parent.parent

# The first start is killed once the key's bytes are on their way to the disk, before the
# key file has its name: the moment an older version left an empty file behind.
_KILLED_WHILE_WRITING = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from workshop.config import load_config

    def die(fd):
        os.kill(os.getpid(), signal.SIGKILL)

    os.fsync = die
    load_config(Path(sys.argv[1]))
    """
)


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    folder = tmp_path / "instance"
    folder.mkdir()
    return folder


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_a_first_start_keeps_one_private_key_for_every_later_start(instance: Path) -> None:
    key = load_config(instance)["SECRET_KEY"]
    assert isinstance(key, str) and len(key) >= 32
    assert _mode(instance / "secret_key") == 0o600
    assert load_config(instance)["SECRET_KEY"] == key
    assert [p.name for p in instance.iterdir()] == ["secret_key"]  # no temporary file left


def test_a_kill_while_the_key_is_written_leaves_no_key_and_the_next_start_makes_one(
    instance: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_WHILE_WRITING, str(instance)],
        env={**os.environ, "SECRET_KEY": ""},
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    assert not (instance / "secret_key").exists()
    key = load_config(instance)["SECRET_KEY"]
    assert key and (instance / "secret_key").read_text() == key
    assert _mode(instance / "secret_key") == 0o600


def test_an_empty_key_file_left_by_an_older_version_is_replaced_and_people_get_in(
    instance: Path, tmp_path: Path
) -> None:
    (instance / "secret_key").write_text("")
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'w.sqlite3'}",
            "TESTING": True,
        }
    )
    upgrade_database(app)
    assert app.test_client().get("/setup").status_code == 200  # a page with a form
    assert app.config["SECRET_KEY"] == (instance / "secret_key").read_text()
    assert _mode(instance / "secret_key") == 0o600


def test_a_key_left_readable_by_others_is_made_private_and_kept(instance: Path) -> None:
    (instance / "secret_key").write_text("an-older-key-that-signed-yesterdays-cookies\n")
    (instance / "secret_key").chmod(0o644)
    assert load_config(instance)["SECRET_KEY"] == "an-older-key-that-signed-yesterdays-cookies"
    assert _mode(instance / "secret_key") == 0o600


def test_a_file_system_without_hard_links_still_gets_its_key(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*_args: object) -> None:
        raise PermissionError("Operation not permitted")  # what FAT and some mounts answer

    monkeypatch.setattr(os, "link", no_links)
    key = load_config(instance)["SECRET_KEY"]
    assert key and (instance / "secret_key").read_text() == key
    assert _mode(instance / "secret_key") == 0o600
    assert [p.name for p in instance.iterdir()] == ["secret_key"]
