-- Registration changes secured for later dates (dip.Parties.Pending, as
-- dip.EncodePending writes them): a switch secured for next Tuesday routes
-- to the new supplier from next Tuesday. '' when none. The same column as
-- internal/sqlite/migrations/0007_pending_parties.sql.
ALTER TABLE parties ADD COLUMN pending TEXT NOT NULL DEFAULT '';
