package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/signature"
	"github.com/mhhs/mhhs/internal/storetest"
	"github.com/mhhs/mhhs/internal/webhook"
)

// arrival is one message as a recipient received it: the sender's
// reference and the DIP's transaction id (D0), which is what a recipient
// dedupes on.
type arrival struct {
	ref, tx string
	at      time.Time
}

// holdingInbox is a webhook that verifies the DIP's signature, notes each
// message as it arrives, and, while held, does not answer: the POST stays in
// flight, and the DIP's claims on its messages with it.
type holdingInbox struct {
	srv      *httptest.Server
	mu       sync.Mutex
	arrivals []arrival
	held     chan struct{} // closed when the inbox stops holding
}

func newHoldingInbox(t *testing.T, dipCertPEM []byte, self string) *holdingInbox {
	t.Helper()
	cert, err := signature.ParseCertificatePEM(dipCertPEM)
	if err != nil {
		t.Fatal(err)
	}
	ib := &holdingInbox{held: make(chan struct{})}
	rc := &webhook.Receiver{Verifier: &signature.Verifier{}, TrustedFingerprints: []string{signature.CertificateFingerprint(cert)}, SelfID: self,
		Handle: func(ctx context.Context, msgs []catalogue.Message) []catalogue.Code {
			now := time.Now()
			ib.mu.Lock()
			for _, m := range msgs {
				var p struct {
					CommonBlock struct {
						S1 struct {
							SenderUniqueReference string `json:"senderUniqueReference"`
						} `json:"S1"`
						D0 struct {
							TransactionID string `json:"transactionID"`
						} `json:"D0"`
					} `json:"CommonBlock"`
				}
				json.Unmarshal(m.Payload, &p)
				ib.arrivals = append(ib.arrivals, arrival{p.CommonBlock.S1.SenderUniqueReference, p.CommonBlock.D0.TransactionID, now})
			}
			ib.mu.Unlock()
			select {
			case <-ib.held:
				return nil
			case <-ctx.Done(): // the DIP went away
				return nil
			}
		}}
	ib.srv = httptest.NewServer(rc)
	t.Cleanup(ib.srv.Close)
	return ib
}

// release makes the inbox answer every POST at once, from now on.
func (ib *holdingInbox) release() { close(ib.held) }

func (ib *holdingInbox) snapshot() []arrival {
	ib.mu.Lock()
	defer ib.mu.Unlock()
	return append([]arrival(nil), ib.arrivals...)
}

// TestRestartTakesBackClaimsPostgres kills `mhhs serve` on PostgreSQL with
// SIGKILL while a webhook POST is in flight (the recipient holds it), with
// a claim lease of 30 s, and starts it again under the same --owner: the
// restarted process takes back its predecessor's claims at once, and every
// message is delivered within a few seconds instead of after the lease.
// The messages of the POST cut short are delivered again with the
// transaction id of their first delivery, which is what the recipient
// dedupes on.
func TestRestartTakesBackClaimsPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it")
	}
	store := storetest.PostgresSchema(t)
	bin := buildBinary(t)
	data := t.TempDir()
	sds := addPartyOn(t, data, store, "", sdsID, "SDS")
	mds := addPartyOn(t, data, store, "", mdsID, "MDS")
	const lease = 30 * time.Second
	flags := []string{"--owner", "dip-a", "--lease", lease.String(), "--post-timeout", "10s"}
	srv := startServeProcess(t, bin, data, store, flags...)
	ctx := context.Background()
	dipCert, err := os.ReadFile(filepath.Join(data, "dip-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	ib := newHoldingInbox(t, dipCert, mdsID)
	if err := clientFor(t, srv.url, mds).ConfigureWebhook(ctx, "IF-021", mdsID, ib.srv.URL); err != nil {
		t.Fatal(err)
	}
	// Twenty messages for one MPAN: the first POST is held.
	c := clientFor(t, srv.url, sds)
	txOf := map[string]string{} // reference -> the transaction id the DIP answered
	for n := range 20 {
		r, err := c.Send(ctx, "IF-021", if021(t, n))
		if err != nil || r.Status != 201 {
			t.Fatalf("message %d: %v %v", n, r, err)
		}
		it := items(t, r)[0]
		txOf[deref(it.SenderUniqueReference)] = deref(it.TransactionID)
	}
	waitFor(t, "a POST in flight", func() bool { return len(ib.snapshot()) > 0 })
	var held int
	if err := pgxQueryRow(store, `SELECT count(*) FROM deliveries WHERE claimed_by LIKE 'dip-a#%' AND claimed_until > $1`, &held, time.Now().UnixMicro()); err != nil {
		t.Fatal(err)
	}
	if held == 0 {
		t.Fatal("no delivery claimed by dip-a while its POST is in flight")
	}
	if err := srv.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	srv.cmd.Wait()
	cut := ib.snapshot()
	ib.release()

	restarted := time.Now()
	startServeProcess(t, bin, data, store, flags...)
	deadline := restarted.Add(lease + 10*time.Second)
	for {
		got := map[string]bool{}
		for _, a := range ib.snapshot()[len(cut):] {
			got[a.ref] = true
		}
		if len(got) == len(txOf) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages delivered after the restart", len(got), len(txOf))
		}
		time.Sleep(10 * time.Millisecond)
	}
	all := ib.snapshot()
	took := all[len(all)-1].at.Sub(restarted)
	t.Logf("%d claims held at the kill (%d messages in the POST cut short); every message delivered %v after the restart (lease %v)", held, len(cut), took.Round(time.Millisecond), lease)
	if took > 5*time.Second {
		t.Errorf("the restarted process took %v to deliver: it waited for its predecessor's claims (lease %v)", took, lease)
	}
	// Every copy of a message carries the transaction id the sender was
	// answered with; the messages of the POST cut short came twice.
	copies := map[string]int{}
	for _, a := range all {
		copies[a.ref]++
		if a.tx != txOf[a.ref] {
			t.Errorf("%s arrived with transaction id %s, the DIP answered %s", a.ref, a.tx, txOf[a.ref])
		}
	}
	for _, a := range cut {
		if copies[a.ref] < 2 {
			t.Errorf("%s, in the POST cut short, was not delivered again", a.ref)
		}
	}
}

// pgxQueryRow runs one query on its own connection to the database at dsn.
func pgxQueryRow(dsn, sql string, dest any, args ...any) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, sql, args...).Scan(dest)
}
