-- Grants by user for the grants that have one. client_credentials grants have no user (user_id is
-- NULL) and are most of the rows written: a B-tree indexes NULLs too, so each of their inserts
-- paid for an index entry no query reads (every query by user says user_id = $1, which the planner
-- knows implies NOT NULL and so still uses this index).
DROP INDEX grants_by_user;
CREATE INDEX grants_by_user ON grants (user_id, status) WHERE user_id IS NOT NULL;
