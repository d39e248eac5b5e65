package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/signature"
)

// recorder is a Handle that records the messages it is given and answers
// with the codes its answer function returns.
type recorder struct {
	mu     sync.Mutex
	got    [][]string // payloads per call
	answer func(msgs []catalogue.Message) []catalogue.Code
}

func (rec *recorder) handle(ctx context.Context, msgs []catalogue.Message) []catalogue.Code {
	var ps []string
	for _, m := range msgs {
		ps = append(ps, string(m.Payload))
	}
	rec.mu.Lock()
	rec.got = append(rec.got, ps)
	rec.mu.Unlock()
	if rec.answer == nil {
		return nil
	}
	return rec.answer(msgs)
}

func (rec *recorder) calls() [][]string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.got
}

func TestRoundTrip(t *testing.T) {
	dip := newSigner(t, "dip")
	for _, srv := range []struct {
		name string
		new  func(http.Handler) *httptest.Server
	}{
		{"http", httptest.NewServer},
		{"https", httptest.NewTLSServer},
	} {
		t.Run(srv.name, func(t *testing.T) {
			rec := &recorder{}
			ts := srv.new(newReceiver(dip, rec.handle))
			defer ts.Close()
			p := &Poster{Client: ts.Client(), Signer: dip}
			body := array(payload(1), payload(2))
			got, err := p.Post(t.Context(), ts.URL+"/webhook/IF-033?recipient=2300000001", body)
			if err != nil {
				t.Fatal(err)
			}
			if got.StatusCode != http.StatusCreated || got.Outcome != Delivered || got.Err != "" {
				t.Fatalf("got %+v, want 201 Delivered", got)
			}
			want := catalogue.StandardResponse{
				MessageArray: &[]catalogue.StandardResponseBodyType{itemFor(1, catalogue.MSG0000), itemFor(2, catalogue.MSG0000)},
				Timestamp:    new(testStamp),
			}
			if diff := cmp.Diff(want, decodeResponse(t, got.Body)); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([][]string{{payload(1), payload(2)}}, rec.calls()); diff != "" {
				t.Errorf("Handle got (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRoundTripOutcomes(t *testing.T) {
	dip := newSigner(t, "dip")
	body := array(payload(1), payload(2), payload(3))
	for _, tt := range []struct {
		name       string
		codes      []catalogue.Code
		status     int
		outcome    Outcome
		perMessage []bool
	}{
		{"nil accepts all", nil, 201, Delivered, nil},
		{"zero codes accept", make([]catalogue.Code, 3), 201, Delivered, nil},
		{"some rejected", []catalogue.Code{catalogue.MSG0000, catalogue.MSG1001, ""}, 207, PartiallyRejected, []bool{true, false, true}},
		{"all rejected", []catalogue.Code{catalogue.MSG1001, catalogue.MSG2001, catalogue.MSG1003}, 400, Rejected, nil},
		{"retry", []catalogue.Code{catalogue.MSG0000, catalogue.MSG5001, catalogue.MSG1001}, 500, Failed, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{answer: func([]catalogue.Message) []catalogue.Code { return tt.codes }}
			ts := serve(t, newReceiver(dip, rec.handle))
			got, err := (&Poster{Signer: dip}).Post(t.Context(), ts.URL, body)
			if err != nil {
				t.Fatal(err)
			}
			if got.StatusCode != tt.status || got.Outcome != tt.outcome {
				t.Errorf("got %d %v, want %d %v", got.StatusCode, got.Outcome, tt.status, tt.outcome)
			}
			if diff := cmp.Diff(tt.perMessage, got.PerMessage); diff != "" {
				t.Errorf("PerMessage (-want +got):\n%s", diff)
			}
			var want []catalogue.StandardResponseBodyType
			for i := range 3 {
				code := catalogue.MSG0000
				if tt.codes != nil && tt.codes[i] != "" {
					code = tt.codes[i]
				}
				want = append(want, itemFor(i+1, code))
			}
			if diff := cmp.Diff(want, *decodeResponse(t, got.Body).MessageArray); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
}

// tamper is a transport that replaces the body of every request after it
// was signed.
type tamper struct{ body []byte }

func (tp tamper) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Body = io.NopCloser(bytes.NewReader(tp.body))
	r.ContentLength = int64(len(tp.body))
	return http.DefaultTransport.RoundTrip(r)
}

func TestReceiverRejectsSignatures(t *testing.T) {
	dip := newSigner(t, "dip")
	impostor := newSigner(t, "dip") // same name, another key
	stale := newSigner(t, "dip")
	stale.Now = fixedClock(testNow.Add(-signature.DefaultMaxSkew - time.Millisecond))
	body := array(payload(1))

	for _, tt := range []struct {
		name   string
		poster *Poster
		code   catalogue.Code
	}{
		{"untrusted certificate", &Poster{Signer: impostor}, catalogue.MSG4002},
		{"modified body", &Poster{Signer: dip, Client: &http.Client{Transport: tamper{array(payload(2))}}}, catalogue.MSG4002},
		{"stale date", &Poster{Signer: stale}, catalogue.MSG4003},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			ts := serve(t, newReceiver(dip, rec.handle))
			got, err := tt.poster.Post(t.Context(), ts.URL+"/hook", body)
			if err != nil {
				t.Fatal(err)
			}
			if got.StatusCode != http.StatusUnauthorized || got.Outcome != Failed {
				t.Errorf("got %d %v, want 401 Failed", got.StatusCode, got.Outcome)
			}
			if diff := cmp.Diff([]string{tt.code.Message()}, messagesOf(t, got.Body)); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
			if n := len(rec.calls()); n != 0 {
				t.Errorf("Handle called %d times", n)
			}
		})
	}

	t.Run("unsigned", func(t *testing.T) {
		ts := serve(t, newReceiver(dip, nil))
		resp, err := ts.Client().Post(ts.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		checkAnswer(t, resp, http.StatusUnauthorized, catalogue.MSG4002)
	})

	t.Run("signed for another URL", func(t *testing.T) {
		ts := serve(t, newReceiver(dip, nil))
		req, err := http.NewRequest(http.MethodPost, ts.URL+"/hook/IF-033", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		hs, err := dip.Sign(http.MethodPost, ts.URL+"/hook/IF-034", body)
		if err != nil {
			t.Fatal(err)
		}
		hs.Set(req.Header)
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		checkAnswer(t, resp, http.StatusUnauthorized, catalogue.MSG4002)
	})

	t.Run("any certificate when none trusted", func(t *testing.T) {
		rc := newReceiver(dip, nil)
		rc.TrustedFingerprints = nil
		ts := serve(t, rc)
		got, err := (&Poster{Signer: impostor}).Post(t.Context(), ts.URL, body)
		if err != nil || got.Outcome != Delivered {
			t.Errorf("got %+v, %v; want Delivered", got, err)
		}
	})

	t.Run("fingerprint in upper case", func(t *testing.T) {
		rc := newReceiver(dip, nil)
		rc.TrustedFingerprints = []string{fingerprint(impostor), strings.ToUpper(fingerprint(dip))}
		ts := serve(t, rc)
		got, err := (&Poster{Signer: dip}).Post(t.Context(), ts.URL, body)
		if err != nil || got.Outcome != Delivered {
			t.Errorf("got %+v, %v; want Delivered", got, err)
		}
	})
}

// checkAnswer checks resp's status and that its body is a StandardResponse
// with one item carrying code.
func checkAnswer(t *testing.T, resp *http.Response, status int, code catalogue.Code) {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != status {
		t.Errorf("status = %d, want %d; body %s", resp.StatusCode, status, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if diff := cmp.Diff([]string{code.Message()}, messagesOf(t, b)); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}

func TestReceiverRejectsBodies(t *testing.T) {
	dip := newSigner(t, "dip")
	rec := &recorder{}
	ts := serve(t, newReceiver(dip, rec.handle))
	for _, body := range []string{
		``,
		`not json`,
		`null`,
		`{}`,
		`{"payload":{}}`,
		`[]`,
		`[null]`,
		`[{}]`,
		`[1]`,
		`[{"payload":null}]`,
		`[{"payload":[]}]`,
		`[{"payload":"{}"}]`,
		`[{"payload":{}},{"Payload":null}]`,
		`[{"payload":{}}] [{"payload":{}}]`,
		`[{"payload":{}}`,
	} {
		got, err := (&Poster{Signer: dip}).Post(t.Context(), ts.URL, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if got.StatusCode != http.StatusBadRequest || got.Outcome != Rejected {
			t.Errorf("body %q: got %d %v, want 400 Rejected", body, got.StatusCode, got.Outcome)
			continue
		}
		if diff := cmp.Diff([]string{catalogue.MSG1002.Message()}, messagesOf(t, got.Body)); diff != "" {
			t.Errorf("body %q: messages (-want +got):\n%s", body, diff)
		}
	}
	if n := len(rec.calls()); n != 0 {
		t.Errorf("Handle called %d times", n)
	}
}

func TestReceiverAcceptsExtraKeysAndMinimalPayloads(t *testing.T) {
	dip := newSigner(t, "dip")
	rec := &recorder{}
	ts := serve(t, newReceiver(dip, rec.handle))
	body := ` [ {"payload": {}, "extra": 1},{"payload":{"CommonBlock":{"S1":{"senderUniqueReference":7},"D0":{"transactionID":"` +
		strings.Repeat("T", 66) + `","initialCorrelationID":""}}}} ] `
	got, err := (&Poster{Signer: dip}).Post(t.Context(), ts.URL, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if got.Outcome != Delivered {
		t.Fatalf("got %+v, want Delivered", got)
	}
	// Identifiers that are absent, mistyped, empty or too long are null.
	item := catalogue.StandardResponseBodyType{
		SentTimestamp: testStamp, SenderID: selfID, Message: new(catalogue.MSG0000.Message()),
	}
	if diff := cmp.Diff([]catalogue.StandardResponseBodyType{item, item}, *decodeResponse(t, got.Body).MessageArray); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
}

// TestReceiverEchoesIdentifiers: identifiers of exactly the response
// schema's length are echoed, and the correlation id is
// D0.initialCorrelationID, else S1.senderCorrelationID.
func TestReceiverEchoesIdentifiers(t *testing.T) {
	dip := newSigner(t, "dip")
	ts := serve(t, newReceiver(dip, nil))
	tx, sur, corr := strings.Repeat("T", 65), strings.Repeat("S", 200), strings.Repeat("C", 60)
	body := `[{"payload":{"CommonBlock":{"S1":{"senderUniqueReference":"` + sur + `","senderCorrelationID":"from-S1"},"D0":{"transactionID":"` + tx + `"}}}},` +
		`{"payload":{"CommonBlock":{"S1":{"senderCorrelationID":"from-S1"},"D0":{"initialCorrelationID":"` + corr + `"}}}}]`
	got, err := (&Poster{Signer: dip}).Post(t.Context(), ts.URL, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if got.Outcome != Delivered {
		t.Fatalf("got %+v, want Delivered", got)
	}
	item := func(tx, sur, corr *string) catalogue.StandardResponseBodyType {
		return catalogue.StandardResponseBodyType{SentTimestamp: testStamp, SenderID: selfID, Message: new(catalogue.MSG0000.Message()),
			TransactionID: tx, SenderUniqueReference: sur, CorrelationID: corr}
	}
	want := []catalogue.StandardResponseBodyType{item(&tx, &sur, new("from-S1")), item(nil, nil, &corr)}
	if diff := cmp.Diff(want, *decodeResponse(t, got.Body).MessageArray); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
}

func TestReceiverFaults(t *testing.T) {
	dip := newSigner(t, "dip")

	t.Run("method", func(t *testing.T) {
		ts := serve(t, newReceiver(dip, nil))
		resp, err := ts.Client().Get(ts.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
			t.Errorf("GET: status %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})

	t.Run("too large", func(t *testing.T) {
		rec := &recorder{}
		rc := newReceiver(dip, rec.handle)
		body := array(payload(1))
		rc.MaxBodyBytes = int64(len(body) - 1)
		ts := serve(t, rc)
		got, err := (&Poster{Signer: dip}).Post(t.Context(), ts.URL, body)
		if err != nil {
			t.Fatal(err)
		}
		if got.StatusCode != http.StatusRequestEntityTooLarge || got.Outcome != Failed {
			t.Errorf("got %d %v, want 413 Failed", got.StatusCode, got.Outcome)
		}
		if diff := cmp.Diff([]string{catalogue.MSG4005.Message()}, messagesOf(t, got.Body)); diff != "" {
			t.Errorf("messages (-want +got):\n%s", diff)
		}
		exact := newReceiver(dip, nil)
		exact.MaxBodyBytes = int64(len(body))
		ts = serve(t, exact)
		if got, _ := (&Poster{Signer: dip}).Post(t.Context(), ts.URL, body); got.Outcome != Delivered {
			t.Errorf("body of exactly MaxBodyBytes: got %+v", got)
		}
	})

	for _, codes := range [][]catalogue.Code{{}, {catalogue.MSG0000, catalogue.MSG0000}} {
		t.Run(fmt.Sprintf("%d codes for one message", len(codes)), func(t *testing.T) {
			rec := &recorder{answer: func([]catalogue.Message) []catalogue.Code { return codes }}
			ts := serve(t, newReceiver(dip, rec.handle))
			got, err := (&Poster{Signer: dip}).Post(t.Context(), ts.URL, array(payload(1)))
			if err != nil {
				t.Fatal(err)
			}
			if got.StatusCode != http.StatusInternalServerError || got.Outcome != Failed {
				t.Errorf("got %d %v, want 500 Failed", got.StatusCode, got.Outcome)
			}
			if diff := cmp.Diff([]string{catalogue.MSG5001.Message()}, messagesOf(t, got.Body)); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConcurrentPosts delivers many arrays at once through one Poster to one
// Receiver; run with -race.
func TestConcurrentPosts(t *testing.T) {
	dip := newSigner(t, "dip")
	rec := &recorder{answer: func(msgs []catalogue.Message) []catalogue.Code {
		codes := make([]catalogue.Code, len(msgs))
		if len(msgs) > 1 {
			codes[1] = catalogue.MSG1001
		}
		return codes
	}}
	ts := serve(t, newReceiver(dip, rec.handle))
	p := &Poster{Signer: dip, Timeout: 30 * time.Second}

	const n = 40
	var wg sync.WaitGroup
	results := make([]Result, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			var ps []string
			for j := range i%3 + 1 {
				ps = append(ps, payload(100*i+j))
			}
			results[i], errs[i] = p.Post(t.Context(), fmt.Sprintf("%s/hook/%d", ts.URL, i), array(ps...))
		})
	}
	wg.Wait()

	for i := range n {
		want := Result{StatusCode: 201, Outcome: Delivered}
		switch i % 3 {
		case 1:
			want = Result{StatusCode: 207, Outcome: PartiallyRejected, PerMessage: []bool{true, false}}
		case 2:
			want = Result{StatusCode: 207, Outcome: PartiallyRejected, PerMessage: []bool{true, false, true}}
		}
		if errs[i] != nil || results[i].StatusCode != want.StatusCode || results[i].Outcome != want.Outcome ||
			!cmp.Equal(results[i].PerMessage, want.PerMessage) {
			t.Errorf("post %d: got %+v, %v; want %+v", i, results[i], errs[i], want)
		}
	}
	seen := map[string]int{}
	for _, call := range rec.calls() {
		for _, p := range call {
			seen[p]++
		}
	}
	for i := range n {
		for j := range i%3 + 1 {
			if c := seen[payload(100*i+j)]; c != 1 {
				t.Errorf("message %d.%d handled %d times", i, j, c)
			}
		}
	}
}
