package participant

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"
)

// Outgoing is a message a service has yet to send: an encoded payload with
// its sender reference fixed when it was queued.
type Outgoing struct {
	ID      int64
	Channel string
	Payload []byte
}

// Sent is the outcome of sending one Outgoing.
type Sent struct {
	ID      int64
	Verdict Verdict
}

// Outbox is a service's durable queue of messages to send, written in the
// same store transaction as the state change that causes them.
type Outbox interface {
	// Pending returns up to limit messages not yet sent, in the order they
	// were queued.
	Pending(ctx context.Context, limit int) ([]Outgoing, error)
	// Done records the DIP's verdicts. Each message leaves the queue: one
	// the DIP has (Verdict.Sent) as sent, one it refused as failed, kept
	// with its verdict for the operator.
	Done(ctx context.Context, sent []Sent) error
}

// Relay sends an Outbox's messages to the DIP: each MPAN's in the order
// queued, one after the other's verdict (and those about no MPAN in
// theirs), in batches per channel, up to Lanes requests at a time for
// different MPANs, so that a busy service is not held to one DIP commit
// per message. Lanes 1 sends the whole queue in order, runs of one
// channel a request. A transport error leaves them queued and is tried
// again after Poll; the DIP's refusal of a message is recorded and logged,
// as sending it again would be refused again. A service makes its Relay
// when it is made, wakes it from Handle after queueing, and runs it from
// its Run with the Sender it is given.
type Relay struct {
	Outbox Outbox
	Poll   time.Duration // look for queued messages this often (default 1 s); Wake looks at once
	Batch  int           // messages per request (default 50)
	Lanes  int           // requests at a time, each for other MPANs (default 8; 1 keeps the whole queue's order)
	Logger *slog.Logger  // default: discard

	wake chan struct{}
}

// NewRelay returns a Relay of o with the defaults.
func NewRelay(o Outbox, log *slog.Logger) *Relay {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Relay{Outbox: o, Poll: time.Second, Batch: 50, Lanes: 8, Logger: log, wake: make(chan struct{}, 1)}
}

// Wake makes Run look for queued messages now.
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run sends queued messages through s until ctx is done. It returns nil
// then, or the outbox's error: a store that cannot be read stops the
// service.
func (r *Relay) Run(ctx context.Context, s Sender) error {
	t := time.NewTicker(r.Poll)
	defer t.Stop()
	for {
		if err := r.Flush(ctx, s); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
		case <-t.C:
		}
	}
}

// Flush sends what is queued now through s, until the queue is empty or
// the DIP cannot be reached (which it logs, leaving the messages queued).
// It returns the outbox's errors.
func (r *Relay) Flush(ctx context.Context, s Sender) error {
	for ctx.Err() == nil {
		pending, err := r.Outbox.Pending(ctx, r.Batch*max(r.Lanes, 4))
		if err != nil || len(pending) == 0 {
			return err
		}
		done, reached := r.send(ctx, s, pending)
		if len(done) > 0 {
			if err := r.Outbox.Done(ctx, done); err != nil {
				return err
			}
		}
		if !reached {
			return nil
		}
	}
	return nil
}

// send sends pending in waves and returns the outcomes: each wave holds
// the next message of every MPAN (and of the messages about none), sent
// in requests of one channel, up to Lanes at once; an MPAN's next message
// waits for its last one's verdict. reached is false when a request failed
// in transport: the MPANs it carried send nothing more this round, so
// that their order is kept.
func (r *Relay) send(ctx context.Context, s Sender, pending []Outgoing) (done []Sent, reached bool) {
	if r.Lanes <= 1 {
		return r.sendLane(ctx, s, pending)
	}
	// Each MPAN's messages, in queue order; MPANs in order of first
	// appearance.
	var keys []string
	queues := map[string][]Outgoing{}
	for _, o := range pending {
		k := mpanOf(o.Payload)
		if _, ok := queues[k]; !ok {
			keys = append(keys, k)
		}
		queues[k] = append(queues[k], o)
	}
	reached = true
	for len(keys) > 0 && ctx.Err() == nil {
		// The wave's requests: per channel in order of first appearance,
		// at most Batch messages each.
		type request struct {
			keys []string // the MPANs of msgs
			msgs []Outgoing
		}
		var reqs []*request
		open := map[string]*request{}
		for _, k := range keys {
			o := queues[k][0]
			rq := open[o.Channel]
			if rq == nil || len(rq.msgs) >= max(r.Batch, 1) {
				rq = &request{}
				open[o.Channel] = rq
				reqs = append(reqs, rq)
			}
			rq.keys = append(rq.keys, k)
			rq.msgs = append(rq.msgs, o)
		}
		failed := map[string]bool{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		sem := make(chan struct{}, r.Lanes)
		for _, rq := range reqs {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				d, ok := r.sendLane(ctx, s, rq.msgs)
				mu.Lock()
				defer mu.Unlock()
				done = append(done, d...)
				if !ok {
					reached = false
					for _, k := range rq.keys {
						failed[k] = true
					}
				}
			})
		}
		wg.Wait()
		next := keys[:0]
		for _, k := range keys {
			if failed[k] {
				continue
			}
			if queues[k] = queues[k][1:]; len(queues[k]) > 0 {
				next = append(next, k)
			}
		}
		keys = next
	}
	return done, reached
}

// mpanOf returns the MPAN a payload is about (M0's MPAN core or M1's
// principal MPAN), or "" for one about none or that does not decode
// (the DIP will say why).
func mpanOf(payload []byte) string {
	var p struct {
		CommonBlock struct {
			M0 *struct{ MPANCore string }
			M1 *struct {
				PrincipalMPAN string `json:"principalMPAN"`
			}
		}
	}
	if json.Unmarshal(payload, &p) != nil {
		return ""
	}
	switch {
	case p.CommonBlock.M0 != nil:
		return p.CommonBlock.M0.MPANCore
	case p.CommonBlock.M1 != nil:
		return p.CommonBlock.M1.PrincipalMPAN
	}
	return ""
}

// sendLane sends pending in runs of one channel, in order.
func (r *Relay) sendLane(ctx context.Context, s Sender, pending []Outgoing) (done []Sent, reached bool) {
	for i := 0; i < len(pending); {
		j := i + 1
		for j < len(pending) && j-i < r.Batch && pending[j].Channel == pending[i].Channel {
			j++
		}
		run := pending[i:j]
		bodies := make([][]byte, len(run))
		for k, o := range run {
			bodies[k] = o.Payload
		}
		vs, err := s.Send(ctx, run[0].Channel, bodies...)
		if err != nil || len(vs) != len(run) {
			r.Logger.Warn("outbox: the DIP was not reached; will retry", "channel", run[0].Channel, "count", len(run), "err", err)
			return done, false
		}
		for k, v := range vs {
			done = append(done, Sent{ID: run[k].ID, Verdict: v})
			if !v.Sent() {
				r.Logger.Error("outbox: the DIP refused a message", "channel", run[0].Channel, "ref", v.SenderUniqueReference, "code", v.Code, "detail", v.Detail)
			}
		}
		i = j
	}
	return done, true
}
