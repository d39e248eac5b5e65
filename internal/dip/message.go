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

// RegistrationUpdate returns the change a message makes to its MPAN's
// parties, or nil. The DIP learns an MPAN's supplier from IF-001, its
// appointed services from IF-036 and their removal from IF-037. Effective
// dates are not modelled: a change applies when the message is accepted.
func RegistrationUpdate(c *catalogue.Catalogue, channel string, payload []byte) func(*Parties) bool {
	switch channel {
	case "IF-001", "IF-036", "IF-037":
	default:
		return nil
	}
	p, err := c.Decode(payload)
	if err != nil {
		return nil
	}
	switch m := p.(type) {
	case *catalogue.IF001InitialRegistration:
		id := m.CustomBlock.B002.IncomingSupplierDIPID
		return func(p *Parties) bool { return set(&p.Supplier, id) }
	case *catalogue.IF001ChangeOfSupplier:
		id := m.CustomBlock.B002.IncomingSupplierDIPID
		return func(p *Parties) bool { return set(&p.Supplier, id) }
	case *catalogue.IF036MSAppActive:
		ms, sup := m.CustomBlock.B014.IncomingMeteringServiceDIPID, m.CustomBlock.B012.ServiceProviderAppointmentRequestingSupplierDIPID
		return func(p *Parties) bool { changed := set(&p.MeteringService, ms); return set(&p.Supplier, sup) || changed }
	case *catalogue.IF036DSAppActive:
		ds, sup := m.CustomBlock.B015.IncomingDataServiceDIPID, m.CustomBlock.B012.ServiceProviderAppointmentRequestingSupplierDIPID
		mdr := ""
		if m.CustomBlock.B019 != nil {
			mdr = m.CustomBlock.B019.AssignedMDRDIPID
		}
		return func(p *Parties) bool {
			changed := set(&p.DataService, ds)
			changed = set(&p.Supplier, sup) || changed
			if mdr != "" {
				changed = set(&p.MDR, mdr) || changed
			}
			return changed
		}
	case *catalogue.IF037MSDeApp:
		id := m.CustomBlock.B008.DeAppointedMeteringServiceDIPID
		return func(p *Parties) bool { return clearIf(&p.MeteringService, id) }
	case *catalogue.IF037DSDeApp:
		id := m.CustomBlock.B009.DeAppointedDataServiceDIPID
		return func(p *Parties) bool { return clearIf(&p.DataService, id) }
	}
	return nil
}

func set(field *string, v string) bool {
	if v == "" || *field == v {
		return false
	}
	*field = v
	return true
}

func clearIf(field *string, v string) bool {
	if *field != v {
		return false
	}
	*field = ""
	return true
}
