"""WSGI entry for other servers, e.g. ``gunicorn -k gevent -w 1 wsgi:app``.

``workshop serve`` is the supported way to run the app; it upgrades the
database first and sets gevent explicitly. A WSGI server must use a worker
that supports WebSockets (gevent) and, for more than one worker, a message
queue (SOCKETIO_MESSAGE_QUEUE=redis://...). What ``workshop serve`` also does
for presence (forgetting the sockets of an earlier run or of a dead process,
heartbeats among several: workshop/services/servers.py) is then not done.
"""

import os

os.environ.setdefault("SOCKETIO_ASYNC_MODE", "gevent")

from workshop import create_app  # noqa: E402

app = create_app()
