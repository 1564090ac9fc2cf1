-- The ledger. Append-only: rows are inserted by the event store and never updated or deleted
-- (a trigger refuses it); everything endpoints read is projected from here.

-- One row per stream: its current version and the hash of its last event. Appends lock the rows
-- of the streams they write (SELECT ... FOR UPDATE) and check the expected version against them,
-- so optimistic concurrency is decided by the database, never by memory in one process.
CREATE TABLE streams (
    stream_id   text        PRIMARY KEY,
    version     bigint      NOT NULL CHECK (version > 0),
    last_hash   bytea       NOT NULL
);

CREATE TABLE events (
    position    bigserial   PRIMARY KEY,
    -- The writing transaction's id. Readers follow (txid, position) and only read transactions
    -- older than the oldest still running, so no event is skipped when commits overtake each other.
    txid        bigint      NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    event_id    uuid        NOT NULL UNIQUE,
    stream_id   text        NOT NULL,
    version     bigint      NOT NULL CHECK (version > 0),
    type        text        NOT NULL,
    payload     jsonb       NOT NULL,
    metadata    jsonb       NOT NULL,
    recorded_at timestamptz NOT NULL,
    prev_hash   bytea       NOT NULL,
    hash        bytea       NOT NULL,
    CONSTRAINT events_stream_version UNIQUE (stream_id, version)
);

CREATE INDEX events_commit_order ON events (txid, position);

CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the events table is append-only (% refused)', TG_OP;
END;
$$;

CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- Progress of the asynchronous projections: the last commit-order position each has applied.
CREATE TABLE projection_checkpoints (
    name        text        PRIMARY KEY,
    txid        bigint      NOT NULL DEFAULT 0,
    position    bigint      NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Events a projection could not apply, kept for the operator instead of stopping forever.
CREATE TABLE projection_failures (
    name        text        NOT NULL,
    position    bigint      NOT NULL,
    error       text        NOT NULL,
    failed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, position)
);
