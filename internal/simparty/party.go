package simparty

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sort"
	"sync"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/participant"
)

// Party is a simulated market participant: it records every delivery once
// and accepts it, and, given a Sender, answers as the market expects of
// its role (react.go): a supplier gaining an MPAN appoints its services, a
// service provider accepts an appointment. What it sends is queued in its
// store with the delivery's record and relayed by Run.
type Party struct {
	DIPID  string
	Role   string // SUP, LDSO, a service role…
	Store  participant.Store
	Logger *slog.Logger
	// Receives are the interfaces it takes (its webhooks in a split
	// deployment); nil: every interface the catalogue delivers to Role.
	Receives []string
	// Sender stamps what the party sends; nil: the party only records.
	Sender *catalogue.Sender
	// Agents chooses a supplier's services for an MPAN it gains; nil (or
	// false) keeps the incumbents IF-002 names.
	Agents AgentsFunc

	relayOnce sync.Once
	relay     *participant.Relay
}

// NewSupplier returns a simulated supplier keeping its records in st.
func NewSupplier(dipID string, st participant.Store) *Party {
	return &Party{DIPID: dipID, Role: string(market.RoleSupplier), Store: st}
}

// NewLDSO returns a simulated distributor keeping its records in st.
func NewLDSO(dipID string, st participant.Store) *Party {
	return &Party{DIPID: dipID, Role: string(market.RoleLDSO), Store: st}
}

// Tally is what a party has received.
type Tally struct {
	// Messages counts deliveries by interface and event ("IF-021 [ActivePower]").
	Messages map[string]int `json:"messages"`
	// Energy is the total of every IF-021 period received, by MPAN, in Wh:
	// what a supplier bills and an LDSO charges use of system on.
	Energy map[string]market.Energy `json:"energy"`
	// Last is the transaction id of the last delivery, by interface.
	Last map[string]string `json:"last"`
}

const tallyKey = "tally"

// Channels returns the interfaces the party receives.
func (p *Party) Channels() []string {
	if p.Receives != nil {
		return p.Receives
	}
	return ChannelsFor(p.Role)
}

// Handle records each delivery once (a redelivery, recognised by its
// transaction id, changes nothing) and accepts it; a payload it cannot
// read is rejected with its code, and a store failure asks the DIP to
// retry. The batch is recorded in one store transaction.
func (p *Party) Handle(ctx context.Context, ds []participant.Delivery) []catalogue.Code {
	codes := make([]catalogue.Code, len(ds))
	msgs := make([]catalogue.Payload, len(ds))
	var keys []string
	var at []int
	for i, d := range ds {
		msg, err := d.Decode()
		if err != nil {
			var ie *catalogue.InvalidError
			if errors.As(err, &ie) && len(ie.Findings) > 0 {
				codes[i] = ie.Findings[0].Code
			} else {
				codes[i] = catalogue.MSG1001
			}
			continue
		}
		msgs[i], codes[i] = msg, participant.Accept
		keys, at = append(keys, d.TransactionID), append(at, i)
	}
	if len(keys) == 0 {
		return codes
	}
	var t Tally
	_, err := p.Store.ApplyAll(ctx, keys, func(tx participant.Tx, j int) error {
		if t.Messages == nil {
			if _, err := tx.Get(tallyKey, &t); err != nil {
				return err
			}
		}
		t.add(ds[at[j]], msgs[at[j]])
		if err := p.react(tx, msgs[at[j]]); err != nil {
			return err
		}
		return tx.Put(tallyKey, t)
	})
	if err != nil {
		p.logger().Error("simparty: recording deliveries failed", "dip_id", p.DIPID, "err", err)
		for _, i := range at {
			codes[i] = participant.Retry
		}
		return codes
	}
	if p.Sender != nil {
		p.outbox().Wake()
	}
	return codes
}

func (p *Party) outbox() *participant.Relay {
	p.relayOnce.Do(func() { p.relay = participant.NewRelay(p.Store, p.logger()) })
	return p.relay
}

func (t *Tally) add(d participant.Delivery, msg catalogue.Payload) {
	if t.Messages == nil {
		t.Messages, t.Energy, t.Last = map[string]int{}, map[string]market.Energy{}, map[string]string{}
	}
	t.Messages[d.Channel+" "+d.Event]++
	t.Last[d.Channel] = d.TransactionID
	if m, ok := msg.(*catalogue.IF021ActivePower); ok {
		for _, day := range m.CustomBlock.B900.SettlementDayConsumptionPeriods {
			for _, period := range day.ConsumptionPeriods {
				t.Energy[d.MPAN] += period.V
			}
		}
	}
}

// Run relays what the party queued (its answers) through out until ctx is
// done; a party without a Sender only waits.
func (p *Party) Run(ctx context.Context, out participant.Sender) error {
	if p.Sender == nil {
		<-ctx.Done()
		return nil
	}
	return p.outbox().Run(ctx, out)
}

// Tally returns what the party has recorded.
func (p *Party) Tally(ctx context.Context) (Tally, error) {
	var t Tally
	_, err := p.Store.Get(ctx, tallyKey, &t)
	return t, err
}

func (p *Party) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// ChannelsFor returns the interfaces the catalogue delivers to any of
// roles, sorted: what a participant holding them receives.
func ChannelsFor(roles ...string) []string {
	var out []string
	for _, in := range catalogue.Default().Interfaces() {
		for _, r := range in.Recipients {
			if slices.Contains(roles, r) {
				out = append(out, in.ID)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}
