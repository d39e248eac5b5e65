package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/signature"
	"github.com/mhhs/mhhs/internal/sqlite"
)

// FuzzIntake sends arbitrary bodies, channels and signature headers to
// POST /dip-channel/{id} of a real hub on SQLite, with the option of a
// correct API key and signature so that validation and routing are reached.
// The DIP must never fail (500), must answer only the documented statuses,
// and must always answer a StandardResponse whose messages carry MSG codes.
func FuzzIntake(f *testing.F) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "mhhs.db"))
	if err != nil {
		f.Fatal(err)
	}
	keyPEM, certPEM, err := signature.GenerateSelfSigned("1200000001", 1024, time.Now())
	if err != nil {
		f.Fatal(err)
	}
	key, cert, _ := signature.LoadKeyPair(keyPEM, certPEM)
	signer, _ := signature.NewSigner(key, cert)
	apiKey, hash := dip.NewAPIKey()
	c, _ := signature.ParseCertificatePEM(certPEM)
	for _, p := range []dip.Participant{
		{DIPID: "1200000001", Roles: []string{"SDS"}, APIKeyHash: hash, CertFingerprint: signature.CertificateFingerprint(c)},
		{DIPID: "1800000001", Roles: []string{"MDS"}},
	} {
		if err := store.PutParticipant(ctx, p); err != nil {
			f.Fatal(err)
		}
	}
	hub := dip.NewHub(store, dip.Config{})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { hub.Run(runCtx); close(done) }()
	f.Cleanup(func() { cancel(); <-done; store.Close() })
	srv, err := New(Config{Hub: hub})
	if err != nil {
		f.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	f.Cleanup(ts.Close)

	cat := catalogue.Default()
	v, _ := cat.Variant("IF-021", "[ActivePower]")
	good := []byte(`[{"payload":` + string(cat.Example(v, catalogue.ExampleOptions{SenderDIPID: "1200000001", SenderRole: "SDS"})) + `}]`)
	f.Add(good, "IF-021", true, "", "")
	f.Add(good, "IF-021", false, "x", "2025-01-01T00:00:00.000Z")
	f.Add([]byte(`[]`), "IF-021", true, "", "")
	f.Add([]byte(`{"payload":{}}`), "IF-999", true, "", "")
	f.Add([]byte(`[{"payload":{"CommonBlock":{"S0":{"interfaceID":"IF-021","eventCode":"[ActivePower]"}}}}]`), "IF-021", true, "", "")

	allowed := map[int]bool{201: true, 207: true, 400: true, 401: true, 403: true, 404: true, 413: true}
	f.Fuzz(func(t *testing.T, body []byte, channel string, sign bool, badSig, badDate string) {
		if strings.ContainsAny(channel, "/?#% \t\r\n") || channel == "" || len(channel) > 20 {
			return
		}
		url := ts.URL + "/dip-channel/" + channel
		req, err := http.NewRequest("POST", url, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		if sign {
			req.Header.Set("X-API-Key", apiKey)
			if err := signer.SignRequest(req, body); err != nil {
				t.Fatal(err)
			}
		}
		if badSig != "" {
			req.Header.Set("X-DIP-Signature", badSig)
		}
		if badDate != "" {
			req.Header.Set("X-DIP-Signature-Date", badDate)
		}
		resp, err := ts.Client().Do(req)
		if err != nil && strings.Contains(err.Error(), "invalid header field") {
			return // the client refuses to send it: it never reaches the DIP
		}
		if err != nil {
			t.Fatal(err) // a server that panics closes the connection
		}
		defer resp.Body.Close()
		if resp.StatusCode == 404 && !sign {
			return // unknown channel pattern from the mux, before authentication
		}
		if !allowed[resp.StatusCode] {
			t.Fatalf("status %d for %q on %s", resp.StatusCode, body, channel)
		}
		var sr catalogue.StandardResponse
		if err := json.NewDecoder(resp.Body).Decode(&sr); err != nil || sr.MessageArray == nil || len(*sr.MessageArray) == 0 {
			t.Fatalf("status %d without a StandardResponse: %v", resp.StatusCode, err)
		}
		for _, it := range *sr.MessageArray {
			if it.Message == nil || !strings.HasPrefix(*it.Message, "MSG") {
				t.Fatalf("item without an MSG code: %+v", it)
			}
			if *it.Message == catalogue.MSG5001.Message() {
				t.Fatalf("internal error for %q", body)
			}
		}
	})
}
