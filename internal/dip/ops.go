package dip

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Ready reports whether the hub is taking and delivering messages: Run is
// running with its workers, and the store answers. The error says what is
// wrong.
func (h *Hub) Ready(ctx context.Context) error {
	h.life.Lock()
	started, closing, w := h.started, h.closing, h.workers
	h.life.Unlock()
	switch {
	case closing && w != nil && w.err() != nil:
		return fmt.Errorf("the hub stopped: %w", w.err())
	case closing:
		return errors.New("the hub is not running (stopped, or shutting down)")
	case !started || w == nil:
		return errors.New("the hub is starting")
	}
	running := w.running()
	for _, name := range []string{"deliver", "refresh"} {
		if running[name] == 0 {
			return fmt.Errorf("the %s worker is not running", name)
		}
	}
	if _, err := h.store.Participants(ctx); err != nil {
		return fmt.Errorf("the store does not answer: %w", err)
	}
	return nil
}

// Workers returns the hub's running workers by name (deliver, refresh,
// requeue), for /readyz.
func (h *Hub) Workers() map[string]int {
	h.life.Lock()
	w := h.workers
	h.life.Unlock()
	if w == nil {
		return nil
	}
	return w.running()
}

// SetWebhook records a recipient's webhook for a channel (or for status
// messages) and makes this hub deliver to it at once.
func (h *Hub) SetWebhook(ctx context.Context, w Webhook) error {
	if err := h.store.PutWebhook(ctx, w); err != nil {
		return err
	}
	return h.Refresh(ctx)
}

// RemoveWebhook removes a recipient's webhook for a channel; its messages
// on the channel wait, Pending, until it configures one again. Removing
// one that is not there is not an error.
func (h *Hub) RemoveWebhook(ctx context.Context, channel, recipient string) error {
	if err := h.store.DeleteWebhook(ctx, channel, recipient); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return h.Refresh(ctx)
}

// Replay returns a page of a recipient's messages (see Store.Replay).
func (h *Hub) Replay(ctx context.Context, q ReplayQuery) ([]Message, bool, error) {
	return h.store.Replay(ctx, q)
}

// Journal returns the journal of a sender's message (ErrNotFound when none):
// from the store, or from Config.Archive when the store purged it.
func (h *Hub) Journal(ctx context.Context, sender, senderUniqueReference string) (JournalRecord, error) {
	return JournalOf(ctx, h.store, h.cfg.Archive, sender, senderUniqueReference)
}

// RequeueJobs returns a recipient's requeue jobs on a channel, as of now
// (an abandoned job reads as stopped); only the one with id when id is set.
func (h *Hub) RequeueJobs(ctx context.Context, recipient, channel, id string) ([]RequeueJob, error) {
	jobs, err := h.store.RequeueJobs(ctx, recipient, channel, id)
	now := h.cfg.Now()
	for i := range jobs {
		jobs[i] = jobs[i].Effective(now)
	}
	return jobs, err
}

// requeuePage is how many messages a requeue job makes due at a time,
// recording its progress after each page.
const requeuePage = 500

// StartRequeue starts an asynchronous requeue of the recipient's messages
// that q selects (q.Recipient and q.Channel set): it records the job and
// runs it as one of the hub's workers, a page at a time, recording its
// progress. A recipient has one job Processing per channel, across every
// hub on the store: another returns that job and ErrRequeueRunning.
func (h *Hub) StartRequeue(ctx context.Context, q ReplayQuery) (RequeueJob, error) {
	h.life.Lock()
	w, closing := h.workers, h.closing
	h.life.Unlock()
	if w == nil || closing {
		return RequeueJob{}, ErrStopped
	}
	now := h.cfg.Now()
	job, err := h.store.StartRequeue(ctx, RequeueJob{ID: newRequeueID(now), Recipient: q.Recipient, Channel: q.Channel, Started: now, Updated: now})
	if err != nil {
		return job, err
	}
	w.Go("requeue", func(ctx context.Context) error {
		h.runRequeue(ctx, job, q)
		return nil // a failed job records its status; it does not stop the hub
	})
	return job, nil
}

// newRequeueID returns a requeue id: the time in base 36 and 32 random
// bits, so that hubs sharing a store do not collide.
func newRequeueID(now time.Time) string {
	var b [4]byte
	rand.Read(b[:])
	return "RQ-" + strconv.FormatInt(now.UnixNano(), 36) + "-" + hex.EncodeToString(b[:])
}

// runRequeue requeues a page of messages at a time, recording the job's
// progress after each page and its end. Stopped by the hub's shutdown, it
// records how far it got (PartialCompletion or Failed).
func (h *Hub) runRequeue(ctx context.Context, job RequeueJob, q ReplayQuery) {
	q.Limit = requeuePage
	end := RequeueCompleted
	for {
		if ctx.Err() != nil {
			end = job.Stopped()
			break
		}
		ms, more, err := h.store.Replay(ctx, q)
		if err != nil {
			h.cfg.Logger.Error("requeue", "id", job.ID, "err", err)
			end = job.Stopped()
			break
		}
		seqs := make([]int64, len(ms))
		for i, m := range ms {
			seqs[i] = m.Seq
		}
		n, err := h.store.Requeue(ctx, job.Recipient, seqs, h.cfg.Now())
		job.Total += len(ms)
		job.Processed += n
		job.Updated = h.cfg.Now()
		if err != nil {
			h.cfg.Logger.Error("requeue", "id", job.ID, "err", err)
			end = job.Stopped()
			break
		}
		if !more {
			break
		}
		if err := h.store.UpdateRequeue(ctx, job); err != nil {
			h.cfg.Logger.Error("requeue progress", "id", job.ID, "err", err)
		}
		q.AfterSeq = ms[len(ms)-1].Seq
	}
	h.Wake()
	job.Status, job.Updated = end, h.cfg.Now()
	if err := h.store.UpdateRequeue(context.WithoutCancel(ctx), job); err != nil {
		h.cfg.Logger.Error("requeue end", "id", job.ID, "err", err)
	}
}

// LocalServices returns the DIP ids of the co-located services.
func (h *Hub) LocalServices() []string {
	out := make([]string, 0, len(h.local))
	for id := range h.local {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}
