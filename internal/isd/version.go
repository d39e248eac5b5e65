package isd

import "time"

// Version is one numbered version of the standing data. Every change to
// the data is a new version: a new Dataset with the next number, the time
// it was made and a note saying why. Versions are what storage keeps and
// what the IF-047 publication announces; Diff lists what changed between
// two of them.
type Version struct {
	Number  int       // 1 for the first version, then consecutive
	Created time.Time // when the version was made
	Note    string    // why, e.g. "new supplier TDAL from 2025-04-01"
	Dataset *Dataset
}

// Next returns the version after v holding ds.
func (v Version) Next(ds *Dataset, created time.Time, note string) Version {
	return Version{Number: v.Number + 1, Created: created, Note: note, Dataset: ds}
}

// Changes lists what changed from prev to v, as Diff does.
func (v Version) Changes(prev Version) []Change {
	return Diff(prev.Dataset, v.Dataset)
}
