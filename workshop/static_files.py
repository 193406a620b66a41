"""Static files, answered before the app by WhiteNoise, gzipped for browsers that take it.

A phone's first visit to a room loads some 26 files: 321 KB as they are, 100 KB gzipped. On a
slow link that is most of the wait between "Join" and the room (``bench/first_visit.py``).
The gzipped copies are made when the app starts, in the instance folder (the source tree is
never written to), one per version of each file: a changed file gets a new copy, never a stale
one (earlier versions' copies are left: a process still running the old code may serve them).

Pages themselves are not compressed: they carry a CSRF token next to what people typed, and
compressing both together lets someone who watches the traffic work the token out (BREACH).
Static files hold no secrets.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any
from wsgiref.headers import Headers

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.responders import StaticFile

# Browsers may keep a static file this long before asking again. The files' names carry no
# version, so an upgrade reaches every page loaded at most a minute after it.
STATIC_MAX_AGE = 60
COMPRESSIBLE = {".css", ".js", ".mjs", ".svg", ".json", ".txt", ".html"}
# A copy that saves less than this is not worth serving (WhiteNoise's own rule).
WORTH_IT = 0.95
# The live client's modules import each other as `import { … } from "./name.js";`.
MODULE_IMPORT = re.compile(r'^import [^;]*?from "\./([^"]+)"', re.M)


def serve_static_files(app: Flask, gzip_folder: Path) -> None:
    """Answer /static/ before the app, with WhiteNoise: each file 0.1-0.2 ms against 0.5-0.9
    ms through the whole app (``bench/live_pages.py``), with the pages' security headers, and
    gzipped for browsers that say they take it."""
    from .views.headers import SECURITY_HEADERS

    def security_headers(headers: Any, _path: str, _url: str) -> None:
        for name, value in SECURITY_HEADERS.items():
            headers[name] = value

    root = os.path.abspath(app.static_folder or "")
    app.wsgi_app = GzippedStatic(
        app.wsgi_app,
        gzipped=gzip_copies(Path(root), gzip_folder),
        root=root,
        prefix="static/",
        max_age=STATIC_MAX_AGE,
        add_headers_function=security_headers,
    )


class GzippedStatic(WhiteNoise):
    """WhiteNoise, offering each file's gzipped copy from wherever it was made (WhiteNoise
    itself looks only beside the file, for ``name.gz``)."""

    def __init__(self, application: Any, *, gzipped: dict[str, Path], **options: Any) -> None:
        self.gzipped = gzipped  # set first: WhiteNoise scans its root as it starts
        super().__init__(application, **options)

    def get_static_file(self, path: str, url: str, stat_cache: Any = None) -> StaticFile:
        copy = self.gzipped.get(path)
        if copy is None:
            return super().get_static_file(path, url, stat_cache=stat_cache)
        headers = Headers([])
        self.add_mime_headers(headers, path, url)
        self.add_cache_headers(headers, path, url)
        if self.add_headers_function is not None:
            self.add_headers_function(headers, path, url)
        return StaticFile(path, headers.items(), encodings={"gzip": str(copy)})


def gzip_copies(root: Path, folder: Path) -> dict[str, Path]:
    """A gzipped copy of every text file under ``root`` worth compressing, by the file's
    path: made in ``folder`` unless this version of it was made before. Several processes
    starting at once each write whole files and rename them into place."""
    copies: dict[str, Path] = {}
    for source in sorted(root.rglob("*")):
        if source.suffix not in COMPRESSIBLE or not source.is_file():
            continue
        content = source.read_bytes()
        version = hashlib.sha256(content).hexdigest()[:16]
        relative = source.relative_to(root)
        copy = folder / relative.parent / f"{relative.name}.{version}.gz"
        if not copy.exists():
            compressed = gzip.compress(content, compresslevel=9, mtime=0)
            if len(compressed) >= WORTH_IT * len(content):
                continue
            _write_whole(copy, compressed)
        copies[os.path.join(root, relative)] = copy
    return copies


def _write_whole(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(handle, "wb") as out:
        out.write(content)
    os.replace(temporary, path)


def modules_imported_by(static_folder: Path, entry: str) -> list[str]:
    """``entry`` (a module's path under the static folder) and every module it imports, to
    the end of the chain. The live pages name them all for the browser to fetch at once
    (``modulepreload``), not one layer of imports after another: on a slow link the room's
    socket was live some 0.4-0.6 s sooner after "Join" (``bench/first_visit.py``)."""
    found: list[str] = []
    wanted = [entry]
    while wanted:
        module = wanted.pop(0)
        if module in found:
            continue
        found.append(module)
        folder = module.rsplit("/", 1)[0]
        text = (static_folder / module).read_text(encoding="utf-8")
        wanted += [f"{folder}/{name}" for name in MODULE_IMPORT.findall(text)]
    return found
