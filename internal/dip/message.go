package dip

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// Message is an accepted message as the store keeps it.
type Message struct {
	Seq                   int64 // assigned by the store, in acceptance order within one store
	TransactionID         string
	Channel               string
	EventCode             string
	SenderDIPID           string
	SenderRole            string
	SenderUniqueReference string
	CorrelationID         string // the sender's correlation id; "" when null
	MPAN                  string
	AcceptedAt            time.Time
	// Body is the egress payload: the sender's payload with A0 and D0
	// completed by the DIP. Deliveries and replays send it.
	Body       []byte
	Recipients []Recipient
	// UpdateParties changes the MPAN's registration state (nil when the
	// message changes none). The store runs it inside the accepting
	// transaction, on the MPAN's current Parties.
	UpdateParties func(*Parties) bool
}

// NewTransactionID returns a DIP transaction id in the published form
// T-IF-006-0123456789-SUP-20220401-<unique>, at most 65 characters. The
// unique part is a strictly increasing clock reading in nanoseconds (16 hex
// digits) and 16 random bits: ids of one process never repeat, ids of
// several processes collide with negligible probability, and new ids sort
// after old ones, so the store's transaction-id index grows at its end
// instead of dirtying a random page per message.
func NewTransactionID(channel, sender, role string, at time.Time) string {
	n := uint64(time.Now().UnixNano())
	for {
		last := lastTxClock.Load()
		if n <= last {
			n = last + 1
		}
		if lastTxClock.CompareAndSwap(last, n) {
			break
		}
	}
	var b [10]byte
	binary.BigEndian.PutUint64(b[:8], n)
	rand.Read(b[8:])
	return "T-" + channel + "-" + sender + "-" + role + "-" + at.UTC().Format("20060102") + "-" + strings.ToUpper(hex.EncodeToString(b[:]))
}

var lastTxClock atomic.Uint64

// EgressBody completes A0 (all recipients by route) and D0 in the sender's
// payload. publication is the channel's PUB-nnn; where the spec gives none
// (IF-051, REP-xxx) the channel id stands in, as D0.publicationID is required.
func EgressBody(payload []byte, m *Message, publication string, replay bool) ([]byte, error) {
	a0 := catalogue.A0{PrimaryRecipients: []string{}, SecondaryRecipients: []string{}, Always: []string{}}
	for _, r := range m.Recipients {
		switch r.Route {
		case Primary:
			a0.PrimaryRecipients = append(a0.PrimaryRecipients, r.DIPID)
		case Secondary:
			a0.SecondaryRecipients = append(a0.SecondaryRecipients, r.DIPID)
		case Always:
			a0.Always = append(a0.Always, r.DIPID)
		}
	}
	if publication == "" {
		publication = m.Channel
	}
	d0 := catalogue.D0{TransactionID: m.TransactionID, TransactionTimestamp: market.At(m.AcceptedAt),
		PublicationID: publication, ReplayIndicator: replay}
	if m.CorrelationID != "" {
		d0.InitialCorrelationID = &m.CorrelationID
	}
	a0b, _ := json.Marshal(a0)
	d0b, _ := json.Marshal(d0)
	return catalogue.SetCommonBlocks(payload, []catalogue.KeyValue{{Key: "A0", Value: a0b}, {Key: "D0", Value: d0b}})
}

// RegistrationUpdate returns the change a message accepted at now makes to
// its MPAN's parties, or nil. The DIP learns an MPAN's supplier from IF-001
// (B002, from its supplierEffectiveFromDate), its appointed services from
// IF-036 (B014, B015 and the MDR of B019, from their effective dates; the
// requesting supplier of B012 at once) and their removal from IF-037 (from
// the day after the de-appointed service's effective-to date). A change
// dated later is kept pending and routes from its date (Parties.At); one
// dated now or earlier applies at once. The update rolls the parties
// forward to now first, so that due changes are stored applied.
func RegistrationUpdate(c *catalogue.Catalogue, channel string, payload []byte, now time.Time) func(*Parties) bool {
	switch channel {
	case "IF-001", "IF-036", "IF-037":
	default:
		return nil
	}
	p, err := c.Decode(payload)
	if err != nil {
		return nil
	}
	type change struct {
		from time.Time
		role PartyRole
		id   string
		only string // for a removal: only if this is the party
	}
	var cs []change
	switch m := p.(type) {
	case *catalogue.IF001InitialRegistration:
		b := m.CustomBlock.B002
		cs = append(cs, change{from: b.SupplierEffectiveFromDate.Time(), role: PartySupplier, id: b.IncomingSupplierDIPID})
	case *catalogue.IF001ChangeOfSupplier:
		b := m.CustomBlock.B002
		cs = append(cs, change{from: b.SupplierEffectiveFromDate.Time(), role: PartySupplier, id: b.IncomingSupplierDIPID})
	case *catalogue.IF036MSAppActive:
		b := m.CustomBlock.B014
		cs = append(cs, change{from: b.IncomingMeteringServiceEffectiveFromDate.Time(), role: PartyMeteringService, id: b.IncomingMeteringServiceDIPID},
			change{role: PartySupplier, id: m.CustomBlock.B012.ServiceProviderAppointmentRequestingSupplierDIPID})
	case *catalogue.IF036DSAppActive:
		b := m.CustomBlock.B015
		cs = append(cs, change{from: b.IncomingDataServiceEffectiveFromDate.Time(), role: PartyDataService, id: b.IncomingDataServiceDIPID},
			change{role: PartySupplier, id: m.CustomBlock.B012.ServiceProviderAppointmentRequestingSupplierDIPID})
		if mdr := m.CustomBlock.B019; mdr != nil && mdr.AssignedMDRDIPID != "" {
			cs = append(cs, change{from: mdr.AssignedMDREffectiveFromDate.Time(), role: PartyMDR, id: mdr.AssignedMDRDIPID})
		}
	case *catalogue.IF037MSDeApp:
		b := m.CustomBlock.B008
		cs = append(cs, change{from: dayAfter(b.MeteringServiceEffectiveToDate.Time()), role: PartyMeteringService, only: b.DeAppointedMeteringServiceDIPID})
	case *catalogue.IF037DSDeApp:
		b := m.CustomBlock.B009
		cs = append(cs, change{from: dayAfter(b.DataServiceEffectiveToDate.Time()), role: PartyDataService, only: b.DeAppointedDataServiceDIPID})
	default:
		return nil
	}
	return func(p *Parties) bool {
		rolled := p.At(now)
		changed := len(rolled.Pending) != len(p.Pending)
		*p = rolled
		for _, c := range cs {
			switch {
			case c.only != "":
				// A removal applies to the party it names, as in force
				// (or about to be) when it takes effect.
				if p.At(c.from).of(string(c.role)) != c.only && p.Eventually().of(string(c.role)) != c.only {
					continue
				}
				changed = p.schedule(now, c.from, c.role, "") || changed
			case c.id != "":
				changed = p.schedule(now, c.from, c.role, c.id) || changed
			}
		}
		return changed
	}
}

// dayAfter returns the local midnight after the day t falls on: the start
// of the day after an effective-to date.
func dayAfter(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return market.MidnightOf(market.At(t).LocalDate().AddDays(1)).Time()
}
