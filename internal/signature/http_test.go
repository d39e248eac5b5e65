package signature

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// verifyingHandler verifies every request it receives and answers 201 with
// the verified URL, or 401 with the rejection reason.
func verifyingHandler(t *testing.T, v *Verifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// Reconstruct the URL by hand, independently of RequestURL.
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		fullURL := scheme + "://" + r.Host + r.URL.RequestURI()
		if got := RequestURL(r); got != fullURL {
			t.Errorf("RequestURL = %q, want %q", got, fullURL)
		}
		h, err := HeadersFrom(r.Header)
		if err == nil {
			_, err = v.Verify(r.Method, fullURL, h, body)
		}
		// VerifyRequest must agree with the explicit path.
		if _, err2 := v.VerifyRequest(r, body); reasonOf(t, err2) != reasonOf(t, err) {
			t.Errorf("VerifyRequest = %v, Verify = %v", err2, err)
		}
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, string(reasonOf(t, err)))
			return
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, fullURL)
	})
}

func TestRoundTripHTTP(t *testing.T) {
	fx := newFixture(t, "http")
	v := &Verifier{Now: fixedClock(testNow)}
	for _, srv := range []struct {
		name string
		new  func(http.Handler) *httptest.Server
	}{
		{"http", httptest.NewServer},
		{"https", httptest.NewTLSServer},
	} {
		t.Run(srv.name, func(t *testing.T) {
			ts := srv.new(verifyingHandler(t, v))
			defer ts.Close()
			if !strings.HasPrefix(ts.URL, srv.name+"://") {
				t.Fatalf("server URL %s", ts.URL)
			}
			for _, tt := range []struct {
				method, path string
				body         []byte
			}{
				{"POST", "/Send/IF-021", []byte(`{"messageArray":[{"x":1}]}`)},
				{"POST", "/Webhook/IF-033?SenderID=ABCDE12345&Page=2", []byte("B")},
				{"GET", "/Replay/Messages?ContinuationToken=AbC%2FdEf", nil},
				{"PUT", "/", []byte{}},
			} {
				req, err := http.NewRequest(tt.method, ts.URL+tt.path, bytes.NewReader(tt.body))
				if err != nil {
					t.Fatal(err)
				}
				if err := fx.signer.SignRequest(req, tt.body); err != nil {
					t.Fatal(err)
				}
				status, got := do(t, ts.Client(), req)
				if status != http.StatusCreated {
					t.Errorf("%s %s: status %d %s", tt.method, tt.path, status, got)
					continue
				}
				// The server saw the mixed-case URL; verification passed
				// because both sides lower-case it.
				if want := ts.URL + tt.path; got != want {
					t.Errorf("server verified URL %q, want %q", got, want)
				}
			}
		})
	}
}

func TestRoundTripHTTPRejects(t *testing.T) {
	fx := newFixture(t, "http")
	ts := httptest.NewTLSServer(verifyingHandler(t, &Verifier{Now: fixedClock(testNow)}))
	defer ts.Close()

	for _, tt := range []struct {
		name string
		send func(r *http.Request) // tampers with a signed request
		want Reason
	}{
		{"body", func(r *http.Request) { r.Body = io.NopCloser(strings.NewReader("tampereD")); r.ContentLength = 8 }, ContentHash},
		{"path", func(r *http.Request) { r.URL.Path = "/send/IF-022" }, BadSignature},
		{"query", func(r *http.Request) { r.URL.RawQuery = "a=2" }, BadSignature},
		{"method", func(r *http.Request) { r.Method = "PUT" }, BadSignature},
		// A replay under a fresh date: the date is signed, not only checked.
		{"date", func(r *http.Request) { r.Header.Set(HeaderDate, testNow.Add(time.Second).UTC().Format(DateLayout)) }, BadSignature},
		{"no signature", func(r *http.Request) { r.Header.Del(HeaderSignature) }, MissingHeader},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte("tampered")
			req, err := http.NewRequest("POST", ts.URL+"/send/IF-021?a=1", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if err := fx.signer.SignRequest(req, body); err != nil {
				t.Fatal(err)
			}
			tt.send(req)
			status, got := do(t, ts.Client(), req)
			if status != http.StatusUnauthorized || got != string(tt.want) {
				t.Errorf("status %d %q, want 401 %q", status, got, tt.want)
			}
		})
	}
}

func do(t *testing.T, c *http.Client, req *http.Request) (int, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
