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

// httpDIP is the whole DIP on loopback: the API (httptest server) over a
// hub on SQLite, signed webhook deliveries to three receivers (MDS, LSS,
// LDSO) that verify the DIP's signature and note when each message arrived.
// The senders are the hub's own participants' clients (httpapi.Client).
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

func startHTTPDIP(tb testing.TB) *httpDIP {
	tb.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "mhhs.db"))
	if err != nil {
		tb.Fatal(err)
	}
	dipSigner, dipFP := keypair(tb, "0000000001")
	senderSigner, senderFP := keypair(tb, if021Sender)
	apiKey, hash := dip.NewAPIKey()
	d := &httpDIP{}
	now := time.Now()
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(store.PutParticipant(ctx, dip.Participant{DIPID: if021Sender, Roles: []string{"SDS"}, APIKeyHash: hash, CertFingerprint: senderFP, Created: now}))
	for _, p := range []struct{ id, role string }{{"1800000001", "MDS"}, {"1900000001", "LSS"}, {if021Distributor, "LDSO"}} {
		must(store.PutParticipant(ctx, dip.Participant{DIPID: p.id, Roles: []string{p.role}, Created: now}))
		// A minimal receiver: it verifies the DIP's signature on every delivery
		// (as a participant must) and finds each message's reference with a
		// byte search. webhook.Receiver decodes every payload with
		// encoding/json, which cost 40% of this machine's CPU and is
		// participant-side work, not the DIP's.
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
		tb.Cleanup(hook.Close)
		must(store.PutWebhook(ctx, dip.Webhook{Channel: "IF-021", Recipient: p.id, CallbackURL: hook.URL}))
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
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	d.client = &httpapi.Client{BaseURL: srv.URL, APIKey: apiKey, Signer: senderSigner, HTTP: &http.Client{Transport: tr}}
	return d
}

// batchSize is the number of messages per signed POST: the Send API takes
// arrays, and a data service sends its day's messages in batches. Signing is
// an RSA-2048 private-key operation (about 2 ms on this machine kind), paid
// per request.
const batchSize = 10

// sendBatch sends messages first … first+batchSize-1 in one signed POST.
func (d *httpDIP) sendBatch(ctx context.Context, first int) error {
	now := time.Now()
	body := []byte{'['}
	for i := first; i < first+batchSize; i++ {
		d.arrivals.Store(if021Reference(i), &arrival{sent: now})
		m := IF021Message(i)
		if i > first {
			body = append(body, ',')
		}
		body = append(body, m[1:len(m)-1]...)
	}
	body = append(body, ']')
	r, err := d.client.Send(ctx, "IF-021", body)
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
func (d *httpDIP) endToEnd(tb testing.TB, n int64) (p50, p99 time.Duration) {
	deadline := time.Now().Add(60 * time.Second)
	for d.received.Load() < n {
		if time.Now().After(deadline) {
			tb.Fatalf("only %d of %d deliveries arrived", d.received.Load(), n)
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
	return lat[len(lat)/2], lat[len(lat)*99/100]
}

// BenchmarkHTTP runs the DIP over HTTP on loopback with signatures both
// ways: "capacity" sends from 64 concurrent senders as fast as they are
// accepted (inbound msgs/s, p99 accept) and reports deliveries/s; "steady"
// sends 1,000 msgs/s open-loop and reports the p99 from send to webhook
// received (target ≤ 100 ms).
func BenchmarkHTTP(b *testing.B) {
	b.Run("capacity", func(b *testing.B) {
		d := startHTTPDIP(b)
		batches := (b.N + batchSize - 1) / batchSize
		n := batches * batchSize
		first := int(nextMessage.Add(int64(n))) - n
		b.SetBytes(int64(len(IF021Message(0))))
		const senders = 16
		lat := make([][]time.Duration, senders)
		var failed atomic.Value
		var wg sync.WaitGroup
		b.ResetTimer()
		start := time.Now()
		for g := 0; g < senders; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for k := g; k < batches; k += senders {
					t0 := time.Now()
					if err := d.sendBatch(context.Background(), first+k*batchSize); err != nil {
						failed.Store(err)
						return
					}
					lat[g] = append(lat[g], time.Since(t0))
				}
			}(g)
		}
		wg.Wait()
		accepted := time.Since(start)
		b.StopTimer()
		if err, ok := failed.Load().(error); ok {
			b.Fatal(err)
		}
		p50, p99 := d.endToEnd(b, int64(3*n))
		all := slices.Concat(lat...)
		slices.Sort(all)
		b.ReportMetric(float64(n)/accepted.Seconds(), "msgs/s")
		b.ReportMetric(float64(3*n)/time.Since(start).Seconds(), "deliveries/s")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "accept-p99-µs")
		b.ReportMetric(float64(p50.Microseconds()), "e2e-p50-µs")
		b.ReportMetric(float64(p99.Microseconds()), "e2e-p99-µs")
	})
	b.Run("steady-1000", func(b *testing.B) {
		d := startHTTPDIP(b)
		const rate = 1000
		n := (b.N + batchSize - 1) / batchSize * batchSize
		if n < 3000 {
			n = 3000 // three seconds at least, so that the p99 means something
		}
		first := int(nextMessage.Add(int64(n))) - n
		b.SetBytes(int64(len(IF021Message(0))))
		b.ResetTimer()
		start := time.Now()
		var wg sync.WaitGroup
		sem := make(chan struct{}, 256)
		var failed atomic.Value
		for k := 0; k < n; k += batchSize {
			due := start.Add(time.Duration(k) * time.Second / rate)
			if w := time.Until(due); w > 0 {
				time.Sleep(w)
			}
			sem <- struct{}{}
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				defer func() { <-sem }()
				if err := d.sendBatch(context.Background(), i); err != nil {
					failed.Store(err)
				}
			}(first + k)
		}
		wg.Wait()
		b.StopTimer()
		if err, ok := failed.Load().(error); ok {
			b.Fatal(err)
		}
		p50, p99 := d.endToEnd(b, int64(3*n))
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "msgs/s")
		b.ReportMetric(float64(p50.Microseconds()), "e2e-p50-µs")
		b.ReportMetric(float64(p99.Microseconds()), "e2e-p99-µs")
	})
}
