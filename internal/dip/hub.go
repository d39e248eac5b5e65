package dip

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
)

// Outcome classifies a delivery attempt's answer (L3).
type Outcome int

// Outcomes.
const (
	Delivered         Outcome = iota + 1 // 201 (or 200/202/204)
	PartiallyRejected                    // 207: PerMessage says which
	Rejected                             // 400/422: not retried
	Failed                               // anything else: retried
)

// Endpoint says where a batch goes.
type Endpoint struct {
	Recipient   string
	Channel     string
	CallbackURL string // "" for an in-process recipient
}

// Result is a deliverer's answer for one batch.
type Result struct {
	Outcome    Outcome
	StatusCode int
	PerMessage []bool // for PartiallyRejected: accepted or not, per message
	Err        string
	Duration   time.Duration
}

// Deliverer sends a DIPMessageEgressArray (body) to a recipient: a signed
// webhook POST (internal/webhook) or a call into a co-located service.
type Deliverer interface {
	Deliver(ctx context.Context, to Endpoint, body []byte) Result
}

// DelivererFunc adapts a function to Deliverer.
type DelivererFunc func(ctx context.Context, to Endpoint, body []byte) Result

// Deliver calls f.
func (f DelivererFunc) Deliver(ctx context.Context, to Endpoint, body []byte) Result {
	return f(ctx, to, body)
}

// GCPercent is the garbage collector target (as GOGC) that mhhs serve runs
// the hub with unless GOGC is set. Intake allocates a few copies of each
// message body that die within the request, over a live heap of a few MB:
// at the default 100 the collector ran about 40 times a second, at 400 about
// 28, each with stop-the-world pauses of up to a millisecond. 1600 against
// 400 gave BenchmarkIntake a p99 about 1 ms lower and 11% more throughput
// in eleven interleaved pairs (BENCHMARKS.md). The heap may grow to 17 times
// the live heap: set GOMEMLIMIT to bound it where memory is short.
const GCPercent = 1600

// DefaultLease is how long a hub holds the deliveries it claims unless
// Config.Lease says otherwise: longer than a webhook POST's timeout
// (webhook.DefaultTimeout, 10 s), so that a claim does not run out while its
// POST may still succeed.
const DefaultLease = 30 * time.Second

// ProcsPerCPU is how many Go Ps (GOMAXPROCS) mhhs serve runs per CPU unless
// GOMAXPROCS is set. Intake spends much of its time blocked in fdatasync
// and in SQLite's writes, and long index transactions keep a P busy for
// milliseconds: with one P per CPU the goroutines readied meanwhile (the
// senders just answered, the committer) waited about a millisecond to run
// (runtime/trace), with the CPUs 40% idle. Two per CPU let the kernel share
// the CPUs instead, and raised BenchmarkIntake from about 19 k to 24 k
// msgs/s on two cores (BENCHMARKS.md).
const ProcsPerCPU = 2

// Config configures a Hub. Zero values take the documented defaults.
type Config struct {
	Catalogue *catalogue.Catalogue // default catalogue.Default()
	Routing   *RoutingTable        // default DefaultRouting
	Retry     RetryPolicy          // default DefaultRetryPolicy
	Masking   *Masking             // default DefaultMasking
	// Webhooks delivers to recipients with a webhook configured.
	Webhooks Deliverer
	// Services are co-located services: the hub delivers to them with a
	// function call (see LocalService).
	Services []LocalService
	// Owner names this process in delivery claims (default "hub"): keep
	// it across restarts, so that a restarted process takes back its own
	// claims at once (OwnerReleaser).
	Owner           string
	MaxCommitBatch  int           // messages per group commit (default 512)
	Committers      int           // parallel committers (default 1; >1 only for stores that allow concurrent writers)
	ClaimBatch      int           // deliveries claimed per round (default 512)
	BatchSize       int           // messages per webhook POST (default 50)
	Concurrency     int           // parallel POSTs (default 16)
	PollInterval    time.Duration // claim poll when idle (default 100 ms)
	Lease           time.Duration // delivery claim lease (default 30 s; longer than a batch's POST timeout)
	RefreshInterval time.Duration // participants and webhooks cache (default 1 s)
	DrainTimeout    time.Duration // on shutdown (default 10 s)
	// MaxStoreFailures is how many store failures in a row the delivery
	// worker and the directory refresher ride out before Run stops with
	// the error (default 3); a failed group commit stops Run at once.
	MaxStoreFailures int
	Now              func() time.Time
	Logger           *slog.Logger
	// Observer is told of intake, commits, deliveries and store
	// operations, for metrics (nil: none).
	Observer Observer
	// Archive holds the messages purged from the store (PurgeArchive);
	// the journal reads a purged message there (nil: none).
	Archive Archiver
}

func (c *Config) defaults() {
	if c.Catalogue == nil {
		c.Catalogue = catalogue.Default()
	}
	if c.Routing == nil {
		c.Routing = DefaultRouting(c.Catalogue)
	}
	// A zero policy takes the defaults; in a policy given in part, a zero
	// attempt count or delay (which would retry in a tight loop) takes its
	// default, while a zero jitter or pause threshold means none.
	def := DefaultRetryPolicy()
	if c.Retry == (RetryPolicy{}) {
		c.Retry = def
	}
	if c.Retry.MaxAttempts == 0 {
		c.Retry.MaxAttempts = def.MaxAttempts
	}
	if c.Retry.BaseDelay == 0 {
		c.Retry.BaseDelay = def.BaseDelay
	}
	if c.Retry.MaxDelay == 0 {
		c.Retry.MaxDelay = def.MaxDelay
	}
	if c.Masking == nil {
		c.Masking = DefaultMasking()
	}
	if c.Owner == "" {
		c.Owner = "hub"
	}
	if c.MaxCommitBatch == 0 {
		c.MaxCommitBatch = 512
	}
	if c.Committers == 0 {
		c.Committers = 1
	}
	if c.ClaimBatch == 0 {
		c.ClaimBatch = 512
	}
	if c.BatchSize == 0 {
		c.BatchSize = 50
	}
	if c.Concurrency == 0 {
		c.Concurrency = 16
	}
	if c.PollInterval == 0 {
		c.PollInterval = 100 * time.Millisecond
	}
	if c.Lease == 0 {
		c.Lease = DefaultLease
	}
	if c.RefreshInterval == 0 {
		c.RefreshInterval = time.Second
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = 10 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.MaxStoreFailures == 0 {
		c.MaxStoreFailures = 3
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Hub is the DIP: it accepts message arrays, routes them, commits them
// durably and delivers them. Run starts its goroutines; Submit may be called
// concurrently once Run has started.
type Hub struct {
	cfg   Config
	store Store
	pool  sync.Pool // *catalogue.Validator
	local map[string]*LocalService

	commits chan *commitReq
	wake    chan struct{}
	stats   struct{ commits, committed, commitNanos atomic.Int64 }

	// life: intake is open while Run runs; Submit and SubmitStatus hold
	// inflight while they work, so that Run closes intake, waits for them,
	// then stops the committers (committersDone), then delivery.
	life           sync.Mutex
	started        bool
	closing        bool
	inflight       sync.WaitGroup
	committersDone chan struct{}
	workers        *workers

	pausedMu sync.Mutex
	paused   map[string]bool // recipients known paused, for the log

	refreshMu sync.Mutex // one refresh at a time
	mu        sync.RWMutex
	byID      map[string]*Participant
	byKey     map[string]*Participant
	byRole    map[string][]*Participant
	webhooks  map[string]Webhook // "channel recipient"
	refreshed time.Time          // when the last completed refresh started
}

// NewHub returns a hub over store.
func NewHub(store Store, cfg Config) *Hub {
	cfg.defaults()
	h := &Hub{cfg: cfg, store: store, commits: make(chan *commitReq, 1024), wake: make(chan struct{}, 1),
		committersDone: make(chan struct{}), local: map[string]*LocalService{}}
	for i := range cfg.Services {
		h.local[cfg.Services[i].DIPID] = &cfg.Services[i]
	}
	h.pool.New = func() any { return catalogue.NewValidator(cfg.Catalogue) }
	return h
}

// Catalogue returns the hub's catalogue.
func (h *Hub) Catalogue() *catalogue.Catalogue { return h.cfg.Catalogue }

// ErrStopped is returned by Submit when the hub is not accepting messages:
// Run has stopped, or is shutting down. Nothing of the call was accepted.
var ErrStopped = errors.New("dip: the hub is not running")

// Run runs the hub's workers (the group committers, the delivery worker,
// the directory refresher and requeue jobs) until ctx is done or one of
// them fails. Then it shuts down in order: it closes intake (Submit
// answers ErrStopped) and waits for the submissions under way, lets the
// committers commit what was queued, then stops delivery, which finishes
// its round (up to DrainTimeout). It returns nil after a shutdown asked
// for by ctx, or the error of the worker that failed: a failed group
// commit, or MaxStoreFailures store failures in a row in delivery or in
// the refresh. A hub runs once.
func (h *Hub) Run(ctx context.Context) error {
	h.life.Lock()
	if h.started {
		h.life.Unlock()
		return errors.New("dip: Run called twice")
	}
	h.started = true
	h.life.Unlock()
	defer h.closeIntake()
	if err := h.Refresh(ctx); err != nil {
		close(h.committersDone)
		return err
	}
	if r, ok := h.store.(HeldReleaser); ok {
		if err := r.ReleaseHeld(ctx); err != nil {
			close(h.committersDone)
			return err
		}
		h.cfg.Logger.Info("hub: released what a previous process held (claims, requeue jobs)")
	}
	if r, ok := h.store.(OwnerReleaser); ok {
		n, err := r.ReleaseOwner(ctx, h.cfg.Owner)
		if err != nil {
			close(h.committersDone)
			return err
		}
		if n > 0 {
			h.cfg.Logger.Info("hub: released the delivery claims of an ended run of this owner", "owner", h.cfg.Owner, "deliveries", n)
		}
	}
	w := newWorkers()
	h.life.Lock()
	h.workers = w
	h.life.Unlock()

	var committers sync.WaitGroup
	commitErr := make(chan error, h.cfg.Committers)
	for range h.cfg.Committers {
		committers.Go(func() {
			if err := h.commitLoop(); err != nil {
				commitErr <- err
				w.fail(err)
			}
		})
	}
	go func() { committers.Wait(); close(h.committersDone) }()
	w.Go("deliver", func(ctx context.Context) error { return h.deliverLoop(ctx) })
	w.Go("refresh", func(ctx context.Context) error { return h.refreshLoop(ctx) })

	select {
	case <-ctx.Done():
		h.cfg.Logger.Info("hub: shutting down: intake, then commits, then delivery")
	case <-w.failed:
	}
	h.closeIntake()
	h.inflight.Wait()
	close(h.commits) // the committers commit what is queued, then return
	<-h.committersDone
	w.stop()
	select {
	case err := <-commitErr:
		return err
	default:
	}
	return w.err()
}

// closeIntake makes Submit refuse new work.
func (h *Hub) closeIntake() {
	h.life.Lock()
	h.closing = true
	h.life.Unlock()
}

// enter registers a submission; it fails once intake is closed.
func (h *Hub) enter() error {
	h.life.Lock()
	defer h.life.Unlock()
	if h.closing {
		return ErrStopped
	}
	h.inflight.Add(1)
	return nil
}

// refreshLoop reloads the directory every RefreshInterval.
func (h *Hub) refreshLoop(ctx context.Context) error {
	t := time.NewTicker(h.cfg.RefreshInterval)
	defer t.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := h.Refresh(ctx); err != nil && ctx.Err() == nil {
			failures++
			h.cfg.Logger.Error("refresh directory", "err", err, "failures", failures)
			if failures >= h.cfg.MaxStoreFailures {
				return fmt.Errorf("dip: refreshing the directory failed %d times in a row: %w", failures, err)
			}
			continue
		}
		failures = 0
	}
}

// Refresh reloads participants and webhooks from the store.
func (h *Hub) Refresh(ctx context.Context) error {
	h.refreshMu.Lock()
	defer h.refreshMu.Unlock()
	return h.refresh(ctx)
}

// refreshSince reloads unless a refresh that started at or after t has
// completed: concurrent callers share one reload.
func (h *Hub) refreshSince(ctx context.Context, t time.Time) error {
	h.refreshMu.Lock()
	defer h.refreshMu.Unlock()
	h.mu.RLock()
	fresh := !h.refreshed.Before(t)
	h.mu.RUnlock()
	if fresh {
		return nil
	}
	return h.refresh(ctx)
}

func (h *Hub) refresh(ctx context.Context) error {
	start := time.Now()
	ps, err := h.store.Participants(ctx)
	if err != nil {
		return err
	}
	ws, err := h.store.Webhooks(ctx)
	if err != nil {
		return err
	}
	byID := map[string]*Participant{}
	byKey := map[string]*Participant{}
	byRole := map[string][]*Participant{}
	for i := range ps {
		p := &ps[i]
		byID[p.DIPID] = p
		if p.APIKeyHash != "" {
			byKey[p.APIKeyHash] = p
		}
		for _, r := range p.Roles {
			byRole[r] = append(byRole[r], p)
		}
	}
	whs := map[string]Webhook{}
	for _, w := range ws {
		whs[w.Channel+" "+w.Recipient] = w
	}
	h.mu.Lock()
	h.byID, h.byKey, h.byRole, h.webhooks, h.refreshed = byID, byKey, byRole, whs, start
	h.mu.Unlock()
	return nil
}

// Participant returns a participant by DIP id (Directory).
func (h *Hub) Participant(id string) (*Participant, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	p, ok := h.byID[id]
	return p, ok
}

// HoldersOf returns the participants holding a role (Directory).
func (h *Hub) HoldersOf(role string) []*Participant {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.byRole[role]
}

// Authenticate returns the enabled participant whose API key this is. An
// unknown key makes the hub reload the registry unless a reload began after
// the request arrived, so a participant added by `mhhs participant add`
// works at once; requests with unknown keys share reloads, so a flood of
// them costs at most one reload at a time.
func (h *Hub) Authenticate(ctx context.Context, apiKey string) (*Participant, bool) {
	arrived := time.Now()
	hash := HashAPIKey(apiKey)
	h.mu.RLock()
	p, ok := h.byKey[hash]
	h.mu.RUnlock()
	if !ok && apiKey != "" {
		if err := h.refreshSince(ctx, arrived); err == nil {
			h.mu.RLock()
			p, ok = h.byKey[hash]
			h.mu.RUnlock()
		}
	}
	if !ok || p.Disabled {
		return nil, false
	}
	return p, true
}

// Webhook returns the recipient's webhook for a channel.
func (h *Hub) Webhook(channel, recipient string) (Webhook, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	w, ok := h.webhooks[channel+" "+recipient]
	return w, ok
}

// Item is the DIP's answer for one message of a submitted array (one
// StandardResponse item).
type Item struct {
	TransactionID         string
	SenderUniqueReference string
	CorrelationID         string
	Code                  catalogue.Code
	Detail                string
	Findings              []catalogue.Finding
}

// Accepted reports whether the item was accepted.
func (i *Item) Accepted() bool { return i.Code == catalogue.MSG0000 }

// Submit validates, routes and durably accepts a message array sent by
// sender on channel. It returns one item per message (one item for a body
// that is not a message array). It returns only after the accepted messages
// are committed; an error means nothing of this call was accepted.
func (h *Hub) Submit(ctx context.Context, sender *Participant, channel string, body []byte) ([]Item, error) {
	if err := h.enter(); err != nil {
		return nil, err
	}
	defer h.inflight.Done()
	now := h.cfg.Now()
	val := h.pool.Get().(*catalogue.Validator)
	verdicts, err := val.ValidateArray(channel, body)
	h.pool.Put(val)
	if err != nil {
		var se *catalogue.SyntaxError
		if errors.As(err, &se) {
			return []Item{{Code: catalogue.MSG1002, Detail: se.Error()}}, nil
		}
		return nil, err
	}
	items := make([]Item, len(verdicts))
	var msgs []*Message
	var idx []int
	var rejections []Rejection
	var mpans []string
	for i := range verdicts {
		if m := verdicts[i].Envelope.MPAN; m != "" {
			mpans = append(mpans, m)
		}
	}
	var parties map[string]Parties
	if err := h.timed("parties", func() (err error) { parties, err = h.store.Parties(ctx, mpans); return err }); err != nil {
		return nil, err
	}
	surs := map[string]bool{}
	for i := range verdicts {
		v := &verdicts[i]
		env := &v.Envelope
		it := &items[i]
		it.SenderUniqueReference = env.SenderUniqueReference
		if env.SenderCorrelationID != nil {
			it.CorrelationID = *env.SenderCorrelationID
		}
		reject := func(code catalogue.Code, detail string, findings []catalogue.Finding) {
			it.Code, it.Detail, it.Findings = code, detail, findings
			if env.SenderUniqueReference != "" {
				rejections = append(rejections, Rejection{SenderDIPID: sender.DIPID, SenderUniqueReference: env.SenderUniqueReference,
					Channel: channel, EventCode: env.EventCode, MPAN: env.MPAN, At: now, Code: string(code), Reason: detail})
			}
		}
		switch {
		case v.Index < 0:
			reject(v.Code(), v.Findings[0].Detail, v.Findings)
			continue
		case !v.OK():
			reject(v.Code(), v.Findings[0].Path+": "+v.Findings[0].Detail, v.Findings)
			continue
		case env.SenderDIPID != sender.DIPID:
			reject(catalogue.MSG4004, fmt.Sprintf("S1.senderDIPID %s is not the authenticated participant %s", env.SenderDIPID, sender.DIPID), nil)
			continue
		case !sender.HasRole(env.SenderRoleID):
			reject(catalogue.MSG4004, fmt.Sprintf("participant %s does not hold role %s", sender.DIPID, env.SenderRoleID), nil)
			continue
		case surs[env.SenderUniqueReference]:
			reject(catalogue.MSG3001, "senderUniqueReference appears twice in this request", nil)
			continue
		}
		surs[env.SenderUniqueReference] = true
		rule, ok := h.cfg.Routing.Rule(v.Variant.InterfaceID, v.Variant.EventCode)
		if !ok {
			reject(catalogue.MSG3003, "no routing rule for "+v.Variant.InterfaceID, nil)
			continue
		}
		update := RegistrationUpdate(h.cfg.Catalogue, v.Variant.InterfaceID, env.Payload, now)
		recips, finding := Resolve(env, rule, parties[env.MPAN].At(now), update, h)
		if finding != nil {
			finding.Path = fmt.Sprintf("[%d].%s", i, finding.Path)
			reject(finding.Code, finding.Detail, []catalogue.Finding{*finding})
			continue
		}
		if len(recips) == 0 {
			detail := "no participant receives " + v.Variant.InterfaceID + " " + v.Variant.EventCode + " for this message"
			if len(rule.Secondary)+len(rule.Always) == 0 || rule.Answer && env.ResponseCode == string(catalogue.ResponseCodeR) {
				detail += ": it goes only to the parties the sender names in A0.primaryRecipients"
			}
			reject(catalogue.MSG3003, detail, nil)
			continue
		}
		m := &Message{
			TransactionID: NewTransactionID(v.Variant.InterfaceID, env.SenderDIPID, env.SenderRoleID, now),
			Channel:       v.Variant.InterfaceID, EventCode: v.Variant.EventCode,
			SenderDIPID: env.SenderDIPID, SenderRole: env.SenderRoleID, SenderUniqueReference: env.SenderUniqueReference,
			CorrelationID: it.CorrelationID, MPAN: env.MPAN, AcceptedAt: now, Recipients: recips,
			UpdateParties: update,
		}
		in, _ := h.cfg.Catalogue.Interface(m.Channel)
		m.Body, err = EgressBody(env.Payload, m, in.Publication, false)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
		idx = append(idx, i)
	}
	if len(msgs) > 0 {
		results, err := h.commit(ctx, msgs)
		if err != nil {
			return nil, err
		}
		for j, r := range results {
			it := &items[idx[j]]
			if r.Duplicate {
				it.Code, it.Detail = catalogue.MSG3001, "senderUniqueReference already used by this sender"
				// The first message's transaction id tells a sender that
				// resends after a lost answer which message the DIP has.
				if jr, err := h.store.Journal(ctx, sender.DIPID, msgs[j].SenderUniqueReference); err == nil && !jr.Rejected {
					it.TransactionID = jr.Message.TransactionID
				}
				continue
			}
			it.Code, it.TransactionID = catalogue.MSG0000, msgs[j].TransactionID
		}
		h.Wake()
	}
	if len(rejections) > 0 {
		if err := h.store.Reject(context.WithoutCancel(ctx), rejections); err != nil {
			h.cfg.Logger.Error("record rejections", "err", err)
		}
	}
	h.observe().Submitted(channel, items)
	h.logSubmit(sender, channel, items)
	return items, nil
}

// logSubmit logs a submission: its counts at Info, each refused message at
// Info with its code (participants' mistakes, not the DIP's).
func (h *Hub) logSubmit(sender *Participant, channel string, items []Item) {
	accepted, duplicates := 0, 0
	for _, it := range items {
		switch {
		case it.Accepted():
			accepted++
		case it.Code == catalogue.MSG3001:
			duplicates++
		default:
			h.cfg.Logger.Info("message refused", "dip_id", sender.DIPID, "if", channel, "ref", it.SenderUniqueReference, "code", string(it.Code), "detail", it.Detail)
		}
	}
	h.cfg.Logger.Info("messages submitted", "dip_id", sender.DIPID, "if", channel, "count", len(items), "accepted", accepted, "duplicates", duplicates,
		"refused", len(items)-accepted-duplicates)
}

type commitReq struct {
	msgs []*Message
	done chan commitResp
}

type commitResp struct {
	results []AcceptResult
	err     error
}

// commit queues msgs for a group commit and waits for it. The caller holds
// an inflight registration (enter), so the commits channel is open.
func (h *Hub) commit(ctx context.Context, msgs []*Message) ([]AcceptResult, error) {
	req := &commitReq{msgs: msgs, done: make(chan commitResp, 1)}
	select {
	case h.commits <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-h.committersDone: // a committer failed and the others stopped
		return nil, ErrStopped
	}
	// Once queued the commit happens; wait for it even if the caller goes.
	select {
	case r := <-req.done:
		return r.results, r.err
	case <-h.committersDone:
		// Every committer has stopped; one may have answered just before.
		select {
		case r := <-req.done:
			return r.results, r.err
		default:
			return nil, ErrStopped
		}
	}
}

// commitLoop is the group committer: it takes every request waiting and
// commits them in one store transaction, until the commits channel is
// closed and drained. A failed commit is answered with its error and stops
// the loop with it: the store cannot be trusted to take more.
func (h *Hub) commitLoop() error {
	for r := range h.commits {
		batch := []*commitReq{r}
		n := len(r.msgs)
	more:
		for n < h.cfg.MaxCommitBatch {
			select {
			case r, ok := <-h.commits:
				if !ok {
					break more
				}
				batch = append(batch, r)
				n += len(r.msgs)
			default:
				break more
			}
		}
		if err := h.commitBatch(batch); err != nil {
			return fmt.Errorf("dip: group commit: %w", err)
		}
	}
	return nil
}

// Stats are the hub's counters since it started.
type Stats struct {
	Commits    int64         // group commits
	Committed  int64         // messages in them
	CommitTime time.Duration // time spent in the store's Accept
	MeanBatch  float64       // messages per commit
	MeanCommit time.Duration // per commit
}

// Stats returns the hub's counters.
func (h *Hub) Stats() Stats {
	s := Stats{Commits: h.stats.commits.Load(), Committed: h.stats.committed.Load(), CommitTime: time.Duration(h.stats.commitNanos.Load())}
	if s.Commits > 0 {
		s.MeanBatch = float64(s.Committed) / float64(s.Commits)
		s.MeanCommit = s.CommitTime / time.Duration(s.Commits)
	}
	return s
}

func (h *Hub) commitBatch(batch []*commitReq) error {
	var all []*Message
	for _, r := range batch {
		all = append(all, r.msgs...)
	}
	start := time.Now()
	results, err := h.store.Accept(context.Background(), all)
	took := time.Since(start)
	h.stats.commits.Add(1)
	h.stats.committed.Add(int64(len(all)))
	h.stats.commitNanos.Add(int64(took))
	h.observe().StoreOp("accept", took, err)
	if err == nil {
		h.observe().Committed(len(all), took)
	}
	off := 0
	for _, r := range batch {
		if err != nil {
			r.done <- commitResp{err: err}
			continue
		}
		r.done <- commitResp{results: results[off : off+len(r.msgs)]}
		off += len(r.msgs)
	}
	return err
}

// deliverLoop claims due deliveries and delivers them until ctx is done;
// it returns the store's error after MaxStoreFailures failed rounds in a
// row.
func (h *Hub) deliverLoop(ctx context.Context) error {
	t := time.NewTicker(h.cfg.PollInterval)
	defer t.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-h.wake:
		case <-t.C:
		}
		for ctx.Err() == nil {
			n, err := h.DeliverOnce(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				failures++
				h.cfg.Logger.Error("deliver", "err", err, "failures", failures)
				if failures >= h.cfg.MaxStoreFailures {
					return fmt.Errorf("dip: delivery failed %d times in a row: %w", failures, err)
				}
				break
			}
			failures = 0
			if n == 0 {
				break
			}
		}
	}
}

// deliverable returns what this hub can deliver: co-located services on
// every channel, webhook recipients on the channels they configured.
func (h *Hub) deliverable() []Target {
	h.mu.RLock()
	defer h.mu.RUnlock()
	channels := map[string][]string{}
	if h.cfg.Webhooks != nil {
		for _, w := range h.webhooks {
			if _, local := h.local[w.Recipient]; !local {
				channels[w.Recipient] = append(channels[w.Recipient], w.Channel)
			}
		}
	}
	out := make([]Target, 0, len(channels)+len(h.local))
	for id, svc := range h.local {
		out = append(out, Target{Recipient: id, Channels: svc.channels()})
	}
	for id, chs := range channels {
		slices.Sort(chs)
		out = append(out, Target{Recipient: id, Channels: chs})
	}
	slices.SortFunc(out, func(a, b Target) int { return strings.Compare(a.Recipient, b.Recipient) })
	return out
}

// DeliverOnce claims one round of due deliveries, delivers them and records
// the attempts. It returns how many deliveries it attempted. Once claimed, a
// round finishes even when ctx ends (up to DrainTimeout), so that shutdown
// does not abandon in-flight deliveries.
func (h *Hub) DeliverOnce(ctx context.Context) (int, error) {
	targets := h.deliverable()
	if len(targets) == 0 {
		return 0, nil
	}
	now := h.cfg.Now()
	var ds []Delivery
	err := h.timed("claim", func() (err error) {
		ds, err = h.store.ClaimDue(ctx, ClaimQuery{Now: now, Limit: h.cfg.ClaimBatch, Owner: h.cfg.Owner, Lease: h.cfg.Lease, Targets: targets, Run: h.cfg.BatchSize})
		return err
	})
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.DrainTimeout)
	defer cancel()
	type batch struct {
		to Endpoint
		ds []Delivery
	}
	// A run (the deliveries claimed together for one recipient, channel
	// and MPAN) goes whole in one batch, in seq order: the batches are
	// posted concurrently, and the answer to one POST leaves every message
	// of a run final or all of them to retry, so none is delivered before
	// an earlier one.
	var batches []batch
	var filled []int // per batch: deliveries placed or reserved for its runs
	byKey := map[string]int{}
	runSize, runBatch := map[string]int{}, map[string]int{}
	for _, d := range ds {
		if d.MPAN != "" {
			runSize[d.Recipient+" "+d.Channel+" "+d.MPAN]++
		}
	}
	var unroutable []Attempt
	for _, d := range ds {
		ep, ok := h.endpoint(d.Recipient, d.Channel)
		if !ok {
			// The webhook went away after the claim: try again later.
			unroutable = append(unroutable, Attempt{Seq: d.Seq, Recipient: d.Recipient, At: now, Status: StatusRetrying,
				Error: "no webhook configured", Next: now.Add(h.cfg.Retry.BaseDelay)})
			continue
		}
		key := d.Recipient + " " + d.Channel
		run := key + " " + d.MPAN
		i, placed := runBatch[run]
		if !placed {
			size := max(1, runSize[run])
			if i, ok = byKey[key]; !ok || filled[i]+size > h.cfg.BatchSize {
				batches, filled = append(batches, batch{to: ep}), append(filled, 0)
				i = len(batches) - 1
				byKey[key] = i
			}
			filled[i] += size
			if d.MPAN != "" {
				runBatch[run] = i
			}
		}
		batches[i].ds = append(batches[i].ds, d)
	}
	attempts := make([][]Attempt, len(batches))
	sem := make(chan struct{}, h.cfg.Concurrency)
	var wg sync.WaitGroup
	for i := range batches {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			attempts[i] = h.deliverBatch(dctx, batches[i].to, batches[i].ds)
		}(i)
	}
	wg.Wait()
	all := unroutable
	for _, a := range attempts {
		all = append(all, a...)
	}
	if err := h.timed("complete", func() error { return h.store.Complete(dctx, all, h.cfg.Retry.PauseAfter) }); err != nil {
		return 0, err
	}
	h.observe().Attempted(all, ds)
	h.logRound(dctx, all)
	return len(ds), nil
}

// logRound logs a delivery round: its counts at Debug; retries and dead
// letters at Warn; a recipient the round's failures paused at Warn, once.
func (h *Hub) logRound(ctx context.Context, attempts []Attempt) {
	var delivered, rejected, retrying, exhausted int
	failed := map[string]bool{}
	for _, a := range attempts {
		switch a.Status {
		case StatusDelivered:
			delivered++
		case StatusRejectedByRecipient:
			rejected++
		case StatusRetrying:
			retrying++
		case StatusRetriesExhausted:
			exhausted++
		}
		if a.Failure {
			failed[a.Recipient] = true
		}
	}
	h.cfg.Logger.Debug("delivery round", "count", len(attempts), "delivered", delivered, "rejected", rejected, "retrying", retrying, "exhausted", exhausted)
	if retrying+exhausted > 0 {
		h.cfg.Logger.Warn("deliveries failed", "retrying", retrying, "exhausted", exhausted, "recipients", len(failed))
	}
	if len(failed) == 0 {
		return
	}
	states, err := h.store.RecipientStates(ctx)
	if err != nil {
		return
	}
	h.pausedMu.Lock()
	defer h.pausedMu.Unlock()
	if h.paused == nil {
		h.paused = map[string]bool{}
	}
	for _, st := range states {
		if st.Paused && failed[st.Recipient] && !h.paused[st.Recipient] {
			h.cfg.Logger.Warn("recipient paused", "dip_id", st.Recipient, "failures", st.ConsecutiveFailures)
		}
		h.paused[st.Recipient] = st.Paused
	}
}

func (h *Hub) endpoint(recipient, channel string) (Endpoint, bool) {
	if _, ok := h.local[recipient]; ok {
		return Endpoint{Recipient: recipient, Channel: channel}, true
	}
	if w, ok := h.Webhook(channel, recipient); ok && h.cfg.Webhooks != nil {
		return Endpoint{Recipient: recipient, Channel: channel, CallbackURL: w.CallbackURL}, true
	}
	return Endpoint{}, false
}

// EgressArray returns the DIPMessageEgressArray body for payloads: a JSON
// array of {"payload": …}, the shape of a sender's DIPMessageArray too.
func EgressArray(bodies [][]byte) []byte {
	n := 2
	for _, b := range bodies {
		n += len(b) + 13
	}
	var buf bytes.Buffer
	buf.Grow(n)
	buf.WriteByte('[')
	for i, b := range bodies {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"payload":`)
		buf.Write(b)
		buf.WriteByte('}')
	}
	buf.WriteByte(']')
	return buf.Bytes()
}

func (h *Hub) deliverBatch(ctx context.Context, to Endpoint, ds []Delivery) []Attempt {
	bodies := make([][]byte, len(ds))
	var maskErr error
	for i := range ds {
		b, err := h.cfg.Masking.Apply(ds[i].Body, ds[i].Role)
		if err != nil { // stored bodies are valid JSON: this is a fault
			h.cfg.Logger.Error("mask", "err", err, "seq", ds[i].Seq)
			maskErr = err
		}
		bodies[i] = b
	}
	start := h.cfg.Now()
	var res Result
	svc, local := h.local[to.Recipient]
	switch {
	case maskErr != nil:
		// Fail closed: a body that cannot be masked is not delivered, as
		// it may carry personal data the recipient must not see.
		res = Result{Outcome: Failed, Err: "masking failed: " + maskErr.Error()}
	case local && to.Channel == StatusChannel:
		// A co-located service takes no status messages: they are done.
		res = Result{Outcome: Delivered, Err: "a co-located service takes no status messages"}
	case local:
		res = svc.deliver(ctx, ds, bodies)
	default:
		array := EgressArray(bodies)
		if to.Channel == StatusChannel {
			array = StatusArray(bodies)
		}
		res = h.cfg.Webhooks.Deliver(ctx, to, array)
	}
	if res.Duration == 0 {
		res.Duration = h.cfg.Now().Sub(start)
	}
	out := make([]Attempt, len(ds))
	jitter := rand.Float64() // one for the batch: a run retries together
	for i, dl := range ds {
		a := Attempt{Seq: dl.Seq, Recipient: dl.Recipient, At: start, Duration: res.Duration, StatusCode: res.StatusCode, Error: res.Err}
		outcome := res.Outcome
		if outcome == PartiallyRejected {
			outcome = Rejected
			if i < len(res.PerMessage) && res.PerMessage[i] {
				outcome = Delivered
			}
		}
		switch outcome {
		case Delivered:
			a.Status = StatusDelivered
		case Rejected:
			a.Status = StatusRejectedByRecipient
		default:
			a.Failure = true
			n := dl.Attempts + 1
			if n >= h.cfg.Retry.MaxAttempts {
				a.Status = StatusRetriesExhausted
			} else {
				a.Status = StatusRetrying
				a.Next = start.Add(h.cfg.Retry.Delay(n, jitter))
			}
		}
		out[i] = a
	}
	return out
}

// ReplayBody returns a stored message as a replay sends it to recipient:
// D0 rebuilt with replayIndicator true by EgressBody, as on intake, and the
// payload masked for the recipient's role. Status items carry no D0 and go as
// stored.
func (h *Hub) ReplayBody(m *Message, recipient string) ([]byte, error) {
	role := ""
	for _, r := range m.Recipients {
		if r.DIPID == recipient {
			role = r.Role
		}
	}
	body := m.Body
	if m.Channel != StatusChannel {
		publication := ""
		if in, ok := h.cfg.Catalogue.Interface(m.Channel); ok {
			publication = in.Publication
		}
		var err error
		if body, err = EgressBody(m.Body, m, publication, true); err != nil {
			return nil, err
		}
	}
	return h.cfg.Masking.Apply(body, role)
}

// Wake makes the delivery worker look for due deliveries now.
func (h *Hub) Wake() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// StatusArray returns a StandardResponseArray body of status items: the
// form the DIP posts to status-message webhooks.
func StatusArray(items [][]byte) []byte {
	return append(append([]byte{'['}, bytes.Join(items, []byte{','})...), ']')
}

// SubmitStatus accepts asynchronous (L4) status messages: a
// StandardResponseArray (already schema-checked) sent by a recipient about
// messages it received. Each item names the DIP transaction it is about; it
// is forwarded to that message's sender on the status channel. An item whose
// transaction the caller did not receive is refused (MSG3002).
func (h *Hub) SubmitStatus(ctx context.Context, from *Participant, body []byte) ([]Item, error) {
	if err := h.enter(); err != nil {
		return nil, err
	}
	defer h.inflight.Done()
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return []Item{{Code: catalogue.MSG1002, Detail: err.Error()}}, nil
	}
	now := h.cfg.Now()
	items := make([]Item, len(raw))
	var msgs []*Message
	var idx []int
	for i, r := range raw {
		var head struct {
			TransactionID         *string `json:"transactionID"`
			SenderUniqueReference *string `json:"senderUniqueReference"`
		}
		json.Unmarshal(r, &head)
		it := &items[i]
		if head.SenderUniqueReference != nil {
			it.SenderUniqueReference = *head.SenderUniqueReference
		}
		if head.TransactionID == nil {
			it.Code, it.Detail = catalogue.MSG1001, "a status message names the DIP transactionID it is about"
			continue
		}
		it.TransactionID = *head.TransactionID
		orig, _, err := h.store.Replay(ctx, ReplayQuery{Recipient: from.DIPID, TransactionIDs: []string{*head.TransactionID}, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(orig) == 0 {
			it.Code, it.Detail = catalogue.MSG3002, "participant "+from.DIPID+" did not receive transaction "+*head.TransactionID
			continue
		}
		o := orig[0]
		tx := NewTransactionID("ST", from.DIPID, "STA", now)
		m := &Message{
			TransactionID: tx, Channel: StatusChannel, EventCode: o.EventCode,
			// A status item has no reference of its own: it is keyed by the
			// DIP's id for it, so status messages never collide with messages.
			SenderDIPID: from.DIPID, SenderRole: "STATUS", SenderUniqueReference: "STATUS-" + tx,
			MPAN: o.MPAN, AcceptedAt: now, Body: []byte(r),
			Recipients: []Recipient{{DIPID: o.SenderDIPID, Role: o.SenderRole, Route: Primary}},
		}
		msgs = append(msgs, m)
		idx = append(idx, i)
	}
	if len(msgs) > 0 {
		if _, err := h.commit(ctx, msgs); err != nil {
			return nil, err
		}
		for _, i := range idx {
			items[i].Code = catalogue.MSG0000
		}
		h.Wake()
	}
	return items, nil
}
