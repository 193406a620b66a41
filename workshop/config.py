"""Configuration: safe defaults, overridden by the environment.

Everything a deployment changes comes from environment variables so that the
same code runs on a laptop (SQLite file under ``instance/``) and on a server
(PostgreSQL, a Redis message queue) without edits.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import tempfile
from pathlib import Path


def _secret_key(instance_path: Path) -> str:
    """Return ``SECRET_KEY`` from the environment, or one generated once and kept.

    The key signs login cookies and participants' identity tokens, so it must
    survive restarts (or everyone is logged out) and must never live in the
    repository. ``instance/`` is git-ignored.
    """
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = instance_path / "secret_key"
    kept = key_file.read_text().strip() if key_file.exists() else ""
    if kept:
        _make_private(key_file)  # an older version wrote it first and made it private after
        return kept
    # None yet, or an empty file an older version left when it was killed mid-write: make
    # one, written whole and private in a file of its own before it takes the key's name.
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    handle, temporary = tempfile.mkstemp(dir=instance_path, prefix=".secret_key-")  # 0600
    try:
        with os.fdopen(handle, "w") as out:
            out.write(key)
            out.flush()
            os.fsync(out.fileno())
        if key_file.exists():
            os.replace(temporary, key_file)  # the empty one goes
        else:
            try:
                os.link(temporary, key_file)  # never over a key another process just made
            except FileExistsError:
                return key_file.read_text().strip()
            except OSError:  # a file system without hard links (FAT, some network mounts)
                os.replace(temporary, key_file)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return key


def _make_private(key_file: Path) -> None:
    try:
        if key_file.stat().st_mode & 0o077:
            key_file.chmod(0o600)
    except OSError:  # not ours to change (a read-only mount): it is used as it is
        pass


def load_config(instance_path: Path) -> dict[str, object]:
    """Build the app's config mapping from defaults and the environment."""
    default_db = f"sqlite:///{instance_path / 'workshop.sqlite3'}"
    public_url = os.environ.get("PUBLIC_URL", "")
    queue = os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None
    # Cookies only over HTTPS when the site is HTTPS (and, whatever this says, whenever a
    # request came over HTTPS: see https.py).
    secure = os.environ.get("SESSION_COOKIE_SECURE", "") == "1" or public_url.startswith("https:")
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_ENGINES": {"default": os.environ.get("DATABASE_URL", default_db)},
        # Socket.IO: threading unless `workshop serve` asks for gevent explicitly.
        "SOCKETIO_ASYNC_MODE": os.environ.get("SOCKETIO_ASYNC_MODE", "threading"),
        "SOCKETIO_MESSAGE_QUEUE": queue,
        # Origins allowed to open sockets. Empty: the app's own origin only. When set (e.g.
        # behind a proxy), list every allowed origin, the app's own included.
        "SOCKETIO_ALLOWED_ORIGINS": [
            o for o in os.environ.get("SOCKETIO_ALLOWED_ORIGINS", "").split(",") if o
        ],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_DURATION": dt.timedelta(days=14),
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 30,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "LANGUAGES": ["en", "nl"],
        "PUBLIC_URL": public_url,
        # How many proxies stand in front of the app: their X-Forwarded-* headers are believed
        # (the client's address and HTTPS). 0 believes none, as anyone can send them.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES") or 0),
        "WTF_CSRF_TIME_LIMIT": None,
        # Counters (voters, presence, editing marks, consent counts) go out at most once per
        # this many seconds per room (see realtime.py); 0 publishes each right away.
        "LIVE_COALESCE_SECONDS": float(os.environ.get("LIVE_COALESCE_SECONDS", 0.2)),
        # ...and a large room's less often: at most this many counter messages a second to one
        # room's screens on one process (up to 2,000 screens: every 0.2 s; 3,000: every 0.3 s),
        # half as many while the process has no processor time to spare.
        "LIVE_FANOUT_PER_SECOND": float(os.environ.get("LIVE_FANOUT_PER_SECOND", 10_000)),
        # WebSocket compression (permessage-deflate), which every browser asks for: off, as each
        # message is then compressed once per screen and each socket keeps a compressor (in a
        # room of 1,000: more server CPU per vote, and 214 KiB per connection instead of 78).
        "WEBSOCKET_COMPRESSION": os.environ.get("WEBSOCKET_COMPRESSION", "") == "1",
        # How many are here goes out at most once per this many seconds per room (the first
        # change after a quiet spell at once): a room of thousands arriving is not told five
        # times a second.
        "LIVE_PRESENCE_SECONDS": float(os.environ.get("LIVE_PRESENCE_SECONDS", 2.0)),
        # Several processes (a message queue): how often each says it is alive; one silent
        # for three of these has died, and the others forget the sockets it held.
        "SERVER_HEARTBEAT_SECONDS": float(os.environ.get("SERVER_HEARTBEAT_SECONDS", 10.0)),
        # How long a connection may take to send its headers and its body, and stay silent.
        "HTTP_HEADER_SECONDS": float(os.environ.get("HTTP_HEADER_SECONDS", 10)),
        "HTTP_BODY_SECONDS": float(os.environ.get("HTTP_BODY_SECONDS", 10)),
        "HTTP_IDLE_SECONDS": float(os.environ.get("HTTP_IDLE_SECONDS", 60)),
        # Connections held at once; 0: as many as the open-file limit leaves room for.
        "HTTP_MAX_CONNECTIONS": int(os.environ.get("HTTP_MAX_CONNECTIONS") or 0),
        # Throttles (see throttles.py): failed logins, wrong join codes, new participants.
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "20 per 15 minutes"),
        "JOIN_CODE_GUESS_LIMIT": os.environ.get("JOIN_CODE_GUESS_LIMIT", "10 per minute"),
        "JOIN_LIMIT_PER_ADDRESS": os.environ.get("JOIN_LIMIT_PER_ADDRESS", "60 per minute"),
        "FEEDBACK_LIMIT_PER_ADDRESS": os.environ.get("FEEDBACK_LIMIT_PER_ADDRESS", "300 per hour"),
        "RATELIMIT_STORAGE_URI": queue if (queue or "").startswith("redis") else "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # werkzeug's default: scrypt, deliberately slow to resist guessing. Another werkzeug
        # method may be named (e.g. "pbkdf2:sha256:600000" where only PBKDF2 is approved);
        # the test servers use a one-round hash, as every login there would cost 0.1 s.
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD") or "scrypt",
    }
