// Package httpapi serves the DIP API of Elexon's DIP v2.2.1 over a dip.Hub
// (paths, bodies, headers and status codes as in the contract's http
// section), publishes its OpenAPI document, and provides the client the CLI
// uses. Errors become HTTP answers in one place, writeError.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/semaphore"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/signature"
)

// Config configures the server.
type Config struct {
	Hub      *dip.Hub
	Verifier *signature.Verifier // signature checks; MaxSkew is the replay window
	// DIPID is the DIP's own participant id, the senderID of its answers
	// when no participant is known (default "0000000000").
	DIPID string
	// MaxBodyBytes bounds request bodies (default DefaultMaxBodyBytes, 32 MiB:
	// a 200-day IF-021 is under 1 MiB). Larger requests get 413 MSG4005,
	// unread when they declare their length.
	MaxBodyBytes int64
	// BodyMemory bounds the bytes of request bodies held at once, across
	// requests (default 8 × MaxBodyBytes; at least twice MaxBodyBytes). A
	// body that would pass it is not read: 503 MSG5001 with Retry-After.
	BodyMemory int64
	// BodyTimeout bounds the reading of a request's body, from the end of
	// its headers (default DefaultBodyTimeout, 60 s). A body not in by
	// then is answered 408 and its connection closed, so that a client
	// that declares a body and sends it slowly, or not at all, cannot hold
	// a connection (see body.go).
	BodyTimeout time.Duration
	// ReplayPage is the number of messages per replay page (default 100).
	ReplayPage int
	// SkipSignature turns off signature checks (API key only). For local
	// sandboxes; never the default.
	SkipSignature bool
	Logger        *slog.Logger
	Now           func() time.Time
	ServerURL     string // in the OpenAPI document
	// ISD serves the standing data versions publicly under /isd/versions
	// (see isd.go); nil: those routes answer 404.
	ISD isd.Store
	// Metrics serves the DIP's metrics at GET /metrics (nil: 404).
	Metrics http.Handler
	// Registrations serves the Registration Service's as-at answers at
	// GET /regs/registrations/{mpan} to the MPAN's parties (regs.go); nil:
	// 404.
	Registrations Registrations
	// CertificatePEM is the DIP's signing certificate, served publicly at
	// GET /dip-certificate so that a participant can pin the certificate
	// its webhook receiver trusts; nil: 404.
	CertificatePEM []byte
}

// Server is the DIP API as an http.Handler.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	openapi []byte
	bodies  *semaphore.Weighted // bytes of request bodies held: Config.BodyMemory
}

// New returns the server.
func New(cfg Config) (*Server, error) {
	if cfg.DIPID == "" {
		cfg.DIPID = "0000000000"
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.BodyMemory == 0 {
		cfg.BodyMemory = 8 * cfg.MaxBodyBytes
	}
	if cfg.BodyMemory < 2*cfg.MaxBodyBytes {
		// A body of undeclared length near the limit holds up to 1.5
		// times the limit while its buffer grows (readUnknown).
		return nil, fmt.Errorf("httpapi: body memory %d is under twice the body limit %d: the largest bodies could never be read", cfg.BodyMemory, cfg.MaxBodyBytes)
	}
	if cfg.BodyTimeout == 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	if cfg.ReplayPage == 0 {
		cfg.ReplayPage = 100
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Verifier == nil {
		cfg.Verifier = &signature.Verifier{Now: cfg.Now}
	}
	doc, err := OpenAPI(cfg.Hub.Catalogue(), cfg.ServerURL)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), openapi: doc, bodies: semaphore.NewWeighted(cfg.BodyMemory)}
	s.routes()
	return s, nil
}

// ServeHTTP serves the API and logs each request: method, path, status,
// duration and the authenticated participant (at Info; health checks and
// metrics scrapes at Debug). A request that declares a body must deliver
// it within BodyTimeout, whatever route it takes: the routes that do not
// read a body still drain it before they answer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.ContentLength != 0 {
		http.NewResponseController(w).SetReadDeadline(start.Add(s.cfg.BodyTimeout))
	}
	lw := &loggedWriter{ResponseWriter: w, status: http.StatusOK}
	s.mux.ServeHTTP(lw, r)
	level := slog.LevelInfo
	switch r.URL.Path {
	case "/healthz", "/readyz", "/metrics":
		level = slog.LevelDebug
	}
	s.cfg.Logger.Log(r.Context(), level, "request", "method", r.Method, "path", clip(r.URL.Path, maxEchoed), "status", lw.status,
		"duration_ms", float64(time.Since(start).Microseconds())/1000, "dip_id", lw.sender, "bytes", lw.bytes)
}

// loggedWriter records what a request's log line reports.
type loggedWriter struct {
	http.ResponseWriter
	status int
	bytes  int
	sender string
}

func (w *loggedWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *loggedWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *loggedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) routes() {
	s.mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(s.openapi)
	})
	s.mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Metrics == nil {
			http.NotFound(w, r)
			return
		}
		s.cfg.Metrics.ServeHTTP(w, r)
	})
	s.mux.HandleFunc("GET /dip-certificate", func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.CertificatePEM == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Write(s.cfg.CertificatePEM)
	})
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("POST /dip-channel/{id}", s.auth(s.send))
	s.mux.Handle("POST /dip-channel/{id}/pubconfig/{recipient}", s.auth(s.putWebhook))
	s.mux.Handle("DELETE /dip-channel/{id}/pubconfig/{recipient}", s.auth(s.deleteWebhook))
	s.mux.Handle("POST /dip-channel/{id}/replay/{recipient}", s.auth(s.replay))
	s.mux.Handle("POST /dip-channel/{id}/requeue/{recipient}", s.auth(s.requeue))
	s.mux.Handle("GET /dip-channel/{id}/requeueStatus/{recipient}", s.auth(s.requeueStatus))
	s.mux.Handle("GET /dip-channel/{id}/deliveryStatus/{recipient}/{message}", s.auth(s.deliveryStatus))
	s.mux.Handle("POST /statusmessage", s.auth(s.statusMessage))
	s.mux.Handle("POST /statusmessage/config/{recipient}", s.auth(s.putWebhook))
	s.mux.Handle("DELETE /statusmessage/config/{recipient}", s.auth(s.deleteWebhook))
	s.mux.Handle("POST /statusmessage/replay/{recipient}", s.auth(s.replay))
	s.mux.Handle("POST /statusmessage/requeue/{recipient}", s.auth(s.requeue))
	s.mux.Handle("GET /statusmessage/requeueStatus/{recipient}", s.auth(s.requeueStatus))
	s.mux.Handle("POST /validate/{iface}/{event}", s.auth(s.validate))
	if s.cfg.Registrations != nil {
		s.mux.Handle("GET /regs/registrations/{mpan}", s.auth(s.registration))
	}
	if s.cfg.ISD != nil {
		s.isdRoutes()
	}
}

// readyz answers 200 when the hub takes and delivers messages, and 503
// with the reason otherwise; the body lists the hub's running workers.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	err := s.cfg.Hub.Ready(r.Context())
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready: %v\n", err)
	} else {
		fmt.Fprintln(w, "ready")
	}
	workers := s.cfg.Hub.Workers()
	names := make([]string, 0, len(workers))
	for n := range workers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "worker %s: %d running\n", n, workers[n])
	}
	for _, id := range s.cfg.Hub.LocalServices() {
		fmt.Fprintf(w, "service %s: in process\n", id)
	}
}

// apiError is an answer the API gives instead of a result.
type apiError struct {
	status int
	code   catalogue.Code
	detail string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.detail) }

// fail returns an apiError. Every string or error among a is clipped
// (clip), so that an answer quotes at most a short part of a value the
// request carried: an 8,000-character path or header comes back as 80
// characters and an ellipsis.
func fail(status int, code catalogue.Code, format string, a ...any) error {
	for i, v := range a {
		switch v := v.(type) {
		case string:
			a[i] = clip(v, maxEchoed)
		case error:
			a[i] = clip(v.Error(), maxEchoedError)
		}
	}
	return &apiError{status: status, code: code, detail: fmt.Sprintf(format, a...)}
}

// The longest part of a request value (a path segment, a header) an answer
// quotes, and of an error's text, in characters; the help of an answer is
// at most 500 characters in all.
const (
	maxEchoed      = 80
	maxEchoedError = 300
)

// clip returns s cut to max characters, the last an ellipsis.
func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// writeError is the one place errors become HTTP answers: a StandardResponse
// with one item carrying the MSG code. Anything that is not an apiError is an
// internal error (500 MSG5001) and is logged, not shown.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, sender string, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		s.cfg.Logger.Error("request failed", "method", r.Method, "path", clip(r.URL.Path, maxEchoed), "err", err)
		ae = &apiError{status: http.StatusInternalServerError, code: catalogue.MSG5001, detail: "the DIP could not process the request; nothing was accepted"}
	}
	if sender == "" {
		sender = s.cfg.DIPID
	}
	s.writeJSON(w, ae.status, s.response([]catalogue.StandardResponseBodyType{s.item(sender, dip.Item{Code: ae.code, Detail: ae.detail})}))
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) response(items []catalogue.StandardResponseBodyType) catalogue.StandardResponse {
	ts := market.FormatDateTime(s.cfg.Now().UTC())
	return catalogue.StandardResponse{MessageArray: &items, Timestamp: &ts}
}

func ptr(s string, max int) *string {
	if s == "" {
		return nil
	}
	s = clip(s, max)
	return &s
}

// item builds one StandardResponse item.
func (s *Server) item(sender string, it dip.Item) catalogue.StandardResponseBodyType {
	msg := it.Code.Message()
	help := it.Detail
	if len(it.Findings) > 1 {
		var parts []string
		for _, f := range it.Findings {
			parts = append(parts, string(f.Code)+" "+f.Path+": "+f.Detail)
		}
		help = strings.Join(parts, "; ")
	}
	return catalogue.StandardResponseBodyType{
		TransactionID:         ptr(it.TransactionID, 65),
		SenderUniqueReference: ptr(it.SenderUniqueReference, 200),
		CorrelationID:         ptr(it.CorrelationID, 60),
		SentTimestamp:         market.FormatDateTime(s.cfg.Now().UTC()),
		SenderID:              sender,
		Message:               &msg,
		Help:                  ptr(clipQuoted(help), 500),
	}
}

// quoted matches a Go-quoted string (%q) in a detail.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// clipQuoted clips every quoted value in a detail (the validator's findings
// quote the value they refuse) to maxEchoed characters.
func clipQuoted(s string) string {
	if !strings.Contains(s, `"`) {
		return s
	}
	return quoted.ReplaceAllStringFunc(s, func(q string) string {
		if utf8.RuneCountInString(q) <= maxEchoed+2 {
			return q
		}
		return clip(q[:len(q)-1], maxEchoed+1) + `"`
	})
}

type ctxKey struct{}

// caller returns the authenticated participant.
func caller(ctx context.Context) *dip.Participant {
	p, _ := ctx.Value(ctxKey{}).(*dip.Participant)
	return p
}

type handler func(w http.ResponseWriter, r *http.Request, body []byte) error

// auth authenticates the participant by X-API-Key and requires the
// X-DIP-Signature headers (unless signatures are skipped) and, on a POST, a
// JSON Content-Type, all before it reads a byte of the body; then it reads
// the body (readBody: bounded in size, time and memory), verifies the
// signature over the exact body and full URL, and requires the signing
// certificate to be the participant's registered one. A request refused
// before its body is read is answered at once and its connection closed
// (refuse).
func (s *Server) auth(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.cfg.Hub.Authenticate(r.Context(), r.Header.Get("X-API-Key"))
		if !ok {
			s.refuse(w, r, "", fail(http.StatusUnauthorized, catalogue.MSG4001, "missing or unknown X-API-Key"))
			return
		}
		var hs signature.Headers
		if !s.cfg.SkipSignature {
			var err error
			if hs, err = signature.HeadersFrom(r.Header); err != nil {
				s.refuse(w, r, p.DIPID, fail(http.StatusUnauthorized, catalogue.MSG4002, "%v", err))
				return
			}
		}
		if r.Method == http.MethodPost {
			if err := jsonContent(r.Header.Get("Content-Type")); err != nil {
				s.refuse(w, r, p.DIPID, err)
				return
			}
		}
		body, release, err := s.readBody(w, r)
		if err != nil {
			s.refuse(w, r, p.DIPID, err)
			return
		}
		defer release()
		if !s.cfg.SkipSignature {
			if err := s.verify(r, hs, body, p); err != nil {
				s.writeError(w, r, p.DIPID, err)
				return
			}
		}
		if lw, ok := w.(*loggedWriter); ok {
			lw.sender = p.DIPID
		}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, p))
		if err := h(w, r, body); err != nil {
			s.writeError(w, r, p.DIPID, err)
		}
	})
}

func (s *Server) verify(r *http.Request, hs signature.Headers, body []byte, p *dip.Participant) error {
	cert, err := s.cfg.Verifier.Verify(r.Method, signature.RequestURL(r), hs, body)
	if errors.Is(err, signature.BadDate) { // its error quotes the whole header
		return fail(http.StatusUnauthorized, catalogue.MSG4002, "X-DIP-Signature-Date %q is not of the form %s", hs.Date, signature.DateLayout)
	}
	if err != nil {
		if errors.Is(err, signature.StaleDate) {
			return fail(http.StatusUnauthorized, catalogue.MSG4003, "%v", err)
		}
		return fail(http.StatusUnauthorized, catalogue.MSG4002, "%v", err)
	}
	if !strings.EqualFold(signature.CertificateFingerprint(cert), p.CertFingerprint) {
		return fail(http.StatusUnauthorized, catalogue.MSG4002, "the signing certificate is not %s's registered certificate", p.DIPID)
	}
	return nil
}

// send is POST /dip-channel/{id}: 201 all accepted, 207 some, 400 none.
func (s *Server) send(w http.ResponseWriter, r *http.Request, body []byte) error {
	channel := r.PathValue("id")
	if _, ok := s.cfg.Hub.Catalogue().Interface(channel); !ok {
		return fail(http.StatusNotFound, catalogue.MSG1003, "no channel %q", channel)
	}
	p := caller(r.Context())
	items, err := s.cfg.Hub.Submit(r.Context(), p, channel, body)
	if err != nil {
		return err
	}
	s.writeItems(w, p.DIPID, items, true)
	return nil
}

// writeItems answers one StandardResponse item per message: 201 when every
// message was accepted, 400 when none was, and in between 207 where the
// endpoint has it (the Send API) or 201 (POST /statusmessage, which the
// contract gives only 201 and 400).
func (s *Server) writeItems(w http.ResponseWriter, sender string, items []dip.Item, multiStatus bool) {
	out := make([]catalogue.StandardResponseBodyType, len(items))
	accepted := 0
	for i, it := range items {
		out[i] = s.item(sender, it)
		if it.Accepted() {
			accepted++
		}
	}
	status := http.StatusCreated
	switch {
	case accepted == 0:
		status = http.StatusBadRequest
	case accepted < len(items) && multiStatus:
		status = http.StatusMultiStatus
	}
	s.writeJSON(w, status, s.response(out))
}

// channelOf is the channel of a request: {id}, or the status channel.
func channelOf(r *http.Request) string {
	if id := r.PathValue("id"); id != "" {
		return id
	}
	return dip.StatusChannel
}

// ownRecipient requires {recipient} to be the caller: a participant
// configures, replays and requeues only its own publications.
func ownRecipient(r *http.Request) (string, error) {
	rec := r.PathValue("recipient")
	if p := caller(r.Context()); p.DIPID != rec {
		return "", fail(http.StatusForbidden, catalogue.MSG4004, "participant %s may not act for recipient %s", p.DIPID, rec)
	}
	return rec, nil
}

func (s *Server) checkEnvelope(name string, body []byte) error {
	v, err := catalogue.NewValidator(s.cfg.Hub.Catalogue()).ValidateEnvelope(name, body)
	if err != nil {
		var se *catalogue.SyntaxError
		if errors.As(err, &se) {
			return fail(http.StatusBadRequest, catalogue.MSG1002, "%v", se)
		}
		return err
	}
	if !v.OK() {
		f := v.Findings[0]
		return fail(http.StatusBadRequest, f.Code, "%s: %s", f.Path, f.Detail)
	}
	return nil
}

func (s *Server) putWebhook(w http.ResponseWriter, r *http.Request, body []byte) error {
	rec, err := ownRecipient(r)
	if err != nil {
		return err
	}
	channel := channelOf(r)
	if channel != dip.StatusChannel {
		if _, ok := s.cfg.Hub.Catalogue().Interface(channel); !ok {
			return fail(http.StatusNotFound, catalogue.MSG1003, "no channel %q", channel)
		}
	}
	if err := s.checkEnvelope("WebhookConfig", body); err != nil {
		return err
	}
	var cfg struct {
		CallbackURL     string  `json:"callbackURL"`
		MaxMessageCount float64 `json:"maxMessageCount"`
		MaxPayloadSize  float64 `json:"maxPayloadSize"`
	}
	json.Unmarshal(body, &cfg)
	if cfg.CallbackURL == "" {
		return fail(http.StatusBadRequest, catalogue.MSG1001, "callbackURL is required to configure a webhook")
	}
	if err := s.cfg.Hub.SetWebhook(r.Context(), dip.Webhook{Channel: channel, Recipient: rec, CallbackURL: cfg.CallbackURL,
		MaxMessageCount: int(cfg.MaxMessageCount), MaxPayloadSize: int(cfg.MaxPayloadSize)}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, _ []byte) error {
	rec, err := ownRecipient(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Hub.RemoveWebhook(r.Context(), channelOf(r), rec); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// replayQuery reads a MessageRequest (or StatusMessageRequest) body.
func (s *Server) replayQuery(r *http.Request, body []byte, rec string) (dip.ReplayQuery, error) {
	channel := channelOf(r)
	q := dip.ReplayQuery{Channel: channel, Recipient: rec, Limit: s.cfg.ReplayPage}
	schema := "MessageRequest"
	if channel == dip.StatusChannel {
		schema = "StatusMessageRequest"
	}
	if err := s.checkEnvelope(schema, body); err != nil {
		return q, err
	}
	var req struct {
		From           *string  `json:"datetimeFrom"`
		To             *string  `json:"datetimeTo"`
		EventCode      *string  `json:"eventCode"`
		MPAN           *string  `json:"MPAN"`
		TransactionIDs []string `json:"transactionIDs"`
		TransactionID  *string  `json:"transactionID"`
	}
	json.Unmarshal(body, &req)
	for _, f := range []struct {
		s   *string
		dst *time.Time
	}{{req.From, &q.From}, {req.To, &q.To}} {
		if f.s != nil {
			t, err := market.ParseDateTime(*f.s)
			if err != nil {
				return q, fail(http.StatusBadRequest, catalogue.MSG2004, "%v", err)
			}
			*f.dst = t
		}
	}
	if req.EventCode != nil {
		q.EventCode = *req.EventCode
		if !strings.HasPrefix(q.EventCode, "[") {
			q.EventCode = "[" + q.EventCode + "]"
		}
	}
	if req.MPAN != nil {
		q.MPAN = *req.MPAN
	}
	q.TransactionIDs = req.TransactionIDs
	if req.TransactionID != nil {
		q.TransactionIDs = append(q.TransactionIDs, *req.TransactionID)
	}
	if tok := r.Header.Get("X-Continuation-Token"); tok != "" {
		n, err := strconv.ParseInt(tok, 36, 64)
		if err != nil || n < 0 {
			return q, fail(http.StatusBadRequest, catalogue.MSG1001, "bad X-Continuation-Token")
		}
		q.AfterSeq = n
	}
	return q, nil
}

// replay answers a page of a recipient's messages: 200 when complete, 206
// with X-Continuation-Token when more follow. Bodies carry
// D0.replayIndicator true.
func (s *Server) replay(w http.ResponseWriter, r *http.Request, body []byte) error {
	rec, err := ownRecipient(r)
	if err != nil {
		return err
	}
	q, err := s.replayQuery(r, body, rec)
	if err != nil {
		return err
	}
	ms, more, err := s.cfg.Hub.Replay(r.Context(), q)
	if err != nil {
		return err
	}
	bodies := make([][]byte, len(ms))
	for i := range ms {
		if bodies[i], err = s.cfg.Hub.ReplayBody(&ms[i], rec); err != nil {
			return err
		}
	}
	status := http.StatusOK
	if more {
		w.Header().Set("X-Continuation-Token", strconv.FormatInt(ms[len(ms)-1].Seq, 36))
		status = http.StatusPartialContent
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if q.Channel == dip.StatusChannel {
		w.Write(dip.StatusArray(bodies))
	} else {
		w.Write(dip.EgressArray(bodies))
	}
	return nil
}

// requeue starts an asynchronous requeue of the caller's messages on the
// channel (those the replay query selects) and answers its id. A recipient
// has one requeue at a time per channel, across every hub on the store:
// another gets 429 MSG4004.
func (s *Server) requeue(w http.ResponseWriter, r *http.Request, body []byte) error {
	rec, err := ownRecipient(r)
	if err != nil {
		return err
	}
	q, err := s.replayQuery(r, body, rec)
	if err != nil {
		return err
	}
	job, err := s.cfg.Hub.StartRequeue(r.Context(), q)
	if errors.Is(err, dip.ErrRequeueRunning) {
		w.Header().Set("Retry-After", "1")
		return fail(http.StatusTooManyRequests, catalogue.MSG4004, "requeue %s is still running for %s", job.ID, rec)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(job.ID)
	return nil
}

// requeueStatus answers the caller's requeues on the channel (one, with
// ?requeue-id=), as the store holds them; 204 when there are none.
func (s *Server) requeueStatus(w http.ResponseWriter, r *http.Request, _ []byte) error {
	rec, err := ownRecipient(r)
	if err != nil {
		return err
	}
	jobs, err := s.cfg.Hub.RequeueJobs(r.Context(), rec, channelOf(r), r.URL.Query().Get("requeue-id"))
	if err != nil {
		return err
	}
	if len(jobs) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	out := make([]catalogue.RequeueStatus, len(jobs))
	for i, j := range jobs {
		pct := 100.0
		if j.Total > 0 && j.Status == dip.RequeueProcessing {
			pct = float64(j.Processed) / float64(j.Total) * 100
		}
		id, st := j.ID, string(j.Status)
		total, processed := float64(j.Total), float64(j.Processed)
		out[i] = catalogue.RequeueStatus{RequeueId: &id, Status: &st, PercentComplete: &pct, TotalTransactions: &total, ProcessedTransactions: &processed}
	}
	s.writeJSON(w, http.StatusOK, out)
	return nil
}

// deliveryStatus returns the journal of one of the caller's messages by its
// senderUniqueReference.
func (s *Server) deliveryStatus(w http.ResponseWriter, r *http.Request, _ []byte) error {
	rec, err := ownRecipient(r)
	if err != nil {
		return err
	}
	jr, err := s.cfg.Hub.Journal(r.Context(), rec, r.PathValue("message"))
	if errors.Is(err, dip.ErrNotFound) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if err != nil {
		return err
	}
	if jr.Archived != nil {
		// Purged past retention: the DIPJournalRecord is the one the
		// store answered, read back from the archive's day file.
		w.Header().Set(JournalSourceHeader, "archive "+jr.Archived.Day.Format(time.DateOnly))
	}
	s.writeJSON(w, http.StatusOK, JournalRecord(jr))
	return nil
}

// JournalSourceHeader is the response header of a deliveryStatus answered
// from the archive of purged messages: "archive 2006-01-02", the UTC day
// of the message's acceptance, whose archive file holds it. A journal
// answered from the store has none.
const JournalSourceHeader = "MHHS-Journal-Source"

// JournalRecord renders a journal in the DIPJournalRecord shape.
func JournalRecord(jr dip.JournalRecord) catalogue.DIPJournalRecord {
	m := jr.Message
	out := catalogue.DIPJournalRecord{
		SentDateTime: journalTime(m.AcceptedAt), Interface: m.Channel, SenderUniqueReference: m.SenderUniqueReference,
		DIPTransactionID: m.TransactionID, MPANCore: m.MPAN,
	}
	if len(jr.Entries) > 0 && out.SentDateTime == "" {
		out.SentDateTime = journalTime(jr.Entries[0].At)
	}
	if m.CorrelationID != "" {
		out.DIPCorrelationID = &m.CorrelationID
	}
	for i, e := range jr.Entries {
		ev := m.EventCode
		je := catalogue.JournalEntry{
			TimeGenerated: journalTime(e.At), SenderDIPID: m.SenderDIPID, Interface: m.Channel, EventCode: ptr(ev, 50),
			SentDateTime: out.SentDateTime, Duration: e.Duration.Milliseconds(), MessageDelayInMilliSeconds: e.At.Sub(m.AcceptedAt).Milliseconds(),
			SenderUniqueReference: ptr(m.SenderUniqueReference, 200), DIPTransactionID: ptr(m.TransactionID, 65), MPANCore: ptr(m.MPAN, 13),
			DIPStage: e.Stage, Status: e.Status, StatusCode: int64(e.StatusCode), Rn: int64(i + 1),
		}
		if jr.Rejected {
			je.MessageDelayInMilliSeconds = 0
		}
		if e.Reason != "" {
			je.Reason = &e.Reason
		}
		if e.Recipient != "" {
			je.Recipient = &e.Recipient
		}
		if e.Stage == "Addressing" {
			je.Reason = ptr(e.Reason, 10000)
			var rm catalogue.JournalEntryRecipientMap
			for _, rc := range m.Recipients {
				entry := catalogue.RecipientMapEntry{Role: rc.Role, DipId: rc.DIPID}
				switch rc.Route {
				case dip.Primary:
					rm.Primary = append(rm.Primary, entry)
				case dip.Secondary:
					rm.Secondary = append(rm.Secondary, entry)
				case dip.Always:
					rm.Always = append(rm.Always, entry)
				}
			}
			je.RecipientMap = &rm
		}
		out.JournalEntries = append(out.JournalEntries, je)
	}
	return out
}

// journalTime is the journal's plain time form ("2026-07-01 09:58:08.692").
func journalTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05.000")
}

// statusMessage is POST /statusmessage: a recipient's asynchronous (L4)
// status messages about messages it received, forwarded to each original
// sender's status webhook.
func (s *Server) statusMessage(w http.ResponseWriter, r *http.Request, body []byte) error {
	if err := s.checkEnvelope("StandardResponseArray", body); err != nil {
		return err
	}
	p := caller(r.Context())
	items, err := s.cfg.Hub.SubmitStatus(r.Context(), p, body)
	if err != nil {
		return err
	}
	s.writeItems(w, p.DIPID, items, false)
	return nil
}

// validate is POST /validate/{IF}/{event}: 201 "Message OK" or 400 with the
// findings, one per line.
func (s *Server) validate(w http.ResponseWriter, r *http.Request, body []byte) error {
	v, ok := s.cfg.Hub.Catalogue().Variant(r.PathValue("iface"), r.PathValue("event"))
	if !ok {
		return fail(http.StatusNotFound, catalogue.MSG1003, "no variant %s %s", r.PathValue("iface"), r.PathValue("event"))
	}
	verdicts, err := catalogue.NewValidator(s.cfg.Hub.Catalogue()).ValidateArrayFor(v, body)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "%s: %v\n", catalogue.MSG1002.Message(), err)
		return nil
	}
	var lines []string
	for _, vd := range verdicts {
		for _, f := range vd.Findings {
			lines = append(lines, clipQuoted(f.String()))
		}
	}
	if len(lines) > 0 {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintln(w, strings.Join(lines, "\n"))
		return nil
	}
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintln(w, "Message OK")
	return nil
}
