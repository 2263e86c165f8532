-- Folder filters are path-prefix ranges compared without ASCII case (as LIKE did);
-- this index answers them without scanning every path.
CREATE INDEX sounds_path_nocase ON sounds (path COLLATE NOCASE);
