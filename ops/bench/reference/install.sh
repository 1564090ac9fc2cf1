#!/usr/bin/env bash
# Installs the reference peer, node-oidc-provider 9 from npm, into a scratch directory outside git
# (default /tmp/grantry-ref-oidc; REF_DIR to change it) unless it is there already, and prints the
# directory. Needs node (v20) and npm.
set -euo pipefail
DIR=${REF_DIR:-/tmp/grantry-ref-oidc}
VERSION=${REF_VERSION:-9}
if [ ! -f "$DIR/node_modules/oidc-provider/package.json" ]; then
  mkdir -p "$DIR"
  (cd "$DIR" && { [ -f package.json ] || npm init -y >/dev/null; } \
    && npm install --no-audit --no-fund --silent "oidc-provider@$VERSION" >&2)
fi
echo "$DIR"
