package httpapi

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/signature"
	"github.com/mhhs/mhhs/internal/sqlite"
)

// testDIP is the DIP API over a running hub on SQLite, served on a port of
// 127.0.0.1, with a data service (SDS) that may send IF-021 and an MDS
// that receives it. read counts the body bytes the API reads.
type testDIP struct {
	url    string
	apiKey string
	signer *signature.Signer
	read   atomic.Int64
	seq    atomic.Int64 // sender references
	store  *sqlite.DB
}

const testSender = "1200000001"

func newTestDIP(t *testing.T, cfg Config) *testDIP {
	t.Helper()
	return newTestDIPHub(t, cfg, dip.Config{})
}

// newTestDIPHub is newTestDIP with the hub's configuration hc.
func newTestDIPHub(t *testing.T, cfg Config, hc dip.Config) *testDIP {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "mhhs.db"))
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, certPEM, err := signature.GenerateSelfSigned(testSender, 1024, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	key, cert, _ := signature.LoadKeyPair(keyPEM, certPEM)
	signer, _ := signature.NewSigner(key, cert)
	apiKey, hash := dip.NewAPIKey()
	c, _ := signature.ParseCertificatePEM(certPEM)
	for _, p := range []dip.Participant{
		{DIPID: testSender, Roles: []string{"SDS"}, APIKeyHash: hash, CertFingerprint: signature.CertificateFingerprint(c)},
		{DIPID: "1800000001", Roles: []string{"MDS"}},
	} {
		if err := store.PutParticipant(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	hub := dip.NewHub(store, hc)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { hub.Run(runCtx); close(done) }()
	cfg.Hub = hub
	api, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := &testDIP{apiKey: apiKey, signer: signer, store: store}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		counted := r.WithContext(r.Context())
		counted.Body = countingBody{r.Body, &d.read}
		api.ServeHTTP(w, counted)
	}))
	t.Cleanup(func() { ts.Close(); cancel(); <-done; store.Close() })
	if err := hub.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	d.url = ts.URL
	return d
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// message returns a valid IF-021 message array with a new reference.
func (d *testDIP) message(t *testing.T) []byte {
	t.Helper()
	cat := catalogue.Default()
	v, _ := cat.Variant("IF-021", "[ActivePower]")
	p, err := cat.Decode(cat.Example(v, catalogue.ExampleOptions{SenderDIPID: testSender, SenderRole: "SDS"}))
	if err != nil {
		t.Fatal(err)
	}
	m := p.(*catalogue.IF021ActivePower)
	m.CommonBlock.S1.SenderUniqueReference = fmt.Sprintf("S-IF-021-%s-SDS-20250401-%d", testSender, d.seq.Add(1))
	b, err := catalogue.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(`[{"payload":` + string(b) + `}]`)
}

// signed returns a POST of body to path with the sender's API key and
// signature and a JSON Content-Type.
func (d *testDIP) signed(t *testing.T, path string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, d.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", d.apiKey)
	if err := d.signer.SignRequest(req, body); err != nil {
		t.Fatal(err)
	}
	return req
}

// answer is a response with its body read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

// code returns the MSG code and help of a StandardResponse of one item.
func (a answer) code(t *testing.T) (catalogue.Code, string) {
	t.Helper()
	var sr catalogue.StandardResponse
	if err := json.Unmarshal(a.body, &sr); err != nil || sr.MessageArray == nil || len(*sr.MessageArray) != 1 {
		t.Fatalf("HTTP %d is not a StandardResponse of one item: %s", a.status, a.body)
	}
	it := (*sr.MessageArray)[0]
	return codeOf(it.Message), deref(it.Help)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// zeros is an endless body of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// Sixteen concurrent 50 MB bodies without a valid API key (or with one and
// no signature) are refused with 401 before a byte of them is read: the
// API reads nothing and the process allocates a fraction of one body.
func TestStrangersBodiesAreNotRead(t *testing.T) {
	d := newTestDIP(t, Config{})
	const clients, size = 16, 50 << 20
	for _, tc := range []struct {
		name   string
		apiKey string
		want   catalogue.Code
	}{
		{"unknown API key", "not-a-key", catalogue.MSG4001},
		{"no API key", "", catalogue.MSG4001},
		{"a participant's key without signature headers", d.apiKey, catalogue.MSG4002},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d.read.Store(0)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			var wg sync.WaitGroup
			statuses := make(chan string, clients)
			for range clients {
				wg.Go(func() {
					req, _ := http.NewRequest(http.MethodPost, d.url+"/dip-channel/IF-021", io.LimitReader(zeros{}, size))
					req.ContentLength = size
					req.Header.Set("Content-Type", "application/json")
					if tc.apiKey != "" {
						req.Header.Set("X-API-Key", tc.apiKey)
					}
					resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
					if err != nil {
						statuses <- "error: " + err.Error()
						return
					}
					defer resp.Body.Close()
					b, _ := io.ReadAll(resp.Body)
					code, _ := answer{resp.StatusCode, resp.Header, b}.code(t)
					statuses <- fmt.Sprintf("%d %s", resp.StatusCode, code)
				})
			}
			wg.Wait()
			close(statuses)
			runtime.ReadMemStats(&after)
			for s := range statuses {
				if s != "401 "+string(tc.want) {
					t.Errorf("answer %q, want 401 %s", s, tc.want)
				}
			}
			if n := d.read.Load(); n != 0 {
				t.Errorf("the API read %d bytes of the strangers' bodies, want none", n)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
				t.Errorf("the process allocated %d MiB while refusing %d bodies of %d MiB, want under 16 MiB", alloc>>20, clients, size>>20)
			}
		})
	}
}

// rawConn is an HTTP/1.1 connection written by hand, for requests a client
// library would not send: a body slower than its declared length, or the
// wait for 100 Continue.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, url string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{c, bufio.NewReader(c)}
}

// head writes a request's line and headers.
func (c *rawConn) head(t *testing.T, method, path string, h http.Header) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, c.RemoteAddr())
	h.Write(&b)
	b.WriteString("\r\n")
	if _, err := io.WriteString(c, b.String()); err != nil {
		t.Fatal(err)
	}
}

// response reads one response, waiting at most wait.
func (c *rawConn) response(t *testing.T, wait time.Duration) *http.Response {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(wait))
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		t.Fatalf("no response within %v: %v", wait, err)
	}
	return resp
}

// closedWithin reports whether the server closes the connection within
// wait (reading and discarding anything it still sends): an end of file or
// a reset, not a timeout.
func (c *rawConn) closedWithin(wait time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(wait))
	_, err := io.Copy(io.Discard, c.r)
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

// signedHeaders returns the headers of a signed POST of body to path.
func (d *testDIP) signedHeaders(t *testing.T, path string, body []byte) http.Header {
	t.Helper()
	hs, err := d.signer.Sign(http.MethodPost, d.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	hs.Set(h)
	h.Set("X-API-Key", d.apiKey)
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", fmt.Sprint(len(body)))
	return h
}

// A body declared as 1,000 bytes of which 10 arrive does not hold its
// connection: whoever sends it, on whatever route, the connection is closed
// once the body timeout has passed (a participant is told 408 first; a
// stranger 401 at once).
func TestSlowBodiesAreCutOff(t *testing.T) {
	const timeout = 300 * time.Millisecond
	d := newTestDIP(t, Config{BodyTimeout: timeout})
	body := d.message(t)
	for _, tc := range []struct {
		name, method, path string
		header             http.Header
		status             int
	}{
		{"a participant's signed send", "POST", "/dip-channel/IF-021", d.signedHeaders(t, "/dip-channel/IF-021", body), http.StatusRequestTimeout},
		{"a stranger's send", "POST", "/dip-channel/IF-021", http.Header{"Content-Type": {"application/json"}}, http.StatusUnauthorized},
		{"a public route", "GET", "/healthz", http.Header{}, http.StatusOK},
		{"no route", "POST", "/nowhere", http.Header{}, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, d.url)
			tc.header.Set("Content-Length", "1000")
			start := time.Now()
			c.head(t, tc.method, tc.path, tc.header)
			io.WriteString(c, string(body[:10]))
			resp := c.response(t, 10*timeout)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			// The server waits up to 500 ms after its answer before it
			// closes a connection with unread data (net/http's
			// rstAvoidanceDelay).
			if !c.closedWithin(10 * timeout) {
				t.Fatalf("the connection is still open %v after its headers", time.Since(start))
			}
			if took := time.Since(start); took > timeout+2*time.Second {
				t.Errorf("the connection was closed %v after its headers, want about %v", took, timeout)
			}
		})
	}
}

// A stranger's slow body is not waited for, however long the body
// timeout: the 401 comes within a second (refuseGrace) and the connection
// is closed after it.
func TestStrangersSlowBodiesAreNotWaitedFor(t *testing.T) {
	d := newTestDIP(t, Config{BodyTimeout: time.Minute})
	c := dial(t, d.url)
	start := time.Now()
	c.head(t, "POST", "/dip-channel/IF-021", http.Header{"Content-Type": {"application/json"}, "Content-Length": {"1000"}})
	io.WriteString(c, "[{")
	if resp := c.response(t, 5*time.Second); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", resp.StatusCode)
	}
	// net/http waits 500 ms (rstAvoidanceDelay) before it closes.
	if !c.closedWithin(5 * time.Second) {
		t.Fatalf("the connection is still open %v after its headers", time.Since(start))
	}
}

// Bodies in flight share a budget: while two participants' requests hold
// it (their bodies being read), another request is refused unread with 503
// and Retry-After, and once they are done the budget is whole again.
func TestBodyMemoryIsBounded(t *testing.T) {
	const limit = 64 << 10
	d := newTestDIP(t, Config{MaxBodyBytes: limit, BodyMemory: 2 * limit})
	type held struct {
		c    *rawConn
		body []byte
	}
	var holders []held
	for range 2 {
		body := d.message(t)
		body = append(body, bytes.Repeat([]byte(" "), limit-len(body))...) // JSON may end in spaces
		h := d.signedHeaders(t, "/dip-channel/IF-021", body)
		h.Set("Expect", "100-continue")
		c := dial(t, d.url)
		c.head(t, "POST", "/dip-channel/IF-021", h)
		// net/http answers 100 Continue when the handler first reads the
		// body: its part of the budget is taken by then.
		if resp := c.response(t, 5*time.Second); resp.StatusCode != http.StatusContinue {
			t.Fatalf("status %d, want 100 Continue", resp.StatusCode)
		}
		holders = append(holders, held{c, body})
	}

	third := d.message(t)
	d.read.Store(0)
	busy := do(t, d.signed(t, "/dip-channel/IF-021", third))
	if code, help := busy.code(t); busy.status != http.StatusServiceUnavailable || code != catalogue.MSG5002 || busy.header.Get("Retry-After") != "1" {
		t.Errorf("a body past the budget: %d %s %q Retry-After %q, want 503 MSG5002 Retry-After 1", busy.status, code, help, busy.header.Get("Retry-After"))
	}
	if n := d.read.Load(); n != 0 {
		t.Errorf("the API read %d bytes of the refused body", n)
	}

	for _, h := range holders {
		if _, err := h.c.Write(h.body); err != nil {
			t.Fatal(err)
		}
		if resp := h.c.response(t, 5*time.Second); resp.StatusCode != http.StatusCreated {
			t.Fatalf("a holder, once its body is in: %d, want 201", resp.StatusCode)
		}
	}
	if a := do(t, d.signed(t, "/dip-channel/IF-021", third)); a.status != http.StatusCreated {
		t.Errorf("the third request once the others are done: %d %s, want 201", a.status, a.body)
	}
}

// A body of undeclared length (chunked) is read within the same limits: a
// message is accepted, a body past MaxBodyBytes is refused 413, and one
// past the budget 503.
func TestChunkedBodies(t *testing.T) {
	const limit = 256 << 10
	d := newTestDIP(t, Config{MaxBodyBytes: limit, BodyMemory: 2 * limit})
	chunked := func(body []byte) *http.Request {
		req := d.signed(t, "/dip-channel/IF-021", body)
		req.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body))) // no length: sent chunked
		req.ContentLength = -1
		return req
	}
	if a := do(t, chunked(d.message(t))); a.status != http.StatusCreated {
		t.Errorf("a chunked message: %d %s, want 201", a.status, a.body)
	}
	big := d.message(t)
	big = append(big, bytes.Repeat([]byte(" "), limit+1-len(big))...)
	if a := do(t, chunked(big)); a.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a chunked body of %d bytes: %d %s, want 413", len(big), a.status, a.body)
	} else if code, _ := a.code(t); code != catalogue.MSG4005 {
		t.Errorf("a chunked body past the limit: %s, want MSG4005", code)
	}
	atLimit := d.message(t)
	atLimit = append(atLimit, bytes.Repeat([]byte(" "), limit-len(atLimit))...)
	if a := do(t, chunked(atLimit)); a.status != http.StatusCreated {
		t.Errorf("a chunked body of exactly the limit: %d %s, want 201", a.status, a.body)
	}
}

// A body declared larger than the limit is refused unread with 413.
func TestDeclaredTooLargeIsNotRead(t *testing.T) {
	d := newTestDIP(t, Config{MaxBodyBytes: 1 << 20})
	req := d.signed(t, "/dip-channel/IF-021", nil)
	req.Body = io.NopCloser(io.LimitReader(zeros{}, 50<<20))
	req.ContentLength = 50 << 20
	a := do(t, req)
	if code, _ := a.code(t); a.status != http.StatusRequestEntityTooLarge || code != catalogue.MSG4005 {
		t.Errorf("a 50 MiB body: %d %s, want 413 MSG4005", a.status, code)
	}
	if n := d.read.Load(); n != 0 {
		t.Errorf("the API read %d bytes of it", n)
	}
}

// Every endpoint that takes a JSON body refuses another media type, or
// none, with 415 MSG1004 and stores nothing; application/json with or
// without charset=utf-8 is taken.
func TestContentTypeMustBeJSON(t *testing.T) {
	d := newTestDIP(t, Config{})
	body := d.message(t)
	for _, ct := range []string{"", "text/plain", "application/xml", "application/x-www-form-urlencoded", "application/json; charset=iso-8859-1", "application/jsonx", "json"} {
		req := d.signed(t, "/dip-channel/IF-021", body)
		if ct == "" {
			req.Header.Del("Content-Type")
		} else {
			req.Header.Set("Content-Type", ct)
		}
		a := do(t, req)
		code, help := a.code(t)
		if a.status != http.StatusUnsupportedMediaType || code != catalogue.MSG1004 {
			t.Errorf("Content-Type %q: %d %s %q, want 415 MSG1004", ct, a.status, code, help)
		}
		if ct == "" && !strings.HasPrefix(help, "no Content-Type") {
			t.Errorf("no Content-Type: help %q, want it to say so", help)
		}
	}
	// Nothing was stored: the reference is still free.
	if a := do(t, d.signed(t, "/dip-channel/IF-021", body)); a.status != http.StatusCreated {
		t.Errorf("application/json after the refusals: %d %s, want 201", a.status, a.body)
	}
	req := d.signed(t, "/dip-channel/IF-021", d.message(t))
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	if a := do(t, req); a.status != http.StatusCreated {
		t.Errorf("application/json; charset=UTF-8: %d %s, want 201", a.status, a.body)
	}
	// The other endpoints that take a body.
	for _, path := range []string{"/dip-channel/IF-021/pubconfig/" + testSender, "/dip-channel/IF-021/replay/" + testSender,
		"/dip-channel/IF-021/requeue/" + testSender, "/statusmessage", "/statusmessage/config/" + testSender,
		"/statusmessage/replay/" + testSender, "/statusmessage/requeue/" + testSender, "/validate/IF-021/ActivePower"} {
		req := d.signed(t, path, []byte(`{}`))
		req.Header.Set("Content-Type", "text/plain")
		if a := do(t, req); a.status != http.StatusUnsupportedMediaType {
			t.Errorf("POST %s as text/plain: %d %s, want 415", path, a.status, a.body)
		}
	}
}

// An answer quotes at most a short part of what the request carried: an
// 8,000-character path segment or header is not echoed back.
func TestErrorAnswersAreShort(t *testing.T) {
	d := newTestDIP(t, Config{})
	long := strings.Repeat("A", 8000)
	get := func(path string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, d.url+path, nil)
		req.Header.Set("X-API-Key", d.apiKey)
		if err := d.signer.SignRequest(req, nil); err != nil {
			t.Fatal(err)
		}
		return req
	}
	withHeader := func(req *http.Request, k, v string) *http.Request { req.Header.Set(k, v); return req }
	for _, tc := range []struct {
		name string
		req  *http.Request
		run  int // the longest part of long an answer may quote
	}{
		{"channel", d.signed(t, "/dip-channel/"+long, d.message(t)), 0},
		{"recipient", d.signed(t, "/dip-channel/IF-021/replay/"+long, []byte(`{}`)), 0},
		{"message id", get("/dip-channel/IF-021/deliveryStatus/" + long + "/x"), 0},
		{"validate variant", d.signed(t, "/validate/IF-021/"+long, d.message(t)), 0},
		{"Content-Type", withHeader(d.signed(t, "/dip-channel/IF-021", d.message(t)), "Content-Type", "text/"+long), 0},
		{"API key", withHeader(d.signed(t, "/dip-channel/IF-021", d.message(t)), "X-API-Key", long), 0},
		{"signature date", withHeader(d.signed(t, "/dip-channel/IF-021", d.message(t)), "X-DIP-Signature-Date", long), 0},
		{"signature certificate", withHeader(d.signed(t, "/dip-channel/IF-021", d.message(t)), "X-DIP-Signature-Certificate", long), 0},
		{"validate finding", d.signed(t, "/validate/IF-021/ActivePower", bytes.Replace(d.message(t), []byte(`"senderUniqueReference":"`), []byte(`"senderUniqueReference":"`+long), 1)), 0},
		// The item of a message quotes its reference, clipped to the 200
		// characters the contract allows one (DT-995).
		{"message", d.signed(t, "/dip-channel/IF-021", bytes.Replace(d.message(t), []byte(`"senderUniqueReference":"`), []byte(`"senderUniqueReference":"`+long), 1)), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := do(t, tc.req)
			if a.status < 400 {
				t.Fatalf("status %d, want a refusal", a.status)
			}
			run := cmp.Or(tc.run, maxEchoed)
			if len(a.body) > 1024+run || bytes.Contains(a.body, []byte(strings.Repeat("A", run+1))) {
				t.Errorf("%d answer of %d bytes echoes the request: %s", a.status, len(a.body), a.body)
			}
		})
	}
}
