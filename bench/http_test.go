package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/httpapi"
	"github.com/mhhs/mhhs/internal/signature"
	"github.com/mhhs/mhhs/internal/sqlite"
	"github.com/mhhs/mhhs/internal/webhook"
)

// httpDIP is the load side of the HTTP benchmarks: the sender's client
// (httpapi.Client, signing every POST) and three receivers (MDS, LSS, LDSO)
// that verify the DIP's signature on every delivery and note when each
// message arrived.
type httpDIP struct {
	client   *httpapi.Client
	arrivals sync.Map // senderUniqueReference -> *arrival
	received atomic.Int64
}

type arrival struct {
	mu    sync.Mutex
	sent  time.Time
	times []time.Time
}

func keypair(tb testing.TB, cn string) (*signature.Signer, string) {
	keyPEM, certPEM, err := signature.GenerateSelfSigned(cn, 2048, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	key, cert, _ := signature.LoadKeyPair(keyPEM, certPEM)
	s, _ := signature.NewSigner(key, cert)
	return s, signature.CertificateFingerprint(s.Certificate())
}

// recipients are the benchmark message's recipients: the MDS and the LSS
// (Always) and the LDSO named in M0 (Secondary).
var recipients = []struct{ id, role string }{{"1800000001", "MDS"}, {"1900000001", "LSS"}, {if021Distributor, "LDSO"}}

// dipServer is the DIP under test: the API (httptest server) over a hub on
// SQLite, with the sender and the recipients registered and no webhooks
// yet.
type dipServer struct {
	url                         string
	apiKey                      string
	senderKeyPEM, senderCertPEM []byte
	dipFingerprint              string
	store                       *sqlite.DB
	hub                         *dip.Hub
}

func startDIPServer(tb testing.TB) *dipServer {
	tb.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "mhhs.db"))
	if err != nil {
		tb.Fatal(err)
	}
	dipSigner, dipFP := keypair(tb, "0000000001")
	keyPEM, certPEM, err := signature.GenerateSelfSigned(if021Sender, 2048, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	senderCert, err := signature.ParseCertificatePEM(certPEM)
	if err != nil {
		tb.Fatal(err)
	}
	apiKey, hash := dip.NewAPIKey()
	now := time.Now()
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(store.PutParticipant(ctx, dip.Participant{DIPID: if021Sender, Roles: []string{"SDS"}, APIKeyHash: hash,
		CertFingerprint: signature.CertificateFingerprint(senderCert), Created: now}))
	for _, p := range recipients {
		must(store.PutParticipant(ctx, dip.Participant{DIPID: p.id, Roles: []string{p.role}, Created: now}))
	}
	hub := dip.NewHub(store, dip.Config{Webhooks: webhook.Deliverer{Poster: &webhook.Poster{Signer: dipSigner}}, PollInterval: 20 * time.Millisecond})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { hub.Run(runCtx); close(done) }()
	api, err := httpapi.New(httpapi.Config{Hub: hub})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(api)
	tb.Cleanup(func() { srv.Close(); cancel(); <-done; store.Close() })
	must(hub.Refresh(ctx))
	return &dipServer{url: srv.URL, apiKey: apiKey, senderKeyPEM: keyPEM, senderCertPEM: certPEM, dipFingerprint: dipFP, store: store, hub: hub}
}

// addWebhooks points each recipient's IF-021 webhook at its receiver.
func (s *dipServer) addWebhooks(tb testing.TB, urls []string) {
	ctx := context.Background()
	for i, p := range recipients {
		if err := s.store.PutWebhook(ctx, dip.Webhook{Channel: "IF-021", Recipient: p.id, CallbackURL: urls[i]}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := s.hub.Refresh(ctx); err != nil {
		tb.Fatal(err)
	}
}

// newLoadSide returns a load side sending to the DIP at url as the sender,
// and starts its receivers, whose URLs it returns (in recipients' order).
// A receiver verifies the DIP's signature on every delivery (as a
// participant must) and finds each message's reference with a byte search,
// so that the benchmark measures the DIP rather than participant-side
// decoding.
func newLoadSide(url, apiKey string, keyPEM, certPEM []byte, dipFP string) (*httpDIP, []string, func(), error) {
	key, cert, err := signature.LoadKeyPair(keyPEM, certPEM)
	if err != nil {
		return nil, nil, nil, err
	}
	signer, err := signature.NewSigner(key, cert)
	if err != nil {
		return nil, nil, nil, err
	}
	d := &httpDIP{client: &httpapi.Client{BaseURL: url, APIKey: apiKey, Signer: signer,
		HTTP: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}}
	var urls []string
	var servers []*httptest.Server
	for range recipients {
		verifier := &signature.Verifier{}
		rc := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			cert, err := verifier.VerifyRequest(r, body)
			if err != nil || signature.CertificateFingerprint(cert) != dipFP {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			at := time.Now()
			const key = `"senderUniqueReference":`
			for rest := body; ; {
				i := bytes.Index(rest, []byte(key))
				if i < 0 {
					break
				}
				rest = bytes.TrimLeft(rest[i+len(key):], " \t\r\n")[1:] // past the opening quote
				j := bytes.IndexByte(rest, '"')
				if a, ok := d.arrivals.Load(string(rest[:j])); ok {
					a := a.(*arrival)
					a.mu.Lock()
					a.times = append(a.times, at)
					a.mu.Unlock()
				}
				d.received.Add(1)
			}
			w.WriteHeader(http.StatusCreated)
		})
		hook := httptest.NewServer(rc)
		servers = append(servers, hook)
		urls = append(urls, hook.URL)
	}
	stop := func() {
		for _, s := range servers {
			s.Close()
		}
	}
	return d, urls, stop, nil
}

// startHTTPDIP starts the DIP and, in this process, its load side.
func startHTTPDIP(tb testing.TB) *httpDIP {
	tb.Helper()
	s := startDIPServer(tb)
	d, urls, stop, err := newLoadSide(s.url, s.apiKey, s.senderKeyPEM, s.senderCertPEM, s.dipFingerprint)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(stop)
	s.addWebhooks(tb, urls)
	return d
}

// batchSize is the number of messages per signed POST: the Send API takes
// arrays, and a data service sends its day's messages in batches. Signing is
// an RSA-2048 private-key operation (about 2 ms on this machine kind), paid
// per request.
const batchSize = 10

// batch is one POST: its body and its messages' references, built before
// the timed part so that building them is not measured.
type batch struct {
	body []byte
	refs []string
}

// batches builds the POSTs of messages first … first+n-1 (n a multiple of
// batchSize).
func batches(first, n int) []batch {
	out := make([]batch, 0, n/batchSize)
	for k := first; k < first+n; k += batchSize {
		bt := batch{body: []byte{'['}}
		for i := k; i < k+batchSize; i++ {
			m := IF021Message(i)
			if i > k {
				bt.body = append(bt.body, ',')
			}
			bt.body = append(bt.body, m[1:len(m)-1]...)
			bt.refs = append(bt.refs, if021Reference(i))
		}
		bt.body = append(bt.body, ']')
		out = append(out, bt)
	}
	return out
}

// sendBatch sends bt in one signed POST through c, its messages counted as
// sent at sentAt: for an open-loop sender the time the batch was due, so
// that a sender that falls behind does not hide the wait (coordinated
// omission).
func (d *httpDIP) sendBatch(ctx context.Context, c *httpapi.Client, bt batch, sentAt time.Time) error {
	for _, ref := range bt.refs {
		d.arrivals.Store(ref, &arrival{sent: sentAt})
	}
	r, err := c.Send(ctx, "IF-021", bt.body)
	if err != nil {
		return err
	}
	if r.Status != 201 {
		return fmt.Errorf("HTTP %d: %s", r.Status, r.Body)
	}
	return nil
}

// endToEnd waits until n deliveries arrived and returns the p50 and p99 of
// send → webhook received over every delivery.
func (d *httpDIP) endToEnd(n int64) (p50, p99 time.Duration, err error) {
	deadline := time.Now().Add(60 * time.Second)
	for d.received.Load() < n {
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("only %d of %d deliveries arrived", d.received.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	var lat []time.Duration
	d.arrivals.Range(func(_, v any) bool {
		a := v.(*arrival)
		a.mu.Lock()
		for _, t := range a.times {
			lat = append(lat, t.Sub(a.sent))
		}
		a.mu.Unlock()
		return true
	})
	slices.Sort(lat)
	return lat[len(lat)/2], lat[len(lat)*99/100], nil
}

// BenchmarkHTTP runs the DIP over HTTP on loopback with signatures both
// ways: "capacity" sends from 64 concurrent senders as fast as they are
// accepted (inbound msgs/s, p99 accept) and reports deliveries/s; "steady"
// sends 1,000 msgs/s open-loop and reports the p99 from send to webhook
// received (target ≤ 100 ms).
func BenchmarkHTTP(b *testing.B) {
	serveRuntime(b)
	b.Run("capacity", func(b *testing.B) {
		d := startHTTPDIP(b)
		d.capacity(b, []*httpapi.Client{d.client})
	})
	b.Run("steady-1000", func(b *testing.B) {
		d := startHTTPDIP(b)
		n := steadyCount(b.N)
		first := int(nextMessage.Add(int64(n))) - n
		bs := batches(first, n)
		b.SetBytes(int64(len(IF021Message(0))))
		b.ResetTimer()
		start := time.Now()
		if err := d.sendSteady(bs, steadyRate); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		p50, p99, err := d.endToEnd(int64(3 * n))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "msgs/s")
		b.ReportMetric(float64(p50.Microseconds()), "e2e-p50-µs")
		b.ReportMetric(float64(p99.Microseconds()), "e2e-p99-µs")
	})
}

// steadyRate is the steady benchmarks' sending rate, in messages a second.
const steadyRate = 1000

// steadyCount is how many messages a steady run sends for b.N: three
// seconds at least, so that the p99 means something.
func steadyCount(bN int) int {
	return max(3000, (bN+batchSize-1)/batchSize*batchSize)
}

// sendSteady sends the batches at rate messages a second, open-loop: each
// batch is due at its time whether or not the earlier ones are answered,
// and its messages count as sent when due.
func (d *httpDIP) sendSteady(bs []batch, rate int) error {
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	var failed atomic.Value
	for k, bt := range bs {
		due := start.Add(time.Duration(k*batchSize) * time.Second / time.Duration(rate))
		if w := time.Until(due); w > 0 {
			time.Sleep(w)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := d.sendBatch(context.Background(), d.client, bt, due); err != nil {
				failed.Store(err)
			}
		}()
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return err
	}
	return nil
}

// capacity sends b.N messages (rounded up to whole batches) from 16
// closed-loop senders spread over clients (one per DIP process) as fast as
// they are accepted, and reports the inbound msgs/s, the deliveries/s to
// the three recipients, the p99 of one accepted POST and the p50 and p99
// from send to webhook received.
func (d *httpDIP) capacity(b *testing.B, clients []*httpapi.Client) {
	nb := (b.N + batchSize - 1) / batchSize
	n := nb * batchSize
	first := int(nextMessage.Add(int64(n))) - n
	bs := batches(first, n)
	b.SetBytes(int64(len(IF021Message(0))))
	const senders = 16
	lat := make([][]time.Duration, senders)
	var failed atomic.Value
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for g := range senders {
		wg.Go(func() {
			c := clients[g%len(clients)]
			for k := g; k < nb; k += senders {
				t0 := time.Now()
				if err := d.sendBatch(context.Background(), c, bs[k], t0); err != nil {
					failed.Store(err)
					return
				}
				lat[g] = append(lat[g], time.Since(t0))
			}
		})
	}
	wg.Wait()
	accepted := time.Since(start)
	b.StopTimer()
	if err, ok := failed.Load().(error); ok {
		b.Fatal(err)
	}
	p50, p99, err := d.endToEnd(int64(3 * n))
	if err != nil {
		b.Fatal(err)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(n)/accepted.Seconds(), "msgs/s")
	b.ReportMetric(float64(3*n)/time.Since(start).Seconds(), "deliveries/s")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "accept-p99-µs")
	b.ReportMetric(float64(p50.Microseconds()), "e2e-p50-µs")
	b.ReportMetric(float64(p99.Microseconds()), "e2e-p99-µs")
}
