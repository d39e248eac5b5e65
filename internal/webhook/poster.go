package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/signature"
)

// DefaultTimeout is the time a [Poster] whose Timeout is zero allows one
// delivery: connecting, sending the body and reading the answer.
const DefaultTimeout = 10 * time.Second

// MaxResponseBytes is the most of a webhook's response body a [Poster]
// reads; the rest is discarded.
const MaxResponseBytes = 1 << 20

// Errors returned by [Poster.Post]. Both are programming or configuration
// errors, never a delivery failure.
var (
	ErrBadURL   = errors.New("webhook: invalid callback URL")
	ErrNoSigner = errors.New("webhook: Poster has no Signer")
)

// Outcome is how a delivery ended, as the DIP's delivery state machine needs
// it. The zero value is Failed, so that a zero [Result] never reads as
// delivered.
type Outcome int

// Outcomes; the package documentation maps HTTP answers to them.
const (
	Failed            Outcome = iota // no usable answer: retry
	Delivered                        // every message accepted
	PartiallyRejected                // 207: some accepted, see Result.PerMessage
	Rejected                         // the recipient refused the messages: do not retry
)

var outcomeNames = [...]string{
	Failed:            "Failed",
	Delivered:         "Delivered",
	PartiallyRejected: "PartiallyRejected",
	Rejected:          "Rejected",
}

func (o Outcome) String() string {
	if o >= 0 && int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Result is one delivery attempt.
type Result struct {
	// StatusCode is the recipient's HTTP status, 0 when no answer arrived.
	StatusCode int
	Outcome    Outcome
	// PerMessage says, for a 207 answer whose body is a StandardResponse
	// with exactly one item per message posted, which messages were
	// accepted (item message starting "MSG0000"), in the order posted.
	// It is nil otherwise.
	PerMessage []bool
	// Body is the start of the response body, at most MaxResponseBytes.
	Body []byte
	// Duration is the time from sending the request to reading the answer.
	Duration time.Duration
	// Err is the text of the network, timeout or read error, if any.
	Err string
}

// A Poster delivers message arrays to webhooks, signed by the DIP. It is
// safe for concurrent use as long as its fields are not changed.
type Poster struct {
	// Client sends the requests; nil means a client with
	// http.DefaultTransport. Its CheckRedirect is ignored: a Poster never
	// follows redirects.
	Client *http.Client
	// Signer signs each request with the DIP's certificate. Required.
	Signer *signature.Signer
	// Timeout bounds each delivery; zero or negative means DefaultTimeout.
	Timeout time.Duration
}

// Post delivers body, a DIPMessageEgressArray, to callbackURL: a POST with
// Content-Type application/json, signed over the exact body bytes and the
// full URL. It classifies the answer as described in the package
// documentation.
//
// Post returns an error only when it cannot build the request: a callback
// URL that is not an absolute http or https URL ([ErrBadURL]) or a Poster
// without a Signer ([ErrNoSigner]). Every failure to deliver, including
// ctx being done, is a Result with Outcome Failed and the error text in Err;
// a caller that is shutting down should check ctx.Err() before recording
// the attempt.
func (p *Poster) Post(ctx context.Context, callbackURL string, body []byte) (Result, error) {
	if p.Signer == nil {
		return Result{}, ErrNoSigner
	}
	if err := checkURL(callbackURL); err != nil {
		return Result{}, err
	}
	req, err := http.NewRequest(http.MethodPost, callbackURL, bytes.NewReader(body))
	if err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if err := p.Signer.SignRequest(req, body); err != nil {
		return Result{}, fmt.Errorf("webhook: sign: %w", err)
	}

	// The timeout covers the exchange, not the signing. start is read
	// before the deadline is set, so that Duration of a timed-out POST is
	// never shorter than the timeout.
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req = req.WithContext(ctx)

	resp, err := p.client().Do(req)
	if err != nil {
		return Result{Outcome: Failed, Duration: time.Since(start), Err: err.Error()}, nil
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
	res := Result{
		StatusCode: resp.StatusCode,
		Outcome:    classify(resp.StatusCode),
		Body:       data,
		Duration:   time.Since(start),
	}
	if err != nil {
		res.Err = "reading response: " + err.Error()
	}
	if res.Outcome == PartiallyRejected {
		res.PerMessage = perMessage(data, body)
	}
	return res, nil
}

// client returns a copy of p.Client that does not follow redirects.
func (p *Poster) client() *http.Client {
	var c http.Client
	if p.Client != nil {
		c = *p.Client
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// checkURL reports whether s is an absolute http or https URL with a host.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: %q: scheme must be http or https", ErrBadURL, s)
	}
	if u.Host == "" {
		return fmt.Errorf("%w: %q: no host", ErrBadURL, s)
	}
	return nil
}

// classify maps an HTTP status to an Outcome; see the package documentation.
func classify(status int) Outcome {
	switch status {
	case http.StatusCreated, http.StatusOK, http.StatusAccepted, http.StatusNoContent:
		return Delivered
	case http.StatusMultiStatus:
		return PartiallyRejected
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return Rejected
	default:
		// 401, 403, 404 (misconfiguration), 408, 429, 5xx (transient) and
		// anything unexpected: retry rather than drop messages.
		return Failed
	}
}

// perMessage reads a 207 body: one bool per message of the posted array
// sent, or nil when the body is not a StandardResponse with exactly one
// item per message.
func perMessage(resp, sent []byte) []bool {
	var sr catalogue.StandardResponse
	if err := json.Unmarshal(resp, &sr); err != nil || sr.MessageArray == nil {
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(sent, &items); err != nil || len(items) != len(*sr.MessageArray) {
		return nil
	}
	ok := make([]bool, len(items))
	for i, it := range *sr.MessageArray {
		ok[i] = it.Message != nil && strings.HasPrefix(*it.Message, string(catalogue.MSG0000))
	}
	return ok
}
