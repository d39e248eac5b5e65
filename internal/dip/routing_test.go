package dip

import (
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// directory is a Directory over a fixed list of participants.
type directory []*Participant

func (d directory) Participant(id string) (*Participant, bool) {
	for _, p := range d {
		if p.DIPID == id {
			return p, true
		}
	}
	return nil, false
}

func (d directory) HoldersOf(role string) []*Participant {
	var out []*Participant
	for _, p := range d {
		if p.HasRole(role) {
			out = append(out, p)
		}
	}
	return out
}

// The market of the routing tests: two of each party an MPAN can have, so
// that a leak to the MPAN's other party shows.
const (
	supA, supB   = "2300000001", "2300000002"
	ldso         = "2500000012"
	msX, msY     = "1400000001", "1400000002"
	dsX, dsY     = "1200000001", "1200000002"
	regs         = "1500000001"
	mds, lss     = "1800000001", "1900000001"
	testMPAN     = "1200023305967"
	rejectedCode = "R"
)

func testDirectory() directory {
	return directory{
		{DIPID: supA, Roles: []string{"SUP"}}, {DIPID: supB, Roles: []string{"SUP"}},
		{DIPID: ldso, Roles: []string{"LDSO"}},
		{DIPID: msX, Roles: []string{"MSS"}}, {DIPID: msY, Roles: []string{"MSS"}},
		{DIPID: dsX, Roles: []string{"SDS"}}, {DIPID: dsY, Roles: []string{"SDS"}},
		{DIPID: regs, Roles: []string{"REGS"}}, {DIPID: mds, Roles: []string{"MDS"}}, {DIPID: lss, Roles: []string{"LSS"}},
		{DIPID: "2100000001", Roles: []string{"DCC"}}, {DIPID: "1700000001", Roles: []string{"EES"}},
	}
}

// registered is the MPAN as the DIP knows it: supplier A, MS X, DS X.
var registered = Parties{MPAN: testMPAN, Supplier: supA, MeteringService: msX, DataService: dsX}

func recipientMap(rs []Recipient) string { return RecipientMap(rs) }

// TestDefaultRoutingFollowsTheCatalogue: for every interface, every role
// the rule routes to is one of the catalogue's recipient roles, every
// recipient role may be named Primary, and no role is routed two ways.
func TestDefaultRoutingFollowsTheCatalogue(t *testing.T) {
	c := catalogue.Default()
	rt := DefaultRouting(c)
	for _, in := range c.Interfaces() {
		r, ok := rt.Rule(in.ID, "")
		if !ok {
			t.Errorf("%s: no rule", in.ID)
			continue
		}
		if !slices.Equal(sorted(r.Primary), sorted(in.Recipients)) {
			t.Errorf("%s: Primary %v, want the catalogue's recipients %v", in.ID, r.Primary, in.Recipients)
		}
		for _, role := range append(slices.Clone(r.Secondary), r.Always...) {
			if !slices.Contains(in.Recipients, role) {
				t.Errorf("%s routes to %s, which the catalogue does not name", in.ID, role)
			}
			if slices.Contains(r.Secondary, role) && slices.Contains(r.Always, role) {
				t.Errorf("%s routes %s both Secondary and Always", in.ID, role)
			}
		}
		// A central service receives every message of the channels it
		// takes (Always), also where it sent the request a message
		// answers; only the primary-only interfaces go to named parties.
		if slices.Contains(primaryOnly, in.ID) {
			if len(r.Secondary)+len(r.Always) > 0 {
				t.Errorf("%s is primary-only, yet routes Secondary %v, Always %v", in.ID, r.Secondary, r.Always)
			}
			continue
		}
		for _, role := range in.Recipients {
			if slices.Contains(centralRoles, role) && !slices.Contains(r.Always, role) {
				t.Errorf("%s: central role %s is not Always (Secondary %v, Always %v)", in.ID, role, r.Secondary, r.Always)
			}
		}
	}
}

// TestAnswersGoToWhomTheyAnswer: on every interface that answers a request,
// the requester's roles (unless a central service, which has one holder)
// are Primary only, so no other party of the MPAN receives the answer.
func TestAnswersGoToWhomTheyAnswer(t *testing.T) {
	c := catalogue.Default()
	rt := DefaultRouting(c)
	answers := 0
	for _, in := range c.Interfaces() {
		r, _ := rt.Rule(in.ID, "")
		for _, v := range in.Variants {
			req, ok := c.Answering(v)
			if !ok {
				continue
			}
			answers++
			if !r.Answer {
				t.Errorf("%s answers %s but its rule is not an Answer", in.ID, req.InterfaceID)
			}
			rin, _ := c.Interface(req.InterfaceID)
			for _, role := range rin.Senders {
				if slices.Contains(centralRoles, role) {
					continue
				}
				if slices.Contains(r.Secondary, role) || slices.Contains(r.Always, role) {
					t.Errorf("%s answers %s from %s, yet routes %s by the registration", in.ID, req.InterfaceID, role, role)
				}
			}
		}
	}
	if answers < 20 {
		t.Errorf("only %d answer variants", answers)
	}
}

// envelope returns the routing view of a message on channel from sender,
// for testMPAN, addressed to primary.
func envelope(sender, role string, primary ...string) *catalogue.Envelope {
	return &catalogue.Envelope{SenderDIPID: sender, SenderRoleID: role, MPAN: testMPAN, DistributorDIPID: ldso, PrimaryRecipients: primary}
}

func TestResolve(t *testing.T) {
	c := catalogue.Default()
	rt := DefaultRouting(c)
	dir := testDirectory()
	supplier := func(id string) func(*Parties) bool {
		return func(p *Parties) bool { p.Supplier = id; return true }
	}
	tests := []struct {
		name     string
		channel  string
		env      *catalogue.Envelope
		response string // R0.responseCode
		parties  Parties
		update   func(*Parties) bool
		want     string // RecipientMap
		code     catalogue.Code
	}{
		{name: "IF-032 rejection of a rival supplier goes to the rival alone", channel: "IF-032",
			env: envelope(regs, "REGS", supB), response: rejectedCode, parties: registered,
			want: "Primary:[SUP:" + supB + "];Secondary:[];Always:[]"},
		{name: "IF-032 acceptance during a change of supplier goes to the gaining supplier alone", channel: "IF-032",
			env: envelope(regs, "REGS", supB), response: "A", parties: registered,
			want: "Primary:[SUP:" + supB + "];Secondary:[];Always:[]"},
		{name: "IF-002 gain information reaches the gaining supplier, not the current one", channel: "IF-002",
			env: envelope(regs, "REGS", supB), parties: registered,
			want: "Primary:[SUP:" + supB + "];Secondary:[];Always:[]"},
		{name: "IF-001 initial registration reaches the supplier it registers", channel: "IF-001",
			env: envelope(regs, "REGS"), parties: Parties{MPAN: testMPAN}, update: supplier(supA),
			want: "Primary:[];Secondary:[SUP:" + supA + ",LDSO:" + ldso + "];Always:[MDS:" + mds + "]"},
		{name: "IF-001 change of supplier reaches the incoming supplier, not the outgoing", channel: "IF-001",
			env: envelope(regs, "REGS"), parties: registered, update: supplier(supB),
			want: "Primary:[];Secondary:[SUP:" + supB + ",LDSO:" + ldso + "];Always:[MDS:" + mds + "]"},
		{name: "IF-037 reaches the metering service it de-appoints", channel: "IF-037",
			env: envelope(regs, "REGS"), parties: registered, update: func(p *Parties) bool { p.MeteringService = ""; return true },
			want: "Primary:[];Secondary:[SUP:" + supA + ",SDS:" + dsX + ",MSS:" + msX + ",LDSO:" + ldso + "];Always:[MDS:" + mds + ",EES:1700000001]"},
		{name: "IF-026 acceptance notifies the MPAN's parties", channel: "IF-026",
			env: envelope(regs, "REGS", supA), response: "A", parties: registered,
			want: "Primary:[SUP:" + supA + "];Secondary:[SDS:" + dsX + ",LDSO:" + ldso + ",MSS:" + msX + "];Always:[LSS:" + lss + ",EES:1700000001]"},
		{name: "IF-026 rejection goes to the requesting supplier alone", channel: "IF-026",
			env: envelope(regs, "REGS", supA), response: rejectedCode, parties: registered,
			want: "Primary:[SUP:" + supA + "];Secondary:[];Always:[]"},
		{name: "IF-021 to the MPAN's supplier and LDSO, and the central services", channel: "IF-021",
			env: envelope(dsX, "SDS"), parties: registered,
			want: "Primary:[];Secondary:[LDSO:" + ldso + ",SUP:" + supA + "];Always:[LSS:" + lss + ",MDS:" + mds + "]"},
		{name: "a primary recipient without an allowed role is refused", channel: "IF-032",
			env: envelope(regs, "REGS", msX), parties: registered, code: catalogue.MSG3002},
		{name: "an unknown primary recipient is refused", channel: "IF-033",
			env: envelope(regs, "REGS", "9999999999"), parties: registered, code: catalogue.MSG3002},
		{name: "the sender never receives its own message", channel: "IF-021",
			env: envelope(dsX, "SDS", supA), parties: Parties{MPAN: testMPAN, Supplier: supA, DataService: dsX},
			want: "Primary:[SUP:" + supA + "];Secondary:[LDSO:" + ldso + "];Always:[LSS:" + lss + ",MDS:" + mds + "]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := rt.Rule(tt.channel, "")
			if !ok {
				t.Fatalf("no rule for %s", tt.channel)
			}
			tt.env.ResponseCode = tt.response
			got, finding := Resolve(tt.env, r, tt.parties, tt.update, dir)
			if tt.code != "" {
				if finding == nil || finding.Code != tt.code {
					t.Fatalf("finding %v, want %s (recipients %s)", finding, tt.code, recipientMap(got))
				}
				return
			}
			if finding != nil {
				t.Fatalf("refused: %v", finding)
			}
			if m := recipientMap(got); m != tt.want {
				t.Errorf("recipients\n got %s\nwant %s", m, tt.want)
			}
		})
	}
}

// TestResolveSkipsDisabled: a disabled participant receives nothing, by any
// route, and cannot be named.
func TestResolveSkipsDisabled(t *testing.T) {
	dir := testDirectory()
	for _, p := range dir {
		if p.DIPID == supA || p.DIPID == mds || p.DIPID == supB {
			p.Disabled = true
		}
	}
	rt := DefaultRouting(catalogue.Default())
	r, _ := rt.Rule("IF-021", "")
	got, f := Resolve(envelope(dsX, "SDS"), r, registered, nil, dir)
	if f != nil || strings.Contains(recipientMap(got), supA) || strings.Contains(recipientMap(got), mds) {
		t.Errorf("disabled parties routed to: %s %v", recipientMap(got), f)
	}
	r, _ = rt.Rule("IF-032", "")
	if _, f := Resolve(envelope(regs, "REGS", supB), r, registered, nil, dir); f == nil || f.Code != catalogue.MSG3002 {
		t.Errorf("a disabled primary recipient was accepted: %v", f)
	}
	// Secondary checks the role too: an MPAN whose registered supplier id
	// belongs to a participant without SUP is not routed to it.
	r, _ = rt.Rule("IF-021", "")
	got, _ = Resolve(envelope(dsX, "SDS"), r, Parties{MPAN: testMPAN, Supplier: lss}, nil, testDirectory())
	for _, rc := range got {
		if rc.Route == Secondary && rc.DIPID == lss {
			t.Errorf("routed Secondary SUP to %s, which is not a supplier", lss)
		}
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

// TestEffectiveDatedRouting: a change of supplier secured for a later date
// reaches the incoming supplier at once (it is about it), but the MPAN's
// other messages route to the outgoing supplier until the date and to the
// incoming one from it; a de-appointment takes effect the day after the
// service's effective-to date.
func TestEffectiveDatedRouting(t *testing.T) {
	c := catalogue.Default()
	rt := DefaultRouting(c)
	dir := testDirectory()
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	tuesday := market.NewSettlementDate(2026, 3, 10)

	v, _ := c.Variant("IF-001", "[ChangeOfSupplier]")
	p, err := c.Decode(c.Example(v, catalogue.ExampleOptions{SenderDIPID: regs, SenderRole: "REGS", MPAN: testMPAN}))
	if err != nil {
		t.Fatal(err)
	}
	cos := p.(*catalogue.IF001ChangeOfSupplier)
	cos.CustomBlock.B002.IncomingSupplierDIPID = supB
	cos.CustomBlock.B002.SupplierEffectiveFromDate = market.MidnightOf(tuesday)
	payload, _ := catalogue.Encode(cos)
	update := RegistrationUpdate(c, "IF-001", payload, now)
	if update == nil {
		t.Fatal("no registration update for IF-001")
	}
	r, _ := rt.Rule("IF-001", "")
	got, f := Resolve(envelope(regs, "REGS"), r, registered, update, dir)
	if f != nil || !strings.Contains(recipientMap(got), "SUP:"+supB) || strings.Contains(recipientMap(got), "SUP:"+supA) {
		t.Errorf("IF-001 for next Tuesday routed to %s (%v); want the incoming supplier only", recipientMap(got), f)
	}
	stored := registered
	if !update(&stored) {
		t.Fatal("the update changed nothing")
	}
	if stored.Supplier != supA || len(stored.Pending) != 1 {
		t.Fatalf("stored parties %+v: want supplier A with B pending", stored)
	}
	r21, _ := rt.Rule("IF-021", "")
	supplierAt := func(at time.Time) string {
		rs, _ := Resolve(envelope(dsX, "SDS"), r21, stored.At(at), nil, dir)
		for _, rc := range rs {
			if rc.Role == "SUP" {
				return rc.DIPID
			}
		}
		return ""
	}
	if got := supplierAt(now.Add(24 * time.Hour)); got != supA {
		t.Errorf("before Tuesday IF-021 goes to %s, want the outgoing supplier", got)
	}
	if got := supplierAt(market.MidnightOf(tuesday).Time()); got != supB {
		t.Errorf("from Tuesday IF-021 goes to %s, want the incoming supplier", got)
	}

	// IF-037: the metering service is de-appointed with effect to Monday;
	// it is the MPAN's until Monday ends.
	v, _ = c.Variant("IF-037", "[MSDeApp]")
	p, _ = c.Decode(c.Example(v, catalogue.ExampleOptions{SenderDIPID: regs, SenderRole: "REGS", MPAN: testMPAN}))
	de := p.(*catalogue.IF037MSDeApp)
	de.CustomBlock.B008.DeAppointedMeteringServiceDIPID = msX
	de.CustomBlock.B008.MeteringServiceEffectiveToDate = market.MidnightOf(tuesday.AddDays(-1))
	payload, _ = catalogue.Encode(de)
	stored = registered
	RegistrationUpdate(c, "IF-037", payload, now)(&stored)
	if stored.At(market.MidnightOf(tuesday).Time().Add(-time.Minute)).MeteringService != msX {
		t.Error("the metering service left before its effective-to date ended")
	}
	if ms := stored.At(market.MidnightOf(tuesday).Time()).MeteringService; ms != "" {
		t.Errorf("the metering service is %s the day after its effective-to date", ms)
	}
}

// TestResolveDistributor: M0.distributorDIPID is routed to as LDSO only
// when it names an enabled participant holding LDSO; and a sender that is
// the MPAN's LDSO does not receive its own message.
func TestResolveDistributor(t *testing.T) {
	rt := DefaultRouting(catalogue.Default())
	r, _ := rt.Rule("IF-021", "")
	resolve := func(env *catalogue.Envelope, dir directory) string {
		t.Helper()
		got, f := Resolve(env, r, Parties{MPAN: testMPAN, Supplier: supA}, nil, dir)
		if f != nil {
			t.Fatalf("refused: %v", f)
		}
		return recipientMap(got)
	}
	always := ";Always:[LSS:" + lss + ",MDS:" + mds + "]"

	env := envelope(dsX, "SDS")
	env.DistributorDIPID = supB // a supplier, not a distributor
	if got, want := resolve(env, testDirectory()), "Primary:[];Secondary:[SUP:"+supA+"]"+always; got != want {
		t.Errorf("distributorDIPID naming a supplier:\n got %s\nwant %s", got, want)
	}

	dir := testDirectory()
	for _, p := range dir {
		if p.DIPID == ldso {
			p.Disabled = true
		}
	}
	if got, want := resolve(envelope(dsX, "SDS"), dir), "Primary:[];Secondary:[SUP:"+supA+"]"+always; got != want {
		t.Errorf("disabled distributor:\n got %s\nwant %s", got, want)
	}

	// The LDSO sends (Resolve does not check the sender's role; intake
	// does): it is the MPAN's LDSO, and is not among the recipients.
	if got, want := resolve(envelope(ldso, "LDSO"), testDirectory()), "Primary:[];Secondary:[SUP:"+supA+"]"+always; got != want {
		t.Errorf("the LDSO sending:\n got %s\nwant %s", got, want)
	}
}
