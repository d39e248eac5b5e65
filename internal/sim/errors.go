package sim

import "errors"

// Sentinel errors, wrapped with context. Test for them with errors.Is.
var (
	// ErrConfig reports an invalid Config.
	ErrConfig = errors.New("invalid simulation config")
	// ErrDataset reports standing data the simulation cannot build a
	// market from, such as a GSP group without a distributor.
	ErrDataset = errors.New("unusable standing data")
	// ErrRange reports a site index or range outside the market's sites.
	ErrRange = errors.New("site out of range")
	// ErrUnknown reports a participant the market does not have.
	ErrUnknown = errors.New("unknown participant")
)
