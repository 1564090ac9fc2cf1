-- The leaf hashes of every complete tile of the ledger's Merkle tree (issue 20): 256 leaves, 32
-- bytes each, back to back, as one row. An inclusion or consistency proof reads the leaves of one
-- tile (two at most); from this row that is a fixed handful of pages, where reading the tile's 256
-- events from the events table touches some forty pages of a table the page cache may not hold.
-- The checkpointer writes a row when it completes a tile, with the tree's nodes (never on the token
-- path); tiles completed before this table existed are back-filled by the server, each checked
-- against the tile's node in ledger_tree_nodes; the incomplete last tile has no row (its leaves are
-- read from the events). `grantry audit verify` compares every row with the events' leaves.
-- Every row is a function of the ledger's prefix (io.grantry.eventstore.audit.LedgerTree).
CREATE TABLE ledger_tree_tile_leaves (
    tile    bigint  PRIMARY KEY,             -- leaves [256 * tile, 256 * tile + 256)
    leaves  bytea   NOT NULL CHECK (length(leaves) = 8192)
);
-- SHA-256 output does not compress: stored out of line as it is, never tried by the compressor.
ALTER TABLE ledger_tree_tile_leaves ALTER COLUMN leaves SET STORAGE EXTERNAL;
