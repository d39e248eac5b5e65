package isd

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/participant"
)

// Service is the standing data publisher as a DIP participant: it
// announces the latest version of the standing data with IF-047 when it is
// not yet announced, and receives nothing. It runs inside mhhs serve or as
// its own process (mhhs service isd) unchanged.
//
// Each version is announced exactly once, whatever crashes in between:
// the announcement's sender reference is fixed by the version
// (AnnouncementKey), so that one sent again after a crash lost the DIP's
// answer is refused as a duplicate (MSG3001), which counts as sent; the
// version is then recorded as published with the transaction id the DIP
// gives.
type Service struct {
	Store  Store
	Sender *catalogue.Sender // the ISD participant: its DIP id, role ISD
	// DownloadBase is the DIP's public URL, under which the announced
	// assets download (AssetPath).
	DownloadBase string
	Poll         time.Duration // look for an unannounced version this often (default 5 s)
	Logger       *slog.Logger
	Now          func() time.Time
}

// Channels returns none: the publisher receives nothing.
func (s *Service) Channels() []string { return []string{} }

// Handle accepts whatever arrives: nothing is routed to the publisher.
func (s *Service) Handle(context.Context, []participant.Delivery) []catalogue.Code { return nil }

// Run announces the latest version whenever it is unannounced, until ctx
// is done. An unreachable DIP is retried at the next poll; a store that
// cannot be read stops it.
func (s *Service) Run(ctx context.Context, out participant.Sender) error {
	poll := s.Poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := s.AnnounceLatest(ctx, out); err != nil && ctx.Err() == nil {
			if errors.Is(err, errStore) {
				return err
			}
			s.logger().Warn("isd: announcing failed; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// errStore marks the store's errors, which stop Run.
var errStore = errors.New("isd: store")

// AnnounceLatest announces the latest version if it is not announced yet,
// and returns its number (0 when nothing was announced).
func (s *Service) AnnounceLatest(ctx context.Context, out participant.Sender) (int, error) {
	vs, err := s.Store.Versions(ctx)
	if err != nil {
		return 0, errors.Join(errStore, err)
	}
	if len(vs) == 0 || !vs[len(vs)-1].Published.IsZero() {
		return 0, nil
	}
	n := vs[len(vs)-1].Number
	_, err = s.Announce(ctx, out, n)
	return n, err
}

// Announce sends the IF-047 of version n (0: the latest) and records it as
// published. It returns the DIP's transaction id.
func (s *Service) Announce(ctx context.Context, out participant.Sender, n int) (string, error) {
	v, err := s.Store.Version(ctx, n)
	if err != nil {
		return "", errors.Join(errStore, err)
	}
	msg, err := Announcement(v, s.Sender, s.DownloadBase, s.now())
	if err != nil {
		return "", err
	}
	vs, err := participant.SendTyped(ctx, out, "IF-047", msg)
	if err != nil {
		return "", err
	}
	tx := vs[0].TransactionID
	if err := s.Store.MarkPublished(ctx, v.Number, s.now(), tx); err != nil {
		return tx, errors.Join(errStore, err)
	}
	s.logger().Info("isd: announced a version", "version", v.Number, "transaction", tx, "duplicate", vs[0].Code == catalogue.MSG3001)
	return tx, nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}
