#!/usr/bin/env bash
# The token-endpoint part of the benchmark kit, kept for its old command line:
# client_credentials (ES256, RS256 JWT) and JWT introspection at 16 and 64 connections.
# Usage: ops/bench/tokens.sh [seconds=20] [rounds=3]   (the full kit: ops/bench/run.sh [rounds] [seconds])
set -euo pipefail
cd "$(dirname "$0")"
WORKLOADS=${WORKLOADS:-cc-es256 cc-rs256 introspect-jwt} exec ./run.sh "${2:-3}" "${1:-20}"
