-- Words: what a sound's file says about itself (names, embedded tags, UCS category).
-- The raw tags read from the file, as JSON, with the warnings of fields that were skipped.
CREATE TABLE sound_tags (
    sound_id INTEGER PRIMARY KEY REFERENCES sounds (id) ON DELETE CASCADE,
    fields   TEXT NOT NULL,
    warnings TEXT NOT NULL DEFAULT '[]'
);
-- NULL: the words of this sound were never read (a library from before this version, a
-- Ray run); the next `index` reads them without embedding the audio again.
ALTER TABLE sounds ADD COLUMN words_version INTEGER;
ALTER TABLE sounds ADD COLUMN ucs_catid TEXT;
ALTER TABLE sounds ADD COLUMN ucs_category TEXT;
ALTER TABLE sounds ADD COLUMN ucs_subcategory TEXT;
CREATE INDEX sounds_status_ucs ON sounds (status, ucs_catid);
-- The lexical index (BM25) of indexed sounds, rowid = sounds.id, written in the same
-- transaction as the rows it mirrors. Porter stemming over Unicode words without accents.
CREATE VIRTUAL TABLE sound_words USING fts5 (
    name, title, description, keywords, category, folders, other,
    tokenize = 'porter unicode61 remove_diacritics 2',
    prefix = '2 3'
);
