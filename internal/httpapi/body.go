package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
)

// Defaults of Config (docs/routing.md lists them with the flags of mhhs
// serve).
const (
	// DefaultMaxBodyBytes is the largest request body: 32 MiB, where a
	// 200-day IF-021 is under 1 MiB.
	DefaultMaxBodyBytes = 32 << 20
	// DefaultBodyTimeout is how long a request's body may take to arrive:
	// 32 MiB in 60 s is 4.5 Mbit/s, and a day's IF-021 of a few KiB needs
	// milliseconds.
	DefaultBodyTimeout = 60 * time.Second
)

// busyRetryAfter is the Retry-After of a 503 for a full body budget, in
// seconds: bodies in flight are read in well under a second on a healthy
// connection, and those that are not are cut off at BodyTimeout.
const busyRetryAfter = 1

// What the server does with a request body, in order (auth):
//
//  1. the API key, the signature headers' presence and the Content-Type
//     are checked before a byte of the body is read: a stranger's body is
//     never read, whatever its size;
//  2. a body declared larger than MaxBodyBytes is refused unread (413);
//  3. the bytes the body will take are taken from a budget shared by every
//     request (BodyMemory); when the budget cannot hold them the request is
//     refused unread (503, Retry-After), so that concurrent bodies never
//     hold more than BodyMemory, however many connections send them;
//  4. the body must arrive within BodyTimeout of the request's headers
//     (ServeHTTP sets the read deadline; net/http lifts it when the body
//     has been read to its end), else 408.
//
// A request refused before its body was read in full is answered within
// refuseGrace (refuse): the server does not wait longer for the rest.

// readBody reads the request's body within the limits above and returns it
// with the function that gives its bytes back to the budget, to be called
// when the request is done with the body. Its errors are apiErrors.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, func(), error) {
	n := r.ContentLength
	if n > s.cfg.MaxBodyBytes {
		return nil, nil, fail(http.StatusRequestEntityTooLarge, catalogue.MSG4005, "request body of %d bytes exceeds %d bytes", n, s.cfg.MaxBodyBytes)
	}
	if n < 0 { // chunked: the length is learnt as the body arrives
		return s.readUnknown(w, r)
	}
	if !s.bodies.TryAcquire(n) {
		return nil, nil, s.busy(w)
	}
	release := func() { s.bodies.Release(n) }
	body := make([]byte, n)
	if _, err := io.ReadFull(r.Body, body); err != nil {
		release()
		return nil, nil, s.readError(err)
	}
	return body, release, nil
}

// readUnknown reads a body of undeclared length, taking from the budget
// each buffer it grows into before it allocates it.
func (s *Server) readUnknown(w http.ResponseWriter, r *http.Request) ([]byte, func(), error) {
	var held int64
	release := func() { s.bodies.Release(held) }
	body := []byte{}
	for {
		if len(body) == cap(body) {
			if int64(len(body)) > s.cfg.MaxBodyBytes {
				release()
				return nil, nil, fail(http.StatusRequestEntityTooLarge, catalogue.MSG4005, "request body exceeds %d bytes", s.cfg.MaxBodyBytes)
			}
			// Double, from 64 KiB, up to one byte past the limit (which
			// tells a body at the limit from a longer one). While the
			// buffer is copied both are held: at most 1.5 times the limit.
			size := max(2*int64(cap(body)), 64<<10)
			if size >= s.cfg.MaxBodyBytes {
				size = s.cfg.MaxBodyBytes + 1
			}
			if !s.bodies.TryAcquire(size) {
				release()
				return nil, nil, s.busy(w)
			}
			grown := make([]byte, len(body), size)
			copy(grown, body)
			s.bodies.Release(held)
			body, held = grown, size
		}
		m, err := r.Body.Read(body[len(body):cap(body)])
		body = body[:len(body)+m]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			release()
			return nil, nil, s.readError(err)
		}
	}
	if int64(len(body)) > s.cfg.MaxBodyBytes {
		release()
		return nil, nil, fail(http.StatusRequestEntityTooLarge, catalogue.MSG4005, "request body exceeds %d bytes", s.cfg.MaxBodyBytes)
	}
	return body, release, nil
}

// busy is the answer when the body budget cannot hold a body: 503, to be
// tried again after Retry-After seconds.
func (s *Server) busy(w http.ResponseWriter) error {
	w.Header().Set("Retry-After", strconv.Itoa(busyRetryAfter))
	return fail(http.StatusServiceUnavailable, catalogue.MSG5002,
		"the DIP is reading %d MiB of other requests' bodies, its limit: retry after %d s; nothing was accepted", s.cfg.BodyMemory>>20, busyRetryAfter)
}

// readError is the answer to a body that could not be read: 408 when it
// did not arrive within BodyTimeout, else 400.
func (s *Server) readError(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fail(http.StatusRequestTimeout, catalogue.MSG4006, "the request body did not arrive within %v; nothing was accepted", s.cfg.BodyTimeout)
	}
	return fail(http.StatusBadRequest, catalogue.MSG1002, "reading the request body: %v", err)
}

// refuse answers a request refused before its body was read in full. It
// gives the rest of the body refuseGrace to arrive (or BodyTimeout, if
// shorter):
// net/http reads what is left of a body before it answers (up to 256 KiB,
// to reuse the connection; a longer rest closes it unread), and would
// otherwise wait for it as long as the client takes to send it. A client
// that has sent its body gets the answer on a connection it can reuse; one
// still sending after the grace gets it and the connection closed.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, sender string, err error) {
	if r.ContentLength != 0 {
		http.NewResponseController(w).SetReadDeadline(time.Now().Add(min(refuseGrace, s.cfg.BodyTimeout)))
	}
	s.writeError(w, r, sender, err)
}

// refuseGrace is how long the rest of a refused request's body may take.
const refuseGrace = time.Second

// jsonContent checks the Content-Type of a request that carries a JSON
// body: application/json, with no charset or UTF-8 (RFC 8259). A request
// without one is refused too: the DIP API declares application/json as the
// only media type of every request body.
func jsonContent(contentType string) error {
	if contentType == "" {
		return fail(http.StatusUnsupportedMediaType, catalogue.MSG1004, "no Content-Type: the DIP API takes application/json")
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return fail(http.StatusUnsupportedMediaType, catalogue.MSG1004, "Content-Type %q: the DIP API takes application/json", contentType)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return fail(http.StatusUnsupportedMediaType, catalogue.MSG1004, "charset %q: JSON is UTF-8", cs)
	}
	return nil
}
