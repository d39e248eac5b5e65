-- The archive index (dip.ArchiveIndex): where the archive of purged
-- messages holds each message this store purged into it, so that its
-- journal stays answerable. key is dip.ArchiveKey(sender, sur), 64 bits of
-- a hash (keys may collide: the reader checks the line); day is the file,
-- days since 1970-01-01 UTC; off the offset of the part holding the line.
-- Three integers a row, the key alone in the B-tree.
CREATE TABLE archive_index (
  key INTEGER NOT NULL,
  day INTEGER NOT NULL,
  off INTEGER NOT NULL,
  PRIMARY KEY (key, day, off)
) WITHOUT ROWID;
