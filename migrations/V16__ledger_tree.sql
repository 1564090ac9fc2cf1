-- The Merkle tree (RFC 9162) over the ledger in commit order: leaf i is the i-th event (archived
-- events by the hash the ledger kept), leaf hash SHA-256(0x00 || event hash). The checkpointer
-- maintains it asynchronously as it continues from one checkpoint to the next (never on the token
-- path), and each checkpoint event carries the tree's root and frontier. These tables hold only what
-- an inclusion or consistency proof needs and the ledger cannot give cheaply; every row is a
-- function of the ledger's prefix, so servers writing the same rows write the same values
-- (io.grantry.eventstore.merkle.LedgerTree).

-- Where each run of 256 leaves (a tile) begins in commit order: the leaves of any tile are then one
-- indexed read of at most 256 hashes from events and archived_events.
CREATE TABLE ledger_tree_tiles (
    tile        bigint      PRIMARY KEY,    -- leaves [256 * tile, 256 * tile + 256)
    txid        bigint      NOT NULL,       -- commit order of the tile's first leaf
    position    bigint      NOT NULL
);
CREATE INDEX ledger_tree_tiles_commit_order ON ledger_tree_tiles (txid, position);

-- The root of every perfect subtree of at least 256 leaves: about one row per 128 events.
CREATE TABLE ledger_tree_nodes (
    level       smallint    NOT NULL CHECK (level BETWEEN 8 AND 63),  -- the node spans 2^level leaves
    idx         bigint      NOT NULL,       -- leaves [idx * 2^level, (idx + 1) * 2^level)
    hash        bytea       NOT NULL,
    PRIMARY KEY (level, idx)
);

-- Each signed tree head, as the checkpoint that signed it says: what /ledger/checkpoint serves,
-- what proofs are made against, and the cosignatures witnesses returned for it.
CREATE TABLE ledger_tree_heads (
    tree_size    bigint      PRIMARY KEY,
    txid         bigint      NOT NULL,      -- commit order of the tree's last leaf
    position     bigint      NOT NULL,
    root         bytea       NOT NULL,
    frontier     bytea       NOT NULL,      -- the right edge's subtree roots, 32 bytes each, largest first
    note         text,                      -- the C2SP tlog-checkpoint signed note (null: signed without a note key)
    cosignatures text        NOT NULL DEFAULT '',  -- witnesses' signature lines, each ending in a newline
    signed_at    timestamptz NOT NULL
);

-- The history of a grant whose events were archived says so, and where: its stubs by stream.
CREATE INDEX archived_events_by_stream ON archived_events (stream_id);
