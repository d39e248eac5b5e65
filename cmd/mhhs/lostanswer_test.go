package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/storetest"
)

// lossyProxy forwards requests to the DIP, keeping the Host header (so that
// signatures made for the proxy's URL verify behind it), and loses the
// next POSTs to a channel as told: "request" closes the connection before
// forwarding (the DIP never sees the message), "answer" forwards it and
// closes the connection instead of answering (the DIP accepted it). Either
// way the sender gets a transport error, not an HTTP answer.
type lossyProxy struct {
	srv    *httptest.Server
	target string
	mu     sync.Mutex
	lose   []string
}

func newLossyProxy(t *testing.T, target string) *lossyProxy {
	p := &lossyProxy{target: target}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *lossyProxy) next(what ...string) {
	p.mu.Lock()
	p.lose = append(p.lose, what...)
	p.mu.Unlock()
}

func (p *lossyProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	lose := ""
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/dip-channel/") {
		p.mu.Lock()
		if len(p.lose) > 0 {
			lose, p.lose = p.lose[0], p.lose[1:]
		}
		p.mu.Unlock()
	}
	hangUp := func() {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}
	if lose == "request" {
		hangUp()
		return
	}
	req, _ := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	req.Header = r.Header.Clone()
	req.Host = r.Host
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if lose == "answer" {
		hangUp()
		return
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(answer)
}

// TestSenderLearnsFateAfterTransportError: a sender whose POST ended in a
// transport error does not know whether the DIP accepted its message. It
// can ask the journal (GET deliveryStatus: 200 with the DIP's transaction
// id if accepted, 204 if the DIP never had it), or send the message again:
// a resend of an accepted message is refused as a duplicate (MSG3001) whose
// item carries the first message's transaction id, and the recipient gets
// the message once, with that id; a message the DIP never had is accepted
// on resend.
func TestSenderLearnsFateAfterTransportError(t *testing.T) {
	if testing.Short() {
		t.Skip("boots mhhs serve and generates RSA keys")
	}
	t.Run("sqlite", func(t *testing.T) { senderLearnsFate(t, "") })
	t.Run("postgres", func(t *testing.T) { senderLearnsFate(t, storetest.PostgresSchema(t)) })
}

func senderLearnsFate(t *testing.T, store string) {
	data := t.TempDir()
	sds := addPartyOn(t, data, store, "", sdsID, "SDS")
	mds := addPartyOn(t, data, store, "", mdsID, "MDS")
	var args []string
	if store != "" {
		args = append(args, "--store", store)
	}
	h := startDIP(t, data, args...)
	ctx := context.Background()
	dipCert, err := os.ReadFile(filepath.Join(data, "dip-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	ib := newHoldingInbox(t, dipCert, mdsID)
	ib.release()
	if err := clientFor(t, h.url, mds).ConfigureWebhook(ctx, "IF-021", mdsID, ib.srv.URL); err != nil {
		t.Fatal(err)
	}
	proxy := newLossyProxy(t, h.url)
	c := clientFor(t, proxy.srv.URL, sds)
	ref := func(n int) string { return fmt.Sprintf("S-IF-021-%s-SDS-20250401-%d", sdsID, n) }

	// Message 0: accepted, its answer lost. Message 1: lost on the way.
	proxy.next("answer", "request")
	for n := range 2 {
		if r, err := c.Send(ctx, "IF-021", if021(t, n)); err == nil {
			t.Fatalf("message %d: answered %d, want a transport error", n, r.Status)
		}
	}

	// The journal tells them apart.
	rec, ok, err := c.DeliveryStatus(ctx, "IF-021", sdsID, ref(0))
	if err != nil || !ok || rec.DIPTransactionID == "" {
		t.Fatalf("journal of message 0, whose answer was lost: %v %v %+v", ok, err, rec)
	}
	first := rec.DIPTransactionID
	if _, ok, err := c.DeliveryStatus(ctx, "IF-021", sdsID, ref(1)); err != nil || ok {
		t.Fatalf("journal of message 1, which never reached the DIP: found %v, %v; want 204", ok, err)
	}

	// So does a resend: a duplicate of the accepted one, with its id.
	r, err := c.Send(ctx, "IF-021", if021(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	it := items(t, r)[0]
	if msgOf(it) != catalogue.MSG3001.Message() || deref(it.TransactionID) != first {
		t.Errorf("resend of message 0: %d %q transaction %q; want MSG3001 naming %s", r.Status, msgOf(it), deref(it.TransactionID), first)
	}
	r, err = c.Send(ctx, "IF-021", if021(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	it = items(t, r)[0]
	if r.Status != 201 || deref(it.TransactionID) == "" {
		t.Fatalf("resend of message 1: %d %s", r.Status, r.Body)
	}
	second := deref(it.TransactionID)

	// The recipient gets each once, with the transaction id the sender
	// learnt. (Message 1 follows message 0 on the MPAN: a second copy of
	// message 0 would have come first.)
	waitFor(t, "message 1 at the MDS", func() bool {
		for _, a := range ib.snapshot() {
			if a.ref == ref(1) {
				return true
			}
		}
		return false
	})
	want := map[string]string{ref(0): first, ref(1): second}
	got := map[string][]string{}
	for _, a := range ib.snapshot() {
		got[a.ref] = append(got[a.ref], a.tx)
	}
	for ref, tx := range want {
		if len(got[ref]) != 1 || got[ref][0] != tx {
			t.Errorf("%s reached the MDS with transaction ids %v, want once with %s", ref, got[ref], tx)
		}
	}
}
