package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/signature"
)

// testNow is the fixed clock of signers, verifiers and receivers.
var testNow = time.Date(2025, 6, 27, 14, 29, 9, 61_000_000, time.UTC)

// testStamp is testNow as the receiver stamps its answers.
const testStamp = "2025-06-27T14:29:09+00:00"

// selfID is the DIP id of the receiving participant in the tests.
const selfID = "2300000001"

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// newSigner returns a signer with a fresh 1024-bit self-signed key (the
// smallest crypto/rsa allows, to keep the tests fast) whose clock is testNow.
func newSigner(t testing.TB, commonName string) *signature.Signer {
	t.Helper()
	keyPEM, certPEM, err := signature.GenerateSelfSigned(commonName, 1024, testNow.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	key, cert, err := signature.LoadKeyPair(keyPEM, certPEM)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signature.NewSigner(key, cert)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = fixedClock(testNow)
	return s
}

func fingerprint(s *signature.Signer) string {
	return signature.CertificateFingerprint(s.Certificate())
}

// newReceiver returns a Receiver that trusts only dip and answers with the
// fixed clock.
func newReceiver(dip *signature.Signer, handle func(ctx context.Context, msgs []catalogue.Message) []catalogue.Code) *Receiver {
	return &Receiver{
		Verifier:            &signature.Verifier{Now: fixedClock(testNow)},
		TrustedFingerprints: []string{fingerprint(dip)},
		SelfID:              selfID,
		Handle:              handle,
		Now:                 fixedClock(testNow),
	}
}

// payload returns a small IF-033 payload whose identifiers carry n.
func payload(n int) string {
	return fmt.Sprintf(`{"CommonBlock":{"S0":{"interfaceID":"IF-033","schemaVersion":"011","eventCode":"[DSAppSPRequest]"},`+
		`"S1":{"senderUniqueReference":"S-IF-033-2200000001-REGS-20250627-%d","senderCorrelationID":null},`+
		`"D0":{"transactionID":"T-IF-033-2200000001-REGS-20250627-%d","initialCorrelationID":"CI-20250627-%d"}},"CustomBlock":{}}`,
		n, n, n)
}

// array returns a DIPMessageEgressArray of the payloads.
func array(payloads ...string) []byte {
	items := make([]string, len(payloads))
	for i, p := range payloads {
		items[i] = `{"payload":` + p + `}`
	}
	return []byte("[" + strings.Join(items, ",") + "]")
}

// itemFor is the response item the receiver gives message payload(n)
// answered with code.
func itemFor(n int, code catalogue.Code) catalogue.StandardResponseBodyType {
	ptr := func(s string) *string { return &s }
	return catalogue.StandardResponseBodyType{
		TransactionID:         ptr(fmt.Sprintf("T-IF-033-2200000001-REGS-20250627-%d", n)),
		SenderUniqueReference: ptr(fmt.Sprintf("S-IF-033-2200000001-REGS-20250627-%d", n)),
		CorrelationID:         ptr(fmt.Sprintf("CI-20250627-%d", n)),
		SentTimestamp:         testStamp,
		SenderID:              selfID,
		Message:               ptr(code.Message()),
	}
}

// decodeResponse decodes a StandardResponse body.
func decodeResponse(t testing.TB, body []byte) catalogue.StandardResponse {
	t.Helper()
	var sr catalogue.StandardResponse
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sr); err != nil {
		t.Fatalf("response body %q: %v", body, err)
	}
	if sr.MessageArray == nil || sr.Timestamp == nil {
		t.Fatalf("response body %q lacks messageArray or timestamp", body)
	}
	return sr
}

// messagesOf returns the "message" of each item of a StandardResponse body.
func messagesOf(t testing.TB, body []byte) []string {
	t.Helper()
	var msgs []string
	for _, it := range *decodeResponse(t, body).MessageArray {
		if it.Message == nil {
			t.Fatalf("item without message in %s", body)
		}
		msgs = append(msgs, *it.Message)
	}
	return msgs
}

// serve starts an httptest server for h, closed at the end of the test.
func serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}
