-- A hash of the decoded audio (at the encoder's rate): a file whose bytes changed but whose
-- audio did not (its tags were edited) keeps its embedding instead of being embedded again.
ALTER TABLE sounds ADD COLUMN audio_hash TEXT;
