-- Moments (docs/search.md, "Moments"): the segment vectors of each long sound, one row per
-- sound, written with its outcome. Its segments have the FAISS ids first_id ..
-- first_id + count - 1 in the segment index, drawn from meta.next_segment_id and never
-- reused; times holds float32 (start, end) seconds per segment, vectors float16 (count, dim).
CREATE TABLE IF NOT EXISTS segment_sets (
    sound_id INTEGER PRIMARY KEY REFERENCES sounds (id) ON DELETE CASCADE,
    first_id INTEGER NOT NULL,
    count    INTEGER NOT NULL,
    times    BLOB NOT NULL,
    vectors  BLOB NOT NULL
);
-- Segment ids dropped (a sound re-embedded, failed or removed), so that a saved segment
-- index catches up incrementally, like `removed` for sounds.
CREATE TABLE IF NOT EXISTS segments_removed (
    first_id INTEGER NOT NULL,
    count    INTEGER NOT NULL,
    rev      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS segments_removed_rev ON segments_removed (rev);
INSERT OR IGNORE INTO meta (key, value) VALUES ('next_segment_id', '0');
