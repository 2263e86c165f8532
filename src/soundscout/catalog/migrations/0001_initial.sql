-- Soundscout catalog, schema version 1.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('revision', '0');

CREATE TABLE sounds (
    id              INTEGER PRIMARY KEY,
    path            TEXT NOT NULL UNIQUE,
    root            TEXT NOT NULL,
    content_hash    TEXT,
    size            INTEGER NOT NULL,
    mtime_ns        INTEGER NOT NULL,
    duration        REAL,
    sample_rate     INTEGER,
    channels        INTEGER,
    format          TEXT,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    error           TEXT,
    encoder_version TEXT,
    embedded_at     REAL,
    added_at        REAL NOT NULL,
    updated_at      REAL NOT NULL,
    rev             INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sounds_status ON sounds (status);
CREATE INDEX sounds_root ON sounds (root);
CREATE INDEX sounds_hash ON sounds (content_hash);
CREATE INDEX sounds_rev ON sounds (rev);
CREATE INDEX sounds_duration ON sounds (duration);

-- One vector per sound, for the encoder named in sounds.encoder_version.
CREATE TABLE embeddings (
    sound_id INTEGER PRIMARY KEY REFERENCES sounds (id) ON DELETE CASCADE,
    vector   BLOB NOT NULL
);

-- Sounds removed from the catalog, so an index can catch up incrementally.
CREATE TABLE removed (
    sound_id INTEGER NOT NULL,
    rev      INTEGER NOT NULL
);
CREATE INDEX removed_rev ON removed (rev);
