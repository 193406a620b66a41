#!/usr/bin/env bash
# Install everything the tests need, then lint and run the whole suite.
# Works on a fresh Debian machine: Chromium for the browser tests comes from
# Debian (Playwright cannot download its own browser here), Python packages
# go into .venv. Extra arguments go to pytest, e.g. `bash scripts/test.sh -k votes`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Chromium from Debian for the browser tests…"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

.venv/bin/ruff check .
.venv/bin/pytest "$@"
