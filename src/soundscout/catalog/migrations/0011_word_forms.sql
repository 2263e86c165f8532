-- The lexical index's words as written, not stemmed, for prefixes: FTS5 stems a prefix
-- as if it were a word, so "runni*" missed "running" (indexed as "run"). A prefix is looked
-- up here and the written words it starts are added to the query
-- (soundscout.search.word_forms). Contentless, without positions or sizes: it holds only the
-- vocabulary and its document counts, written with sound_words (catalog/words.py).
CREATE VIRTUAL TABLE sound_word_forms USING fts5 (
    name, title, description, keywords, category, folders, other,
    content = '',
    tokenize = 'unicode61 remove_diacritics 2',
    detail = 'none',
    columnsize = 0
);
INSERT INTO sound_word_forms (rowid, name, title, description, keywords, category, folders, other)
    SELECT rowid, name, title, description, keywords, category, folders, other FROM sound_words;
CREATE VIRTUAL TABLE sound_word_forms_vocab USING fts5vocab (sound_word_forms, 'row');
