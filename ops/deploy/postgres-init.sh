#!/bin/sh
# First start of the compose stack's PostgreSQL: the role Grantry connects as, without
# superuser, owning its database (what it needs: ops/README.md, "PostgreSQL").
set -eu
psql -v ON_ERROR_STOP=1 -v pw="$GRANTRY_DB_PASSWORD" --username "$POSTGRES_USER" <<'SQL'
CREATE ROLE grantry LOGIN PASSWORD :'pw';
CREATE DATABASE grantry OWNER grantry;
REVOKE ALL ON DATABASE grantry FROM PUBLIC;
SQL
