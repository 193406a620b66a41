#!/usr/bin/env bash
# Install everything the tests need, then lint and run the whole suite.
# Works on a fresh Debian machine: headless Chromium for the browser tests comes from
# Debian (Playwright cannot download its own browser here), Python packages
# go into .venv. Extra arguments go to pytest, e.g. `bash scripts/test.sh -k votes`.
set -euo pipefail
cd "$(dirname "$0")/.."

# PDF exports (WeasyPrint) need Pango and a serif font from Debian too.
APT_PACKAGES=""
[ -x /usr/bin/chromium-headless-shell ] || APT_PACKAGES="chromium-headless-shell fonts-dejavu-core"
if ! dpkg -s libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null 2>&1; then
  APT_PACKAGES="${APT_PACKAGES/ fonts-dejavu-core/} libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"
fi
# pdftoppm renders the exported PDF's pages to images in the browser tests.
command -v pdftoppm >/dev/null || APT_PACKAGES="$APT_PACKAGES poppler-utils"
# Scale-out: the suite runs on PostgreSQL too, and two servers share a Redis queue.
command -v pg_ctlcluster >/dev/null || APT_PACKAGES="$APT_PACKAGES postgresql"
[ -x /usr/bin/redis-server ] || APT_PACKAGES="$APT_PACKAGES redis-server"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
if [ -n "$APT_PACKAGES" ]; then
  echo "Installing from Debian:$APT_PACKAGES (Chromium for the browser tests, Pango for PDFs, Poppler to look at them, PostgreSQL and Redis for scale-out)…"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086 # one word per package
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $APT_PACKAGES >/dev/null
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy  # the package's types ([tool.mypy] in pyproject.toml)

# Three runs, each on every core (each worker has its own databases, and each browser test
# its own server and Chromium): everything but the browser tests on SQLite, the same on
# PostgreSQL, then the browser tests. The first two have one worker more than the machine
# has cores: one worker spends its first half minute on the tests that mostly wait (servers
# and timers, marked `waits`), and the extra one keeps the cores busy meanwhile. They do not
# import the browser tests at all (each worker collects every test it is not told to ignore).
# A run that selects no tests (exit code 5) is fine: the arguments may pick only one kind.
run() {
  local status=0
  .venv/bin/pytest "$@" || status=$?
  [ "$status" -eq 0 ] || [ "$status" -eq 5 ] || exit "$status"
}
WORKERS=$(($(nproc) + 1))
run -m "not browser" --ignore=tests/browser -n "$WORKERS" "$@"

# The same suite on PostgreSQL: Debian's cluster, started if it is not running, with a role
# that may create the per-worker test databases (tests/conftest.py). TEST_DATABASE_URL set
# beforehand points at another server instead.
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  read -r PG_VERSION PG_CLUSTER PG_PORT _ < <(pg_lsclusters -h | head -n 1)
  $SUDO pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start 2>/dev/null || true
  $SUDO runuser -u postgres -- psql -p "$PG_PORT" -qc "DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'workshop_test') THEN
      CREATE ROLE workshop_test LOGIN CREATEDB PASSWORD 'workshop_test';
    END IF; END \$\$;"
  TEST_DATABASE_URL="postgresql+pg8000://workshop_test:workshop_test@127.0.0.1:$PG_PORT/postgres"
fi
TEST_DATABASE_URL="$TEST_DATABASE_URL" run -m "not browser" --ignore=tests/browser -n "$WORKERS" "$@"

run -m browser -n auto "$@"
