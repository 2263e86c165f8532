-- Bits per stored sample of PCM, float and lossless files (16, 24, 32...); NULL for lossy
-- codecs (MP3, Vorbis, Opus, AAC), where it is no property of the file.
ALTER TABLE sounds ADD COLUMN bit_depth INTEGER;
-- Indexed sounds catalogued before bit depths were read, in formats that may have one: the
-- next `index` of their folder reads it from their headers (nothing is decoded or embedded
-- again) and takes them off this list.
CREATE TABLE bit_depth_pending (
    sound_id INTEGER PRIMARY KEY REFERENCES sounds (id) ON DELETE CASCADE
);
INSERT INTO bit_depth_pending (sound_id)
    SELECT id FROM sounds WHERE status = 'done' AND coalesce(format, '') NOT IN ('mp3', 'ogg', 'opus');
