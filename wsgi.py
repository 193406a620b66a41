"""WSGI entry for other servers: ``gunicorn -k gevent -w 1 wsgi:app``.

``workshop serve`` is the supported way to run the app. A WSGI server must use a worker that
supports WebSockets (gevent, whose worker patches the standard library before it loads this
file) and, for more than one worker, a message queue (SOCKETIO_MESSAGE_QUEUE=redis://...).
Not ``--preload``: each worker must load the app itself, after gevent has patched it.

Around the server, this file does what ``workshop serve`` does: it upgrades the database,
and starts serving (alone, the sockets of an earlier run are forgotten, or their people would
be counted as here for ever; among several, heartbeats: workshop/services/servers.py); a
worker that exits forgets the sockets it held and tells their rooms. gunicorn kills a worker
still holding WebSockets at the end of ``--graceful-timeout`` instead, with no time for that:
its sockets are then forgotten when it starts again, or when the others find it silent.
"""

import atexit
import os

os.environ.setdefault("SOCKETIO_ASYNC_MODE", "gevent")

from workshop import create_app  # noqa: E402
from workshop.migrate import upgrade_database  # noqa: E402
from workshop.services import servers  # noqa: E402

app = create_app()
with app.app_context():
    upgrade_database(app)
    servers.start_serving(app)


@atexit.register
def _stop_serving() -> None:
    with app.app_context():
        servers.stop_serving()
