package dip

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
)

// example returns a valid payload of a variant, edited through its type.
func example(t *testing.T, variant string, full bool, edit func(catalogue.Payload)) []byte {
	t.Helper()
	c := catalogue.Default()
	iface, event, _ := strings.Cut(variant, " ")
	v, ok := c.Variant(iface, event)
	if !ok {
		t.Fatalf("no variant %s", variant)
	}
	p, err := c.Decode(c.Example(v, catalogue.ExampleOptions{Full: full}))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(p)
	}
	b, err := catalogue.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEgressBody: the DIP completes A0 with every recipient by route and
// D0 with its transaction, the acceptance time, the publication (the
// channel where the catalogue gives none), the sender's correlation id and
// the replay flag; the rest of the payload is the sender's, and the result
// is a valid payload.
func TestEgressBody(t *testing.T) {
	at := time.Date(2025, 4, 1, 9, 30, 0, 0, time.UTC)
	payload := example(t, "IF-021 [ActivePower]", false, nil)
	m := &Message{TransactionID: "T-IF-021-1200000001-SDS-20250401-0001", Channel: "IF-021", AcceptedAt: at,
		Recipients: someRecipients, CorrelationID: "corr-1"}
	type egress struct {
		CommonBlock struct {
			A0 catalogue.A0
			D0 catalogue.D0
		}
	}
	for _, tt := range []struct {
		publication, wantPublication string
		replay                       bool
		correlation                  string
	}{
		{"PUB-021", "PUB-021", false, "corr-1"},
		{"PUB-021", "PUB-021", true, ""},
		{"", "PUB-021", false, "corr-1"},
	} {
		m.CorrelationID = tt.correlation
		out, err := EgressBody(payload, m, tt.publication, tt.replay)
		if err != nil {
			t.Fatal(err)
		}
		var e egress
		if err := json.Unmarshal(out, &e); err != nil {
			t.Fatal(err)
		}
		a0, d0 := e.CommonBlock.A0, e.CommonBlock.D0
		if !slices.Equal(a0.PrimaryRecipients, []string{"2300000001", "2300000002"}) ||
			!slices.Equal(a0.SecondaryRecipients, []string{"2500000012"}) ||
			!slices.Equal(a0.Always, []string{"1800000001", "1900000001"}) {
			t.Errorf("A0 %+v", a0)
		}
		if d0.TransactionID != m.TransactionID || d0.PublicationID != tt.wantPublication || d0.ReplayIndicator != tt.replay ||
			!d0.TransactionTimestamp.Time().Equal(at) {
			t.Errorf("D0 %+v (publication %q, replay %v)", d0, tt.publication, tt.replay)
		}
		switch {
		case tt.correlation == "" && d0.InitialCorrelationID != nil:
			t.Errorf("initialCorrelationID %q, want null", *d0.InitialCorrelationID)
		case tt.correlation != "" && (d0.InitialCorrelationID == nil || *d0.InitialCorrelationID != tt.correlation):
			t.Errorf("initialCorrelationID %v, want %s", d0.InitialCorrelationID, tt.correlation)
		}
		if tt.correlation == "" && !bytes.Contains(out, []byte(`"initialCorrelationID":null`)) {
			t.Errorf("initialCorrelationID absent, want null: %s", out)
		}
		if tt.publication != "" {
			vd, err := catalogue.NewValidator(catalogue.Default()).ValidatePayload("IF-021", out)
			if err != nil || !vd.OK() {
				t.Errorf("egress body invalid: %v %v", err, vd.Findings)
			}
		}
		// The sender's blocks are as sent.
		for _, key := range []string{`"CustomBlock"`, `"S1"`, `"M0"`} {
			i, j := bytes.Index(payload, []byte(key)), bytes.Index(out, []byte(key))
			if i < 0 || j < 0 {
				t.Fatalf("%s missing", key)
			}
		}
		if !bytes.Contains(out, payload[bytes.Index(payload, []byte(`"CustomBlock"`)):len(payload)-1]) {
			t.Errorf("the CustomBlock changed")
		}
	}
	// A0 arrays are present and empty when a route has nobody.
	out, err := EgressBody(payload, &Message{TransactionID: "T-1", Channel: "IF-021", AcceptedAt: at}, "PUB-021", false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(`"A0":{"primaryRecipients":[],"secondaryRecipients":[],"always":[]}`)) {
		t.Errorf("empty A0: %s", out)
	}
	if _, err := EgressBody([]byte(`[1]`), m, "PUB-021", false); err == nil {
		t.Error("EgressBody of a non-object succeeded")
	}
}

// TestEgressBodyIsValidOnEveryChannel: what the DIP delivers on each
// interface passes the contract, D0 included, so that a recipient that
// validates what it receives (participant.Delivery.Decode) can read it.
func TestEgressBodyIsValidOnEveryChannel(t *testing.T) {
	c := catalogue.Default()
	val := catalogue.NewValidator(c)
	at := time.Date(2025, 4, 1, 9, 30, 0, 0, time.UTC)
	for _, in := range c.Interfaces() {
		t.Run(in.ID, func(t *testing.T) {
			for _, v := range in.Variants {
				payload := c.Example(v, catalogue.ExampleOptions{})
				m := &Message{TransactionID: NewTransactionID(in.ID, "1000000001", "REGS", at), Channel: in.ID, AcceptedAt: at, Recipients: someRecipients}
				out, err := EgressBody(payload, m, in.Publication, false)
				if err != nil {
					t.Fatalf("%s: %v", v.EventCode, err)
				}
				vd, err := val.ValidatePayload(in.ID, out)
				if err != nil || !vd.OK() {
					t.Errorf("%s: egress body invalid: %v %v", v.EventCode, err, vd.Findings)
				}
			}
		})
	}
}

// TestReplayBody: a replay sends the stored message with D0's replay flag
// set, masked for the recipient's role; a status item goes as stored.
func TestReplayBody(t *testing.T) {
	h := NewHub(nil, Config{})
	stored, err := EgressBody(example(t, "IF-036 [MSAppActive]", true, nil), &Message{TransactionID: "T-1", Channel: "IF-036",
		AcceptedAt: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)}, "PUB-036", false)
	if err != nil {
		t.Fatal(err)
	}
	m := &Message{TransactionID: "T-1", Channel: "IF-036", AcceptedAt: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), Body: stored,
		Recipients: []Recipient{{DIPID: "1800000001", Role: "MDS", Route: Always}, {DIPID: "2300000001", Role: "SUP", Route: Secondary}}}
	for _, tt := range []struct {
		recipient string
		masked    bool
	}{{"1800000001", true}, {"2300000001", false}} {
		out, err := h.ReplayBody(m, tt.recipient)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(out, []byte(`"replayIndicator":true`)) || !bytes.Contains(out, []byte(`"publicationID":"PUB-036"`)) {
			t.Errorf("%s: D0 not rebuilt for a replay: %s", tt.recipient, out)
		}
		if got := bytes.Contains(out, []byte(`"addressLine1":null`)); got != tt.masked {
			t.Errorf("%s: address masked %v, want %v", tt.recipient, got, tt.masked)
		}
	}
	status := &Message{Channel: StatusChannel, Body: []byte(`{"transactionID":"T-1","code":"x"}`)}
	if out, err := h.ReplayBody(status, "1800000001"); err != nil || string(out) != string(status.Body) {
		t.Errorf("status item replayed as %s (%v)", out, err)
	}
}

// TestNewTransactionID: the published form, at most 65 characters, unique
// and increasing within the process even when the clock does not move.
func TestNewTransactionID(t *testing.T) {
	at := time.Date(2025, 4, 1, 23, 30, 0, 0, time.FixedZone("BST", 3600))
	re := regexp.MustCompile(`^T-IF-021-1200000001-SDS-20250401-[0-9A-F]{20}$`)
	prev := ""
	for range 1000 {
		id := NewTransactionID("IF-021", "1200000001", "SDS", at)
		if !re.MatchString(id) || len(id) > 65 {
			t.Fatalf("transaction id %q (%d characters)", id, len(id))
		}
		// The clock part (16 hex digits) orders ids.
		if clockPart := id[len(id)-20 : len(id)-4]; prev != "" && clockPart <= prev {
			t.Fatalf("id %s does not sort after the previous one (%s)", id, prev)
		} else {
			prev = clockPart
		}
	}
	if id := NewTransactionID("REP-002A", "1000000001", "ECS", at); len(id) > 65 {
		t.Errorf("%s is %d characters", id, len(id))
	}
}

func TestEgressAndStatusArrays(t *testing.T) {
	if got := string(EgressArray([][]byte{[]byte(`{"a":1}`), []byte(`{"b":2}`)})); got != `[{"payload":{"a":1}},{"payload":{"b":2}}]` {
		t.Errorf("EgressArray: %s", got)
	}
	if got := string(EgressArray(nil)); got != `[]` {
		t.Errorf("EgressArray(nil): %s", got)
	}
	if got := string(StatusArray([][]byte{[]byte(`{"a":1}`), []byte(`{"b":2}`)})); got != `[{"a":1},{"b":2}]` {
		t.Errorf("StatusArray: %s", got)
	}
}

// TestRegistrationUpdate: the DIP learns an MPAN's supplier from IF-001,
// its services from IF-036 and their removal from IF-037 (only of the
// service the MPAN has); other interfaces change nothing.
func TestRegistrationUpdate(t *testing.T) {
	c := catalogue.Default()
	const sup, sup2, ms, ms2, ds, mdr = "2300000001", "2300000002", "1400000001", "1400000002", "1200000001", "1600000001"
	before := Parties{MPAN: "1200023305967", Supplier: sup, MeteringService: ms, DataService: ds}
	tests := []struct {
		name, channel string
		payload       []byte
		want          Parties
		changed       bool
	}{
		{"IF-001 initial registration", "IF-001", example(t, "IF-001 [InitialRegistration]", false, func(p catalogue.Payload) {
			p.(*catalogue.IF001InitialRegistration).CustomBlock.B002.IncomingSupplierDIPID = sup2
		}), Parties{MPAN: before.MPAN, Supplier: sup2, MeteringService: ms, DataService: ds}, true},
		{"IF-001 change of supplier", "IF-001", example(t, "IF-001 [ChangeOfSupplier]", false, func(p catalogue.Payload) {
			p.(*catalogue.IF001ChangeOfSupplier).CustomBlock.B002.IncomingSupplierDIPID = sup2
		}), Parties{MPAN: before.MPAN, Supplier: sup2, MeteringService: ms, DataService: ds}, true},
		{"IF-001 naming the current supplier", "IF-001", example(t, "IF-001 [ChangeOfSupplier]", false, func(p catalogue.Payload) {
			p.(*catalogue.IF001ChangeOfSupplier).CustomBlock.B002.IncomingSupplierDIPID = sup
		}), before, false},
		{"IF-036 metering service appointed", "IF-036", example(t, "IF-036 [MSAppActive]", false, func(p catalogue.Payload) {
			m := p.(*catalogue.IF036MSAppActive)
			m.CustomBlock.B014.IncomingMeteringServiceDIPID = ms2
			m.CustomBlock.B012.ServiceProviderAppointmentRequestingSupplierDIPID = sup
		}), Parties{MPAN: before.MPAN, Supplier: sup, MeteringService: ms2, DataService: ds}, true},
		{"IF-036 metering service appointed by a new supplier", "IF-036", example(t, "IF-036 [MSAppActive]", false, func(p catalogue.Payload) {
			m := p.(*catalogue.IF036MSAppActive)
			m.CustomBlock.B014.IncomingMeteringServiceDIPID = ms2
			m.CustomBlock.B012.ServiceProviderAppointmentRequestingSupplierDIPID = sup2
		}), Parties{MPAN: before.MPAN, Supplier: sup2, MeteringService: ms2, DataService: ds}, true},
		{"IF-036 metering service reappointed by a new supplier", "IF-036", example(t, "IF-036 [MSAppActive]", false, func(p catalogue.Payload) {
			m := p.(*catalogue.IF036MSAppActive)
			m.CustomBlock.B014.IncomingMeteringServiceDIPID = ms
			m.CustomBlock.B012.ServiceProviderAppointmentRequestingSupplierDIPID = sup2
		}), Parties{MPAN: before.MPAN, Supplier: sup2, MeteringService: ms, DataService: ds}, true},
		{"IF-036 data service and MDR appointed by a new supplier", "IF-036", example(t, "IF-036 [DSAppActive]", true, func(p catalogue.Payload) {
			m := p.(*catalogue.IF036DSAppActive)
			m.CustomBlock.B015.IncomingDataServiceDIPID = "1200000002"
			m.CustomBlock.B012.ServiceProviderAppointmentRequestingSupplierDIPID = sup2
			m.CustomBlock.B019.AssignedMDRDIPID = mdr
		}), Parties{MPAN: before.MPAN, Supplier: sup2, MeteringService: ms, DataService: "1200000002", MDR: mdr}, true},
		{"IF-037 de-appoints the metering service", "IF-037", example(t, "IF-037 [MSDeApp]", false, func(p catalogue.Payload) {
			p.(*catalogue.IF037MSDeApp).CustomBlock.B008.DeAppointedMeteringServiceDIPID = ms
		}), Parties{MPAN: before.MPAN, Supplier: sup, DataService: ds}, true},
		{"IF-037 de-appoints the data service", "IF-037", example(t, "IF-037 [DSDeApp]", false, func(p catalogue.Payload) {
			p.(*catalogue.IF037DSDeApp).CustomBlock.B009.DeAppointedDataServiceDIPID = ds
		}), Parties{MPAN: before.MPAN, Supplier: sup, MeteringService: ms}, true},
		{"IF-037 of a service the MPAN does not have", "IF-037", example(t, "IF-037 [MSDeApp]", false, func(p catalogue.Payload) {
			p.(*catalogue.IF037MSDeApp).CustomBlock.B008.DeAppointedMeteringServiceDIPID = ms2
		}), before, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The examples' effective dates are in 2025: by 2026 they apply.
			update := RegistrationUpdate(c, tt.channel, tt.payload, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			if update == nil {
				t.Fatal("no update")
			}
			got := before
			if changed := update(&got); changed != tt.changed || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("update: %+v changed %v, want %+v changed %v", got, changed, tt.want, tt.changed)
			}
		})
	}
	// No registration change: another interface, an IF-037 variant that
	// only updates, or a payload that does not decode.
	for _, tt := range []struct {
		channel string
		payload []byte
	}{
		{"IF-021", example(t, "IF-021 [ActivePower]", false, nil)},
		{"IF-037", example(t, "IF-037 [MSDeAppUpdate]", false, nil)},
		{"IF-001", []byte(`{"CommonBlock":{}}`)},
	} {
		if RegistrationUpdate(c, tt.channel, tt.payload, time.Now()) != nil {
			t.Errorf("%s %.60s: an update", tt.channel, tt.payload)
		}
	}
}
