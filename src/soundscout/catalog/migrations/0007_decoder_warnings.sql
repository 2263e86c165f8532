-- What native decoders (libmpg123, FFmpeg) printed while the sound's file was decoded, as a
-- JSON list of lines; NULL when they printed nothing. Shown by `soundscout show ID`.
ALTER TABLE sounds ADD COLUMN decoder_warnings TEXT;
