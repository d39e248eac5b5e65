package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/catalogue/cataloguetest"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/signature"
	"github.com/mhhs/mhhs/internal/sqlite"
	"github.com/mhhs/mhhs/internal/webhook"
)

// backlogSize is the backlog of issue 13: 7,000 IF-021 messages waiting for
// one recipient.
const backlogSize = 7000

// headOnly is a store whose claims take one delivery per recipient, channel
// and MPAN (ClaimQuery.Run 1): the claim as it was before runs, for the
// same-run comparison.
type headOnly struct{ dip.Store }

func (s headOnly) ClaimDue(ctx context.Context, q dip.ClaimQuery) ([]dip.Delivery, error) {
	q.Run = 1
	return s.Store.ClaimDue(ctx, q)
}

// backlogReceiver is the recipient's webhook: it verifies the DIP's
// signature on every POST, finds each message's reference with a byte
// search, checks that each MPAN's messages arrive in order, and says when
// all have arrived.
type backlogReceiver struct {
	dipFP string
	posOf map[string][2]int // reference -> MPAN number, place among its MPAN's messages

	mu    sync.Mutex
	next  []int // per MPAN: the place of the message expected next
	got   int
	posts int
	err   error
	done  chan struct{}
}

func (rc *backlogReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	cert, err := (&signature.Verifier{}).VerifyRequest(r, body)
	if err != nil || signature.CertificateFingerprint(cert) != rc.dipFP {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.posts++
	const key = `"senderUniqueReference":`
	for rest := body; ; {
		i := bytes.Index(rest, []byte(key))
		if i < 0 {
			break
		}
		rest = bytes.TrimLeft(rest[i+len(key):], " \t\r\n")[1:]
		j := bytes.IndexByte(rest, '"')
		p, ok := rc.posOf[string(rest[:j])]
		switch {
		case !ok:
			rc.err = fmt.Errorf("unknown reference %s", rest[:j])
		case p[1] != rc.next[p[0]]:
			rc.err = fmt.Errorf("MPAN %d: message %d arrived when %d was due", p[0], p[1], rc.next[p[0]])
		default:
			rc.next[p[0]]++
			rc.got++
		}
	}
	if rc.err != nil || rc.got == len(rc.posOf) {
		select {
		case <-rc.done:
		default:
			close(rc.done)
		}
	}
	w.WriteHeader(http.StatusCreated)
}

// drainBacklog fills a fresh store (from open) with backlogSize IF-021
// messages for one recipient, spread over mpans MPANs in turn, then starts a
// hub with mhhs serve's delivery settings, points the recipient's webhook at
// a receiver, and times until every message has arrived. headOnly claims as
// before runs. It returns the time and the POSTs it took.
func drainBacklog(b *testing.B, open func(testing.TB) dip.Store, mpans int, oneAtATime bool) (time.Duration, int) {
	b.Helper()
	ctx := context.Background()
	store := open(b)
	const mds = "1800000001"
	now := time.Now()
	for _, p := range []dip.Participant{{DIPID: if021Sender, Roles: []string{"SDS"}, Created: now}, {DIPID: mds, Roles: []string{"MDS"}, Created: now}} {
		if err := store.PutParticipant(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	dipSigner, dipFP := keypair(b, "0000000001")
	rc := &backlogReceiver{dipFP: dipFP, posOf: map[string][2]int{}, next: make([]int, mpans), done: make(chan struct{})}
	var msgs []*dip.Message
	for i := range backlogSize {
		k := i % mpans
		mpan, err := if021MPAN(k)
		if err != nil {
			b.Fatal(err)
		}
		ref := if021Reference(int(nextMessage.Add(1)))
		payload, err := catalogue.Encode(cataloguetest.IF021(if021Sender, if021Distributor, ref, mpan))
		if err != nil {
			b.Fatal(err)
		}
		rc.posOf[ref] = [2]int{k, i / mpans}
		m := &dip.Message{TransactionID: dip.NewTransactionID("IF-021", if021Sender, "SDS", now), Channel: "IF-021", EventCode: "[ActivePower]",
			SenderDIPID: if021Sender, SenderRole: "SDS", SenderUniqueReference: ref, MPAN: mpan, AcceptedAt: now,
			Recipients: []dip.Recipient{{DIPID: mds, Role: "MDS", Route: dip.Always}}}
		if m.Body, err = dip.EgressBody(payload, m, "PUB-021", false); err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	for len(msgs) > 0 {
		n := min(len(msgs), 500)
		if _, err := store.Accept(ctx, msgs[:n]); err != nil {
			b.Fatal(err)
		}
		msgs = msgs[n:]
	}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	var hubStore dip.Store = store
	if oneAtATime {
		hubStore = headOnly{store}
	}
	hub := dip.NewHub(hubStore, dip.Config{Webhooks: webhook.Deliverer{Poster: &webhook.Poster{Signer: dipSigner}}, Owner: "bench"})
	runCtx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { hub.Run(runCtx); close(stopped) }()
	defer func() { cancel(); <-stopped }()
	if f, ok := store.(interface{ Flush(context.Context) error }); ok { // SQLite: the backlog indexed
		if err := f.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}

	start := time.Now()
	if err := store.PutWebhook(ctx, dip.Webhook{Channel: "IF-021", Recipient: mds, CallbackURL: hook.URL}); err != nil {
		b.Fatal(err)
	}
	if err := hub.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	hub.Wake()
	select {
	case <-rc.done:
	case <-time.After(30 * time.Minute):
		b.Fatalf("the backlog did not drain in 30 minutes: %d of %d arrived", rc.got, backlogSize)
	}
	took := time.Since(start)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.err != nil {
		b.Fatal(rc.err)
	}
	return took, rc.posts
}

// BenchmarkBacklogDrain times the drain of a backlog of 7,000 IF-021
// messages (4.9 KB, 48 periods) for one recipient, over signed webhook
// POSTs on loopback with mhhs serve's delivery settings (50 messages a POST
// at most, 512 claimed a round, 16 POSTs at once), on SQLite and on
// PostgreSQL (MHHS_TEST_POSTGRES): all for one MPAN, and spread over 500
// MPANs. runs claims a run of up to 50 of one MPAN's messages at once;
// one-at-a-time claims one message per MPAN per round, as before runs
// (ClaimQuery.Run 1). Each iteration drains a fresh store: run with
// -benchtime 1x.
func BenchmarkBacklogDrain(b *testing.B) {
	stores := []struct {
		name string
		open func(testing.TB) dip.Store
	}{
		{"sqlite", func(tb testing.TB) dip.Store {
			s, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "mhhs.db"))
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { s.Close() })
			return s
		}},
		{"postgres", postgresStore},
	}
	for _, st := range stores {
		for _, mpans := range []int{1, 500} {
			for _, claim := range []string{"runs", "one-at-a-time"} {
				b.Run(fmt.Sprintf("%s/mpans-%d/%s", st.name, mpans, claim), func(b *testing.B) {
					serveRuntime(b)
					b.StopTimer() // drain-s is the measure: the time from the webhook's configuration to the last arrival
					var total time.Duration
					posts := 0
					for range b.N {
						took, n := drainBacklog(b, st.open, mpans, claim == "one-at-a-time")
						total += took
						posts += n
					}
					b.ReportMetric(total.Seconds()/float64(b.N), "drain-s")
					b.ReportMetric(float64(backlogSize*b.N)/total.Seconds(), "msgs/s")
					b.ReportMetric(float64(backlogSize*b.N)/float64(posts), "msgs/POST")
				})
			}
		}
	}
}
