#!/usr/bin/env bash
# Install everything the tests need, then lint and run the whole suite.
# Works on a fresh Debian machine: Chromium for the browser tests comes from
# Debian (Playwright cannot download its own browser here), Python packages
# go into .venv. Extra arguments go to pytest, e.g. `bash scripts/test.sh -k votes`.
set -euo pipefail
cd "$(dirname "$0")/.."

# PDF exports (WeasyPrint) need Pango and a serif font from Debian too.
APT_PACKAGES=""
[ -x /usr/bin/chromium ] || APT_PACKAGES="chromium fonts-dejavu-core"
if ! dpkg -s libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null 2>&1; then
  APT_PACKAGES="${APT_PACKAGES/ fonts-dejavu-core/} libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"
fi
# pdftoppm renders the exported PDF's pages to images in the browser tests.
command -v pdftoppm >/dev/null || APT_PACKAGES="$APT_PACKAGES poppler-utils"
if [ -n "$APT_PACKAGES" ]; then
  echo "Installing from Debian:$APT_PACKAGES (Chromium for the browser tests, Pango for PDFs, Poppler to look at them)…"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086 # one word per package
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $APT_PACKAGES >/dev/null
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

.venv/bin/ruff check .
.venv/bin/ruff format --check .

# Two runs: everything but the browser tests on every core (each worker has its own
# databases), then the browser tests one at a time (each drives Chromium and a server).
# A run that selects no tests (exit code 5) is fine: the arguments may pick only one kind.
run() {
  local status=0
  .venv/bin/pytest "$@" || status=$?
  [ "$status" -eq 0 ] || [ "$status" -eq 5 ] || exit "$status"
}
run -m "not browser" -n auto "$@"
run -m browser "$@"
