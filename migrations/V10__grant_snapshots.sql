-- Snapshots of grant states: what a grant's stream folds to at a version, written in the same
-- transaction as every GRANTRY_GRANT_SNAPSHOT_EVERY-th event of the stream, so that a refresh of a
-- grant not in memory reads its snapshot and the few events after it instead of its whole history.
-- Derived data, not a projection: a missing, older or unreadable row (the first byte of state is
-- the encoding's version; another version is ignored) only costs a longer read, and the table may
-- be emptied at any time. Not rebuilt by `projections rebuild` (the ledger it folds does not change).
CREATE TABLE grant_snapshots (
    stream_id  text   PRIMARY KEY,
    version    bigint NOT NULL,
    state      bytea  NOT NULL
);
