-- Retention: pruning of the token-state tables, and archival of long-dead grant streams out of
-- the ledger without losing provability (ops/archival.md describes the procedure).

-- The pruning job deletes grants whose last change is older than the retention window and that
-- have no token rows left; it finds them by this index.
CREATE INDEX grants_by_updated ON grants (updated_at, grant_id);

-- The rule in force: rows that expired before this instant have been (or are being) pruned. A
-- rebuild of the token-state projection applies the same cutoff to its copies, so a rebuild gives
-- what the live tables hold.
CREATE TABLE token_state_retention (
    id          boolean     PRIMARY KEY DEFAULT true CHECK (id),
    cutoff      timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- What is left in the database of an archived event: its place in commit order and its hashes.
-- The running digest of the signed checkpoints goes through these hashes, so the database alone
-- still proves every event it keeps, the number and order of the archived ones, and their hashes;
-- the archive file (named by the 'archives' stream's manifest events) proves their content.
CREATE TABLE archived_events (
    position    bigint      PRIMARY KEY,
    txid        bigint      NOT NULL,
    stream_id   text        NOT NULL,
    version     bigint      NOT NULL,
    prev_hash   bytea       NOT NULL,
    hash        bytea       NOT NULL,
    archive_id  text        NOT NULL
);
CREATE INDEX archived_events_commit_order ON archived_events (txid, position);
CREATE INDEX archived_events_by_archive ON archived_events (archive_id);

CREATE FUNCTION archived_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'archived_events is append-only (% refused)', TG_OP;
END;
$$;

CREATE TRIGGER archived_events_append_only
    BEFORE UPDATE OR DELETE ON archived_events
    FOR EACH ROW EXECUTE FUNCTION archived_events_refuse_change();

CREATE TRIGGER archived_events_no_truncate
    BEFORE TRUNCATE ON archived_events
    FOR EACH STATEMENT EXECUTE FUNCTION archived_events_refuse_change();

-- The events table stays append-only for every writer. The one exception is archival: a
-- transaction that names an archive (SET LOCAL grantry.archive_id) may delete an event when that
-- archive's manifest is already in the ledger and the event's stub, with the same position and
-- hash, is already in archived_events. So no event can leave the ledger without its hash staying
-- in the checkpoints' digest and without a recorded manifest naming the file that holds it.
CREATE OR REPLACE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    archive text := current_setting('grantry.archive_id', true);
BEGIN
    IF TG_OP = 'DELETE' AND archive IS NOT NULL AND archive <> ''
       AND EXISTS (SELECT 1 FROM archived_events a
                   WHERE a.position = OLD.position AND a.hash = OLD.hash AND a.archive_id = archive)
       AND EXISTS (SELECT 1 FROM events m
                   WHERE m.stream_id = 'archives' AND m.payload->>'archive_id' = archive) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the events table is append-only (% refused)', TG_OP;
END;
$$;
