package dip

import (
	"context"
	"time"
)

// Observer is told what the hub does, for metrics: an adapter
// (internal/metrics) turns the calls into Prometheus series. Calls come
// from the hub's goroutines concurrently; they must be quick and must not
// block. Config.Observer nil observes nothing.
type Observer interface {
	// Submitted is called once per Submit with the items answered, all
	// of channel (the URL's channel; a message naming another interface
	// is refused).
	Submitted(channel string, items []Item)
	// Committed is called per group commit with its messages and how
	// long the store took.
	Committed(messages int, took time.Duration)
	// Attempted is called per delivery round with the attempts made and
	// the deliveries they were for, in the same order for the first
	// len(attempts) of ds that were attempted (Seq and Recipient match).
	Attempted(attempts []Attempt, ds []Delivery)
	// StoreOp is called after each store operation of intake and
	// delivery: op is accept, parties, claim or complete.
	StoreOp(op string, took time.Duration, err error)
}

// observe returns the hub's Observer, a no-op when none is configured.
func (h *Hub) observe() Observer {
	if h.cfg.Observer != nil {
		return h.cfg.Observer
	}
	return nopObserver{}
}

type nopObserver struct{}

func (nopObserver) Submitted(string, []Item)             {}
func (nopObserver) Committed(int, time.Duration)         {}
func (nopObserver) Attempted([]Attempt, []Delivery)      {}
func (nopObserver) StoreOp(string, time.Duration, error) {}

// QueueStat is a recipient's undelivered messages: how many, and when the
// oldest was accepted.
type QueueStat struct {
	Recipient string
	Pending   int       // Pending or Retrying
	Oldest    time.Time // acceptance of the oldest; zero when none
}

// QueueStater is the optional capability of a store that reports each
// recipient's queue, for metrics; both stores have it.
type QueueStater interface {
	Queues(ctx context.Context) ([]QueueStat, error)
}

// Queues reports each recipient's undelivered messages, if the store can.
func (h *Hub) Queues(ctx context.Context) ([]QueueStat, error) {
	if q, ok := h.store.(QueueStater); ok {
		return q.Queues(ctx)
	}
	return nil, nil
}

// RecipientStates returns every recipient's delivery health (paused,
// consecutive failures).
func (h *Hub) RecipientStates(ctx context.Context) ([]RecipientState, error) {
	return h.store.RecipientStates(ctx)
}

// timed runs fn and reports it as store operation op.
func (h *Hub) timed(op string, fn func() error) error {
	start := time.Now()
	err := fn()
	h.observe().StoreOp(op, time.Since(start), err)
	return err
}
