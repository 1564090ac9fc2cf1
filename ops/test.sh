#!/usr/bin/env bash
# Runs the whole test suite: every module's tests against a real (embedded) PostgreSQL and the
# browser tests in Debian's Chromium. What Maven cannot bring (chromium, chromium-driver, jq) is
# installed here with apt-get when missing and we are root; otherwise the browser tests fail
# with a message saying what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
  || ! command -v jq >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ops/test.sh: installing chromium and chromium-driver for the browser tests, jq for ops/audit.md's examples"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver jq >/dev/null
  else
    echo "ops/test.sh: chromium, chromium-driver or jq is missing; install them (apt-get install chromium chromium-driver jq)" >&2
  fi
fi

exec mvn -B verify "$@"
