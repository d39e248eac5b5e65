package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/signature"
)

// answering returns a webhook that checks the request is a signed JSON POST
// of want and answers status with body.
func answering(t *testing.T, dip *signature.Signer, want []byte, status int, body string) http.Handler {
	v := &signature.Verifier{Now: fixedClock(testNow)}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading request: %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("request body = %q, want %q", got, want)
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
		}
		cert, err := v.VerifyRequest(r, got)
		if err != nil {
			t.Errorf("signature: %v", err)
		} else if fingerprint(dip) != signature.CertificateFingerprint(cert) {
			t.Errorf("signed by another certificate")
		}
		if body != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	})
}

func standardResponse(codes ...catalogue.Code) string {
	items := make([]string, len(codes))
	for i, c := range codes {
		items[i] = `{"transactionID":null,"senderUniqueReference":null,"correlationID":null,` +
			`"sentTimestamp":"2025-06-27T14:29:09+00:00","senderID":"2300000001","recipientID":null,` +
			`"DIPConnectionProviderID":null,"message":"` + c.Message() + `","help":null,"serviceTicketURL":null}`
	}
	return `{"messageArray":[` + strings.Join(items, ",") + `],"timestamp":"2025-06-27T14:29:09+00:00"}`
}

func TestPostOutcomes(t *testing.T) {
	dip := newSigner(t, "dip")
	three := array(payload(1), payload(2), payload(3))
	for _, tt := range []struct {
		name       string
		status     int
		body       string
		outcome    Outcome
		perMessage []bool
	}{
		{"201", 201, standardResponse(catalogue.MSG0000, catalogue.MSG0000, catalogue.MSG0000), Delivered, nil},
		{"200", 200, "", Delivered, nil},
		{"202", 202, "", Delivered, nil},
		{"204", 204, "", Delivered, nil},
		{"207 mixed", 207, standardResponse(catalogue.MSG0000, catalogue.MSG1001, catalogue.MSG0000), PartiallyRejected, []bool{true, false, true}},
		{"207 null message", 207, strings.Replace(standardResponse(catalogue.MSG1001, catalogue.MSG0000, catalogue.MSG0000), `"MSG1001 - Schema Failure"`, "null", 1), PartiallyRejected, []bool{false, true, true}},
		{"207 unparsable body", 207, "partly", PartiallyRejected, nil},
		{"207 empty body", 207, "", PartiallyRejected, nil},
		{"207 one item short", 207, standardResponse(catalogue.MSG0000, catalogue.MSG1001), PartiallyRejected, nil},
		{"207 one item too many", 207, standardResponse(catalogue.MSG0000, catalogue.MSG1001, catalogue.MSG0000, catalogue.MSG0000), PartiallyRejected, nil},
		{"400", 400, standardResponse(catalogue.MSG1001, catalogue.MSG1001, catalogue.MSG1001), Rejected, nil},
		{"422", 422, "", Rejected, nil},
		{"401", 401, "", Failed, nil},
		{"403", 403, "", Failed, nil},
		{"404", 404, "not found", Failed, nil},
		{"405", 405, "", Failed, nil},
		{"408", 408, "", Failed, nil},
		{"413", 413, "", Failed, nil},
		{"429", 429, "slow down", Failed, nil},
		{"500", 500, "boom", Failed, nil},
		{"502", 502, "", Failed, nil},
		{"503", 503, "", Failed, nil},
		{"203", 203, "", Failed, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := serve(t, answering(t, dip, three, tt.status, tt.body))
			p := &Poster{Signer: dip}
			got, err := p.Post(t.Context(), ts.URL+"/webhook/IF-033", three)
			if err != nil {
				t.Fatal(err)
			}
			want := Result{StatusCode: tt.status, Outcome: tt.outcome, PerMessage: tt.perMessage, Body: []byte(tt.body)}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Result{}, "Duration"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Post result (-want +got):\n%s", diff)
			}
			if got.Duration <= 0 {
				t.Errorf("Duration = %v", got.Duration)
			}
		})
	}
}

func TestPostDoesNotFollowRedirects(t *testing.T) {
	dip := newSigner(t, "dip")
	body := array(payload(1))
	elsewhere := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("redirect followed to %s", r.URL)
	}))
	for _, status := range []int{301, 302, 307, 308} {
		ts := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL+"/hook", status)
		}))
		p := &Poster{Client: &http.Client{}, Signer: dip}
		got, err := p.Post(t.Context(), ts.URL, body)
		if err != nil {
			t.Fatal(err)
		}
		if got.StatusCode != status || got.Outcome != Failed {
			t.Errorf("redirect %d: StatusCode %d, Outcome %v; want %d, Failed", status, got.StatusCode, got.Outcome, status)
		}
	}
}

func TestPostTimeout(t *testing.T) {
	dip := newSigner(t, "dip")
	release := make(chan struct{})
	ts := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release) }) // before ts.Close, which waits for the handler

	const timeout = 50 * time.Millisecond
	p := &Poster{Signer: dip, Timeout: timeout}
	got, err := p.Post(t.Context(), ts.URL, array(payload(1)))
	if err != nil {
		t.Fatal(err)
	}
	if got.Outcome != Failed || got.StatusCode != 0 || !strings.Contains(got.Err, "deadline exceeded") {
		t.Errorf("got %+v, want Failed with no status and a deadline error", got)
	}
	if got.Duration < timeout {
		t.Errorf("Duration = %v, want at least %v", got.Duration, timeout)
	}
}

func TestPostConnectionRefused(t *testing.T) {
	dip := newSigner(t, "dip")
	ts := serve(t, http.NotFoundHandler())
	ts.Close()
	p := &Poster{Signer: dip}
	got, err := p.Post(t.Context(), ts.URL+"/hook", array(payload(1)))
	if err != nil {
		t.Fatal(err)
	}
	if got.Outcome != Failed || got.StatusCode != 0 || got.Err == "" || got.Body != nil {
		t.Errorf("got %+v, want Failed with an error and no status", got)
	}
}

func TestPostCanceledContext(t *testing.T) {
	dip := newSigner(t, "dip")
	ts := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("request sent on a canceled context")
	}))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	got, err := (&Poster{Signer: dip}).Post(ctx, ts.URL, array(payload(1)))
	if err != nil {
		t.Fatal(err)
	}
	if got.Outcome != Failed || !strings.Contains(got.Err, context.Canceled.Error()) {
		t.Errorf("got %+v, want Failed with %v", got, context.Canceled)
	}
}

func TestPostReadsAtMostMaxResponseBytes(t *testing.T) {
	dip := newSigner(t, "dip")
	ts := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		w.Write(bytes.Repeat([]byte("x"), 2*MaxResponseBytes))
	}))
	got, err := (&Poster{Signer: dip}).Post(t.Context(), ts.URL, array(payload(1)))
	if err != nil {
		t.Fatal(err)
	}
	if got.Outcome != Delivered || len(got.Body) != MaxResponseBytes {
		t.Errorf("Outcome %v, %d body bytes; want Delivered, %d", got.Outcome, len(got.Body), MaxResponseBytes)
	}
}

func TestPostErrors(t *testing.T) {
	dip := newSigner(t, "dip")
	for _, u := range []string{"", "/relative/hook", "hook.example/x", "ftp://hook.example/x", "http://", "https:///path", "http://[::1", "mailto:dip@example.com", "http://a b/"} {
		got, err := (&Poster{Signer: dip}).Post(t.Context(), u, array(payload(1)))
		if !errors.Is(err, ErrBadURL) {
			t.Errorf("Post(%q) error = %v, want ErrBadURL", u, err)
		}
		if got.Outcome != Failed {
			t.Errorf("Post(%q) Outcome = %v, want the zero Failed", u, got.Outcome)
		}
	}
	if _, err := (&Poster{}).Post(t.Context(), "https://hook.example/x", array(payload(1))); !errors.Is(err, ErrNoSigner) {
		t.Errorf("Post without Signer error = %v, want ErrNoSigner", err)
	}
}

func TestOutcomeString(t *testing.T) {
	for o, want := range map[Outcome]string{
		Failed: "Failed", Delivered: "Delivered", PartiallyRejected: "PartiallyRejected",
		Rejected: "Rejected", Outcome(9): "Outcome(9)", Outcome(-1): "Outcome(-1)",
	} {
		if got := o.String(); got != want {
			t.Errorf("Outcome(%d).String() = %q, want %q", int(o), got, want)
		}
	}
}
