package dip_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/sqlite"
)

// The market of the hub tests.
const (
	dsX      = "1200000001" // SDS: the usual sender
	dsY      = "1200000002" // SDS: the party a spoofer claims to be
	supA     = "2300000001"
	supB     = "2300000002"
	supOff   = "2300000009" // SUP, disabled
	ldso     = "2500000012"
	msX      = "1400000001"
	regs     = "1500000001"
	mds      = "1800000001"
	lss      = "1900000001"
	testMPAN = "1200023305967"
	// otherMPAN is a second MPAN with a valid check digit.
	otherMPAN = "1200023305976"
)

func testMarket() []dip.Participant {
	return []dip.Participant{
		{DIPID: dsX, Name: "DS X", Roles: []string{"SDS"}},
		{DIPID: dsY, Name: "DS Y", Roles: []string{"SDS"}},
		{DIPID: supA, Name: "Supplier A", Roles: []string{"SUP"}},
		{DIPID: supB, Name: "Supplier B", Roles: []string{"SUP"}},
		{DIPID: supOff, Name: "Supplier off", Roles: []string{"SUP"}, Disabled: true},
		{DIPID: ldso, Name: "LDSO", Roles: []string{"LDSO"}},
		{DIPID: msX, Name: "MS X", Roles: []string{"MSS"}},
		{DIPID: regs, Name: "REGS", Roles: []string{"REGS"}},
		{DIPID: mds, Name: "MDS", Roles: []string{"MDS"}},
		{DIPID: lss, Name: "LSS", Roles: []string{"LSS"}},
	}
}

// msgOpts describe a test message: a valid example of Variant, stamped
// as sent by From as Role, about MPAN, with the sender reference made
// from Key.
type msgOpts struct {
	Variant string // "IF-021 [ActivePower]"
	From    string // default dsX
	Role    string // default SDS
	Key     string // reference suffix
	Full    bool   // every optional key (the B022 address of IF-036)
	MPAN    string // default testMPAN
	To      []string
	Edit    func(catalogue.Payload)
}

// ref returns the sender reference of a message on iface from a sender.
func ref(iface, from, role, key string) string {
	return "S-" + iface + "-" + from + "-" + role + "-20250401-" + key
}

func build(t testing.TB, o msgOpts) []byte {
	t.Helper()
	if o.From == "" {
		o.From = dsX
	}
	if o.Role == "" {
		o.Role = "SDS"
	}
	if o.Key == "" {
		t.Fatal("a test message needs a Key")
	}
	if o.MPAN == "" {
		o.MPAN = testMPAN
	}
	iface, event, _ := strings.Cut(o.Variant, " ")
	c := catalogue.Default()
	v, ok := c.Variant(iface, event)
	if !ok {
		t.Fatalf("no variant %s", o.Variant)
	}
	// The example is made as the interface's first sender role, so that
	// it decodes; S1 is then stamped with o.Role, which may be wrong.
	p, err := c.Decode(c.Example(v, catalogue.ExampleOptions{Full: o.Full, SenderDIPID: o.From, MPAN: o.MPAN}))
	if err != nil {
		t.Fatalf("example %s: %v", o.Variant, err)
	}
	cb := p.Common()
	cb.S1.SenderUniqueReference = ref(iface, o.From, o.Role, o.Key)
	cb.S1.SenderDIPID, cb.S1.SenderRoleID = o.From, o.Role
	if cb.M0 != nil {
		cb.M0.DistributorDIPID = ldso
	}
	if cb.A0 != nil {
		*cb.A0 = catalogue.A0{PrimaryRecipients: o.To}
	}
	if cb.D0 != nil {
		*cb.D0 = catalogue.D0{}
	}
	if o.Edit != nil {
		o.Edit(p)
	}
	b, err := catalogue.Encode(p)
	if err != nil {
		t.Fatalf("encode %s: %v", o.Variant, err)
	}
	return b
}

// if021 is an IF-021 [ActivePower] from dsX with reference key, for mpan.
func if021(t testing.TB, key, mpan string) []byte {
	return build(t, msgOpts{Variant: "IF-021 [ActivePower]", Key: key, MPAN: mpan})
}

// delivered is one delivery a test service received.
type delivered struct {
	To string
	participant.Delivery
}

// recorder is the co-located services of the tests: it records what each
// receives and answers with answer (nil: accept everything).
type recorder struct {
	mu     sync.Mutex
	got    []delivered
	calls  int
	answer func(to string, d participant.Delivery) catalogue.Code
}

func (r *recorder) service(id string) dip.LocalService {
	return dip.LocalService{DIPID: id, Handler: participant.HandlerFunc(func(ctx context.Context, ds []participant.Delivery) []catalogue.Code {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.calls++
		codes := make([]catalogue.Code, len(ds))
		for i, d := range ds {
			r.got = append(r.got, delivered{To: id, Delivery: d})
			codes[i] = participant.Accept
			if r.answer != nil {
				codes[i] = r.answer(id, d)
			}
		}
		return codes
	})}
}

func (r *recorder) setAnswer(f func(to string, d participant.Delivery) catalogue.Code) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answer = f
}

// to returns what recipient received, in order.
func (r *recorder) to(recipient string) []participant.Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []participant.Delivery
	for _, d := range r.got {
		if d.To == recipient {
			out = append(out, d.Delivery)
		}
	}
	return out
}

// callCount returns how many batches the services were handed.
func (r *recorder) callCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// openStore opens a fresh SQLite store with the test market registered.
func openStore(t testing.TB) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "mhhs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, p := range testMarket() {
		if err := db.PutParticipant(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// testHub is the setup of most tests: a hub running (Run) on a fresh
// SQLite store, inside a testing/synctest bubble, so that time is the
// bubble's fake clock: synctest.Wait lets the hub finish what it is doing
// (deliver what is due), time.Sleep moves the clock (a retry falls due)
// without waiting. The store's goroutines run in the bubble too.
type testHub struct {
	t    *testing.T
	ctx  context.Context
	db   *sqlite.DB
	rec  *recorder
	hub  *dip.Hub
	done chan error // Run's result
	// stop cancels Run and returns its error; once a test called it,
	// the cleanup leaves the error to the test.
	stop    func() error
	stopped bool
}

// hubTest runs f in a bubble with a running hub configured by cfg. When
// cfg.Services is nil, every participant of the market is a co-located
// service of the recorder; an empty non-nil list makes none.
func hubTest(t *testing.T, cfg dip.Config, f func(t *testing.T, th *testHub)) {
	synctest.Test(t, func(t *testing.T) {
		db := openStore(t)
		f(t, newTestHub(t, db, db, cfg))
	})
}

// newTestHub runs a hub on store (db, or db with a fault) until the test
// ends; inside a bubble.
func newTestHub(t *testing.T, db *sqlite.DB, store dip.Store, cfg dip.Config) *testHub {
	t.Helper()
	th := &testHub{t: t, ctx: context.Background(), db: db, rec: &recorder{}, done: make(chan error, 1)}
	if cfg.Services == nil {
		for _, p := range testMarket() {
			cfg.Services = append(cfg.Services, th.rec.service(p.DIPID))
		}
	}
	if cfg.PollInterval == 0 {
		// Each poll is real work on the store, however fast the bubble's
		// clock runs: poll once a second (a Wake still delivers at once).
		cfg.PollInterval = time.Second
	}
	th.hub = dip.NewHub(store, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { th.done <- th.hub.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() { cancel(); runErr = <-th.done })
		return runErr
	}
	th.stop = func() error { th.stopped = true; return stop() }
	synctest.Wait()
	if err := th.hub.Ready(th.ctx); err != nil {
		t.Fatalf("hub not ready: %v", err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil && !th.stopped {
			t.Errorf("Run: %v", err)
		}
	})
	return th
}

// exited reports whether Run has returned (after synctest.Wait), and its
// error.
func (th *testHub) exited() (bool, error) {
	synctest.Wait()
	select {
	case err := <-th.done:
		th.done <- err // for stop
		return true, err
	default:
		return false, nil
	}
}

// errDisk is the fault faultStore injects.
var errDisk = errors.New("injected: the disk is gone")

// faultStore is the real SQLite store with faults a test switches on: a
// failing Accept, ClaimDue or Participants, and a gate that holds Parties
// (the first read of a submission) until the test opens it.
type faultStore struct {
	*sqlite.DB
	mu               sync.Mutex
	failAccept       bool
	failClaims       int // the next n ClaimDue calls fail
	claimFailures    int // how many ClaimDue calls failed
	failParticipants bool
	corruptBodies    bool          // ClaimDue returns bodies that are not JSON
	partiesGate      chan struct{} // when set, Parties waits for it to close
	partiesEntered   chan struct{} // signalled when Parties is held
}

func (f *faultStore) Accept(ctx context.Context, msgs []*dip.Message) ([]dip.AcceptResult, error) {
	f.mu.Lock()
	fail := f.failAccept
	f.mu.Unlock()
	if fail {
		return nil, errDisk
	}
	return f.DB.Accept(ctx, msgs)
}

func (f *faultStore) ClaimDue(ctx context.Context, q dip.ClaimQuery) ([]dip.Delivery, error) {
	f.mu.Lock()
	fail := f.failClaims > 0
	if fail {
		f.failClaims--
		f.claimFailures++
	}
	f.mu.Unlock()
	if fail {
		return nil, errDisk
	}
	ds, err := f.DB.ClaimDue(ctx, q)
	f.mu.Lock()
	corrupt := f.corruptBodies
	f.mu.Unlock()
	for i := range ds {
		if corrupt {
			ds[i].Body = []byte(`{"CommonBlock":{"B022":`)
		}
	}
	return ds, err
}

func (f *faultStore) Participants(ctx context.Context) ([]dip.Participant, error) {
	f.mu.Lock()
	fail := f.failParticipants
	f.mu.Unlock()
	if fail {
		return nil, errDisk
	}
	return f.DB.Participants(ctx)
}

func (f *faultStore) Parties(ctx context.Context, mpans []string) (map[string]dip.Parties, error) {
	f.mu.Lock()
	gate, entered := f.partiesGate, f.partiesEntered
	f.mu.Unlock()
	if gate != nil {
		entered <- struct{}{}
		<-gate
	}
	return f.DB.Parties(ctx, mpans)
}

func (f *faultStore) set(fn func(f *faultStore)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// faultTest is hubTest over a faultStore.
func faultTest(t *testing.T, cfg dip.Config, f func(t *testing.T, th *testHub, fs *faultStore)) {
	synctest.Test(t, func(t *testing.T) {
		db := openStore(t)
		fs := &faultStore{DB: db}
		f(t, newTestHub(t, db, fs, cfg), fs)
	})
}

// settle lets the hub deliver what is due now and waits until it is done.
func (th *testHub) settle() { synctest.Wait() }

// after moves the bubble's clock on by d, letting the hub work meanwhile,
// and waits until it is done.
func (th *testHub) after(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// submit submits payloads on channel as participant from and fails the
// test on an error.
func (th *testHub) submit(from, channel string, payloads ...[]byte) []dip.Item {
	th.t.Helper()
	p, ok := th.hub.Participant(from)
	if !ok {
		th.t.Fatalf("no participant %s", from)
	}
	items, err := th.hub.Submit(th.ctx, p, channel, dip.EgressArray(payloads))
	if err != nil {
		th.t.Fatalf("Submit: %v", err)
	}
	return items
}

// accept submits one message and fails the test unless it is accepted.
func (th *testHub) accept(from, channel string, payload []byte) dip.Item {
	th.t.Helper()
	items := th.submit(from, channel, payload)
	if len(items) != 1 || !items[0].Accepted() {
		th.t.Fatalf("not accepted: %+v", items)
	}
	return items[0]
}

// journal returns the journal of a sender's message.
func (th *testHub) journal(sender, sur string) dip.JournalRecord {
	th.t.Helper()
	jr, err := th.hub.Journal(th.ctx, sender, sur)
	if err != nil {
		th.t.Fatalf("Journal(%s, %s): %v", sender, sur, err)
	}
	return jr
}

// deliveries returns a recipient's deliveries in a status.
func (th *testHub) deliveries(recipient string, s dip.Status) []dip.Delivery {
	th.t.Helper()
	ds, err := th.db.Deliveries(th.ctx, recipient, s, 1000)
	if err != nil {
		th.t.Fatal(err)
	}
	return ds
}

// routedTo returns the messages routed to a recipient, whatever their
// deliveries' status.
func (th *testHub) routedTo(recipient string) []dip.Message {
	th.t.Helper()
	ms, _, err := th.hub.Replay(th.ctx, dip.ReplayQuery{Recipient: recipient, Limit: 1000})
	if err != nil {
		th.t.Fatal(err)
	}
	return ms
}

// outbound returns the Outbound journal lines of a message for a recipient.
func (th *testHub) outbound(sender, sur, recipient string) []dip.JournalEntry {
	th.t.Helper()
	var out []dip.JournalEntry
	for _, e := range th.journal(sender, sur).Entries {
		if e.Stage == "Outbound" && e.Recipient == recipient {
			out = append(out, e)
		}
	}
	return out
}

// statuses returns the statuses of journal lines.
func statuses(es []dip.JournalEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Status)
	}
	return out
}

// notStored checks that nothing of a refused message was kept: no
// message for its reference, nothing delivered or waiting for anyone.
func (th *testHub) notStored(sender, sur string) {
	th.t.Helper()
	th.settle()
	if sur != "" {
		jr, err := th.hub.Journal(th.ctx, sender, sur)
		switch {
		case errors.Is(err, dip.ErrNotFound):
		case err != nil:
			th.t.Fatal(err)
		case !jr.Rejected:
			th.t.Errorf("%s %s was stored: %+v", sender, sur, jr.Message)
		}
	}
	for _, p := range testMarket() {
		if ms := th.routedTo(p.DIPID); len(ms) > 0 {
			th.t.Errorf("%s has %d messages routed to it", p.DIPID, len(ms))
		}
		if got := th.rec.to(p.DIPID); len(got) > 0 {
			th.t.Errorf("%s received %d messages", p.DIPID, len(got))
		}
	}
}
