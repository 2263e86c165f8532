-- Moments (docs/search.md, "Moments"): each long sound's occurrence print, beside its
-- segments and written with them: uint8 band levels, 16 per 32 ms frame
-- (soundscout.moments.occurrence), and the version of that computation. Rows from before
-- have none: the next `index` embeds those sounds again (segdb.missing_segments).
ALTER TABLE segment_sets ADD COLUMN prints BLOB;
ALTER TABLE segment_sets ADD COLUMN prints_version INTEGER;
