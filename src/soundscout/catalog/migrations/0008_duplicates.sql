-- Duplicates (docs/search.md, "Duplicates"); written to be re-runnable. Each decoded sound's "same recording"
-- fingerprint (soundscout.duplicates.fingerprint), written with its outcome; silent = 1 for
-- a sound whose loudest 64 ms stays under -70 dBFS (it has no print and joins no group).
CREATE TABLE IF NOT EXISTS sound_prints (
    sound_id INTEGER PRIMARY KEY REFERENCES sounds (id) ON DELETE CASCADE,
    version  INTEGER NOT NULL,
    silent   INTEGER NOT NULL,
    print    BLOB
);
-- Pairs found by comparing each new or changed sound with its nearest neighbours (a < b):
-- 'recording' (the same recording in another format, rate, level or trim) or 'variant'
-- (another take); score is the embedding cosine. No foreign keys: the pairs of removed
-- sounds are dropped by the next update, which also re-examines their partners.
CREATE TABLE IF NOT EXISTS duplicate_pairs (
    a     INTEGER NOT NULL,
    b     INTEGER NOT NULL,
    kind  TEXT NOT NULL CHECK (kind IN ('recording', 'variant')),
    score REAL NOT NULL,
    PRIMARY KEY (a, b)
);
CREATE INDEX IF NOT EXISTS duplicate_pairs_b ON duplicate_pairs (b);
-- The groups of every grouped sound, one column per level (the smallest id of the group;
-- NULL: alone at that level): exact copies within same recordings within variants.
CREATE TABLE IF NOT EXISTS duplicate_groups (
    sound_id        INTEGER PRIMARY KEY REFERENCES sounds (id) ON DELETE CASCADE,
    exact_group     INTEGER,
    recording_group INTEGER,
    variant_group   INTEGER
);
CREATE INDEX IF NOT EXISTS duplicate_groups_recording ON duplicate_groups (recording_group);
CREATE INDEX IF NOT EXISTS duplicate_groups_variant ON duplicate_groups (variant_group);
-- Sounds fingerprinted after they were indexed (a library from before this version): the
-- next grouping compares them although their revision (and so the saved index) is unchanged.
CREATE TABLE IF NOT EXISTS duplicates_pending (
    sound_id INTEGER PRIMARY KEY REFERENCES sounds (id) ON DELETE CASCADE
);
-- Exact copies are found by hash: the same bytes, or the same decoded audio.
CREATE INDEX IF NOT EXISTS sounds_audio_hash ON sounds (audio_hash);
-- The catalog revision the groups were last brought up to (-1: never).
INSERT OR IGNORE INTO meta (key, value) VALUES ('duplicates_revision', '-1');
