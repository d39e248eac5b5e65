package isd

import (
	"context"
	"errors"
	"time"
)

// Errors a Store returns, wrapped with context. Test for them with
// errors.Is.
var (
	// ErrNoVersion reports that the store holds no version, or not the
	// one asked for.
	ErrNoVersion = errors.New("isd: no such version")
	// ErrVersionConflict reports a version whose number is not the
	// latest stored number plus one: another writer stored that number
	// first, or the number skips one.
	ErrVersionConflict = errors.New("isd: version conflict")
)

// VersionInfo describes a stored version without its data.
type VersionInfo struct {
	Number  int
	Created time.Time
	Note    string
	// Published is when the version was last announced with IF-047, zero
	// if it has not been.
	Published time.Time
	// PublishedTransactionID is the DIP transaction id of that IF-047.
	PublishedTransactionID string
}

// Store keeps the versions of the standing data. Versions are immutable
// once stored and numbered 1, 2, 3, … with no gaps. Each method is one
// transaction; times keep microsecond precision. internal/storetest
// (RunISD) is the conformance suite every implementation passes.
type Store interface {
	// PutVersion stores v. v.Number must be the latest stored number plus
	// one (1 for the first version), else it returns ErrVersionConflict;
	// of two writers racing for the same number one wins and the other
	// gets ErrVersionConflict.
	PutVersion(ctx context.Context, v Version) error
	// Version returns version n, or the latest when n is 0. It returns
	// ErrNoVersion when there is no such version.
	Version(ctx context.Context, n int) (Version, error)
	// Versions lists every version, oldest first.
	Versions(ctx context.Context) ([]VersionInfo, error)
	// MarkPublished records that version n was announced at time at by
	// the IF-047 with the given DIP transaction id, replacing any earlier
	// publication record. It returns ErrNoVersion when there is no version
	// n.
	MarkPublished(ctx context.Context, n int, at time.Time, transactionID string) error
}
