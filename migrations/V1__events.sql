-- PLACEHOLDER (embedded-pg branch only): lets the embedded PostgreSQL / Flyway tests run before the
-- real schema exists. Drop this file when merging; the real V1__events.sql is written on main.
CREATE TABLE IF NOT EXISTS grantry_placeholder (id int);
