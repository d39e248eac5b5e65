package regs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/participant"
)

// Store is the Registration Service's durable state: one registration
// document per MPAN, indexed by its Due time, the CSS events and
// maintenance changes waiting to be applied, the inbox of the inputs
// applied and the outbox of the messages to send. internal/sqlite and
// internal/postgres implement it; internal/storetest (RunRegs) is the
// conformance suite both pass.
type Store interface {
	participant.Outbox
	// Update runs fn(tx, i) for each keys[i] not applied before (nor
	// earlier in the batch; "" applies every time), in one transaction:
	// the registrations it Puts and the messages it Queues commit together
	// with the keys. An error from fn discards the whole batch.
	Update(ctx context.Context, keys []string, fn func(tx Tx, i int) error) (applied []bool, err error)
	// Registration reads one MPAN's registration; an error matching
	// ErrNotFound when there is none.
	Registration(ctx context.Context, mpan market.MPAN) (*Registration, error)
	// Due returns up to limit MPANs whose Due time is at or before t,
	// earliest first.
	Due(ctx context.Context, t time.Time, limit int) ([]market.MPAN, error)
	// Load stores registrations as they are, new or replacing, outside
	// any process: the Registration Service's initial data.
	Load(ctx context.Context, rs []*Registration) error
	// Submit queues external inputs (CSS events or maintenance changes,
	// JSON) for the service to apply, in one transaction, skipping a key
	// queued or applied before; Inputs returns up to limit of those not
	// yet applied, oldest first, with their keys.
	Submit(ctx context.Context, inputs ...QueuedInput) error
	Inputs(ctx context.Context, limit int) ([]QueuedInput, error)
}

// Tx is the view of a Store inside Update: the Book the Engine reads and
// writes, and the outbox.
type Tx interface {
	Book
	// Queue adds an encoded message to the outbox, sent after the
	// transaction commits.
	Queue(channel string, payload []byte) error
}

// QueuedInput is an external input waiting in the store: Key is
// "css:ID" or "maintenance:ID".
type QueuedInput struct {
	Key   string
	Input []byte
}

// Service is the Registration Service as a DIP participant: it decides
// what the DIP delivers to it (Engine.Receive), the Central Switching
// Service's events and the distributors' maintenance changes (queued in
// the store by Submit: CSS and the LDSOs have no DIP interface to REGS),
// and the passing of time (Engine.Tick of the MPANs whose Due time has
// come), and sends what it decides through the DIP. Each input's effect is
// applied once: its registrations and messages commit together with its
// key (the DIP's transaction id, the CSS event's or the change's id), and
// the messages leave from the outbox with references fixed by the input.
type Service struct {
	Engine *Engine
	Store  Store
	Relay  *participant.Relay
	Logger *slog.Logger
	// Poll is how often Run looks for due MPANs and queued inputs
	// (default 1 s).
	Poll time.Duration
	// Now is the market's clock for ticks (default time.Now).
	Now func() time.Time
	// Announced is called when an ISD announcement (IF-047) is delivered:
	// what refreshes the Engine's Directory (a LiveDirectory) from
	// standing data and the DIP's registry. An error asks the DIP to
	// deliver the announcement again. Nil: the announcement changes
	// nothing.
	Announced func(ctx context.Context) error
}

// NewService returns the service of engine over store.
func NewService(engine *Engine, store Store, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{Engine: engine, Store: store, Relay: participant.NewRelay(store, log), Logger: log, Poll: time.Second}
}

// Channels returns the interfaces REGS receives.
func (s *Service) Channels() []string {
	var out []string
	for _, in := range catalogue.Default().Interfaces() {
		if slices.Contains(in.Recipients, string(market.RoleREGS)) {
			out = append(out, in.ID)
		}
	}
	return out
}

// Handle decides a batch of deliveries in one store transaction, each once
// (a redelivery, recognised by its transaction id, changes nothing and is
// accepted). A message REGS does not take is rejected (MSG1001: it is not
// routed to REGS by the default routing); a business rejection is not a
// delivery failure: its answer goes back through the DIP. A store or
// encoding fault asks the DIP to deliver the batch again.
//
// An ISD announcement (IF-047) calls Announced, which refreshes the
// participants' roles REGS checks providers against; REGS keeps no other
// standing data.
func (s *Service) Handle(ctx context.Context, ds []participant.Delivery) []catalogue.Code {
	codes := make([]catalogue.Code, len(ds))
	inputs := make([]Input, len(ds))
	var keys []string
	var at []int
	for i, d := range ds {
		if d.Channel == "IF-047" {
			codes[i] = participant.Accept
			if s.Announced != nil {
				if err := s.Announced(ctx); err != nil {
					s.Logger.Warn("regs: refreshing the directory after an ISD announcement failed; asking for it again", "err", err)
					codes[i] = participant.Retry
				}
			}
			continue
		}
		p, err := d.Decode()
		if err != nil {
			codes[i] = catalogue.MSG1001
			continue
		}
		ts := time.Time{}
		if d0 := p.Common().D0; d0 != nil {
			ts = d0.TransactionTimestamp.Time()
		}
		if ts.IsZero() {
			codes[i] = catalogue.MSG1001
			continue
		}
		inputs[i] = Input{Payload: p, TransactionID: d.TransactionID, Timestamp: ts}
		codes[i] = participant.Accept
		keys, at = append(keys, d.TransactionID), append(at, i)
	}
	if len(keys) == 0 {
		return codes
	}
	unsupported := map[int]bool{}
	_, err := s.Store.Update(ctx, keys, func(tx Tx, j int) error {
		i := at[j]
		dec, err := s.Engine.Receive(tx, inputs[i])
		if errors.Is(err, ErrUnsupported) {
			unsupported[i] = true
			return nil
		}
		if err != nil {
			return err
		}
		if dec.Rejected {
			s.Logger.Info("regs: a message was refused", "if", ds[i].Channel, "event", ds[i].Event, "mpan", ds[i].MPAN,
				"codes", fmt.Sprint(dec.Codes), "detail", dec.Detail)
		}
		return queue(tx, dec)
	})
	if err != nil {
		s.Logger.Error("regs: deciding deliveries failed; the DIP will deliver them again", "count", len(keys), "err", err)
		for _, i := range at {
			codes[i] = participant.Retry
		}
		return codes
	}
	for i := range unsupported {
		codes[i] = catalogue.MSG1001
	}
	s.Relay.Wake()
	return codes
}

// queue encodes a decision's messages, checking each against the
// contract, and queues them.
func queue(tx Tx, dec Decision) error {
	for _, m := range dec.Messages {
		b, findings, err := catalogue.EncodeValid(m)
		if err != nil {
			return err
		}
		if len(findings) > 0 {
			return &catalogue.InvalidError{Variant: m.Variant(), Findings: findings}
		}
		if err := tx.Queue(m.Variant().InterfaceID, b); err != nil {
			return err
		}
	}
	return nil
}

// Run relays the outbox through out and, every Poll, applies the queued
// external inputs and ticks the MPANs whose Due time has come, until ctx
// is done. A store that fails stops it with the error.
func (s *Service) Run(ctx context.Context, out participant.Sender) error {
	relay := make(chan error, 1)
	go func() { relay <- s.Relay.Run(ctx, out) }()
	poll := s.Poll
	if poll <= 0 {
		poll = time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if err := s.Work(ctx); err != nil && ctx.Err() == nil {
			return err
		}
		select {
		case <-ctx.Done():
			<-relay
			return nil
		case err := <-relay:
			return err
		case <-t.C:
		}
	}
}

// Work applies the queued external inputs and ticks the MPANs due now,
// once. Run calls it every Poll.
func (s *Service) Work(ctx context.Context) error {
	for {
		qs, err := s.Store.Inputs(ctx, 100)
		if err != nil || len(qs) == 0 {
			if err != nil {
				return err
			}
			break
		}
		if err := s.applyInputs(ctx, qs); err != nil {
			return err
		}
	}
	now := s.now()
	for {
		due, err := s.Store.Due(ctx, now, 100)
		if err != nil || len(due) == 0 {
			return err
		}
		keys := make([]string, len(due))
		if _, err := s.Store.Update(ctx, keys, func(tx Tx, i int) error {
			dec, err := s.Engine.Tick(tx, due[i], now)
			if err != nil {
				return err
			}
			return queue(tx, dec)
		}); err != nil {
			return err
		}
		s.Relay.Wake()
		if len(due) < 100 {
			return nil
		}
	}
}

// external is the stored form of a queued CSS event or maintenance change.
type external struct {
	CSS         *CSSEvent        `json:"css,omitempty"`
	Maintenance *maintenanceJSON `json:"maintenance,omitempty"`
}

// applyInputs decides queued inputs, each once.
func (s *Service) applyInputs(ctx context.Context, qs []QueuedInput) error {
	keys := make([]string, len(qs))
	for i, q := range qs {
		keys[i] = q.Key
	}
	_, err := s.Store.Update(ctx, keys, func(tx Tx, i int) error {
		var x external
		if err := json.Unmarshal(qs[i].Input, &x); err != nil {
			return fmt.Errorf("regs: queued input %s: %w", qs[i].Key, err)
		}
		var dec Decision
		var err error
		switch {
		case x.CSS != nil:
			dec, err = s.Engine.CSS(tx, *x.CSS)
		case x.Maintenance != nil:
			var m Maintenance
			if m, err = x.Maintenance.decode(); err == nil {
				dec, err = s.Engine.Maintain(tx, m)
			}
		default:
			err = fmt.Errorf("regs: queued input %s is neither a CSS event nor a change", qs[i].Key)
		}
		if err != nil {
			return err
		}
		if dec.Rejected {
			s.Logger.Info("regs: an input was refused", "key", qs[i].Key, "codes", fmt.Sprint(dec.Codes), "detail", dec.Detail)
		}
		return queue(tx, dec)
	})
	if err == nil {
		s.Relay.Wake()
	}
	return err
}

// SubmitCSS queues CSS events for the service to apply (each once, by its
// id), together.
func SubmitCSS(ctx context.Context, st Store, evs ...CSSEvent) error {
	qs := make([]QueuedInput, len(evs))
	for i := range evs {
		b, err := json.Marshal(external{CSS: &evs[i]})
		if err != nil {
			return err
		}
		qs[i] = QueuedInput{Key: "css:" + evs[i].ID, Input: b}
	}
	return st.Submit(ctx, qs...)
}

// SubmitMaintenance queues a maintenance change for the service to apply
// (once, by its id).
func SubmitMaintenance(ctx context.Context, st Store, m Maintenance) error {
	mj, err := encodeMaintenance(m)
	if err != nil {
		return err
	}
	b, err := json.Marshal(external{Maintenance: mj})
	if err != nil {
		return err
	}
	return st.Submit(ctx, QueuedInput{Key: "maintenance:" + m.ID, Input: b})
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
