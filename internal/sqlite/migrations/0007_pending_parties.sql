-- Registration changes secured for later dates (dip.Parties.Pending, as
-- dip.EncodePending writes them): a switch secured for next Tuesday routes
-- to the new supplier from next Tuesday. '' when none.
ALTER TABLE parties ADD COLUMN pending TEXT NOT NULL DEFAULT '';
