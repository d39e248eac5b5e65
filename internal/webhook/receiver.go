package webhook

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/signature"
)

// DefaultMaxBodyBytes is the largest delivery a [Receiver] whose
// MaxBodyBytes is zero reads. The DIP API publishes no limit; 64 MiB holds
// a batch of many IF-021 messages of 200 days each.
const DefaultMaxBodyBytes = 64 << 20

// dateTimeLayout is the DIP's wire date-time (DT-003); in UTC it formats
// with the offset +00:00.
const dateTimeLayout = "2006-01-02T15:04:05-07:00"

// A Receiver is the webhook end of DIP delivery, for participants and tests:
// an [http.Handler] that verifies a signed DIPMessageEgressArray, passes its
// messages to Handle and answers with a StandardResponse, as the package
// documentation tabulates. It is safe for concurrent use as long as its
// fields are not changed and Handle is safe for concurrent use.
//
// The signature is checked against the URL the request reached, as
// [signature.RequestURL] rebuilds it from the Host header and the
// connection; behind a proxy that terminates TLS or rewrites the host, it
// does not match the URL the DIP signed.
//
// Each response item echoes the message's transactionID (D0),
// senderUniqueReference (S1) and correlationID (D0.initialCorrelationID,
// else S1.senderCorrelationID) when the payload holds them; those and the
// other identifiers are null otherwise.
type Receiver struct {
	// Verifier checks the signing headers; nil means a zero Verifier
	// (signature.DefaultMaxSkew, time.Now).
	Verifier *signature.Verifier
	// TrustedFingerprints are the signature.CertificateFingerprint values
	// (hex, any case) of the certificates the DIP signs with. Empty trusts
	// any certificate whose signature verifies: for tests only.
	TrustedFingerprints []string
	// SelfID is the receiving participant's DIP id, the senderID of every
	// response item.
	SelfID string
	// Handle processes the verified messages and returns one code per
	// message, in order: MSG0000 (or the zero Code) to accept, another
	// code to reject, MSG5001 to make the DIP retry the whole delivery.
	// A nil result accepts every message; a result of another length is a
	// fault answered 500. Payloads are the exact bytes received and are not
	// validated against the catalogue: Handle may run a catalogue.Validator.
	// Nil Handle accepts every message.
	Handle func(ctx context.Context, msgs []catalogue.Message) []catalogue.Code
	// MaxBodyBytes bounds the request body; zero or negative means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Now stamps the response; nil means time.Now.
	Now func() time.Time
}

// ServeHTTP implements [http.Handler].
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	limit := rc.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			rc.fail(w, http.StatusRequestEntityTooLarge, catalogue.MSG4005, fmt.Sprintf("body exceeds %d bytes", limit))
			return
		}
		rc.fail(w, http.StatusBadRequest, catalogue.MSG1002, "reading body: "+err.Error())
		return
	}

	v := rc.Verifier
	if v == nil {
		v = &signature.Verifier{}
	}
	cert, err := v.VerifyRequest(r, body)
	if err != nil {
		code, help := catalogue.MSG4002, err.Error()
		if se, ok := errors.AsType[*signature.Error](err); ok {
			help = se.Reason.Error() // the reason, not the decoding detail
		}
		if errors.Is(err, signature.StaleDate) {
			code = catalogue.MSG4003
		}
		rc.fail(w, http.StatusUnauthorized, code, help)
		return
	}
	if !rc.trusted(cert) {
		rc.fail(w, http.StatusUnauthorized, catalogue.MSG4002, "signing certificate is not trusted")
		return
	}

	dv, err := decodeArray(body)
	if err != nil {
		rc.fail(w, http.StatusBadRequest, catalogue.MSG1002, err.Error())
		return
	}
	msgs := dv.msgs
	var codes []catalogue.Code
	if rc.Handle != nil {
		codes = rc.Handle(r.Context(), msgs)
	}
	if codes != nil && len(codes) != len(msgs) {
		rc.fail(w, http.StatusInternalServerError, catalogue.MSG5001,
			fmt.Sprintf("handler returned %d codes for %d messages", len(codes), len(msgs)))
		return
	}

	ts := rc.timestamp()
	items := make([]catalogue.StandardResponseBodyType, len(msgs))
	accepted, retry := 0, false
	for i, m := range msgs {
		code := catalogue.MSG0000
		if codes != nil && codes[i] != "" {
			code = codes[i]
		}
		switch code {
		case catalogue.MSG0000:
			accepted++
		case catalogue.MSG5001:
			retry = true
		}
		items[i] = rc.item(ts, code, "")
		dv.identifiers(i, m.Payload).fill(&items[i])
	}
	status := http.StatusMultiStatus
	switch {
	case retry:
		status = http.StatusInternalServerError
	case accepted == len(msgs):
		status = http.StatusCreated
	case accepted == 0:
		status = http.StatusBadRequest
	}
	rc.reply(w, status, ts, items)
}

func (rc *Receiver) trusted(cert *x509.Certificate) bool {
	if len(rc.TrustedFingerprints) == 0 {
		return true
	}
	fp := signature.CertificateFingerprint(cert)
	for _, t := range rc.TrustedFingerprints {
		if strings.EqualFold(t, fp) {
			return true
		}
	}
	return false
}

func (rc *Receiver) timestamp() string {
	now := time.Now
	if rc.Now != nil {
		now = rc.Now
	}
	return now().UTC().Format(dateTimeLayout)
}

// item returns a response item for code with no message identifiers.
func (rc *Receiver) item(ts string, code catalogue.Code, help string) catalogue.StandardResponseBodyType {
	msg := code.Message()
	it := catalogue.StandardResponseBodyType{SentTimestamp: ts, SenderID: rc.SelfID, Message: &msg}
	if help != "" {
		it.Help = &help
	}
	return it
}

// fail answers a request that was refused as a whole, with one item.
func (rc *Receiver) fail(w http.ResponseWriter, status int, code catalogue.Code, help string) {
	ts := rc.timestamp()
	rc.reply(w, status, ts, []catalogue.StandardResponseBodyType{rc.item(ts, code, help)})
}

func (rc *Receiver) reply(w http.ResponseWriter, status int, ts string, items []catalogue.StandardResponseBodyType) {
	b, err := json.Marshal(catalogue.StandardResponse{MessageArray: &items, Timestamp: &ts})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// A delivery is a decoded DIPMessageEgressArray: the messages for Handle,
// and what is needed to answer for them without decoding their payloads
// again.
type delivery struct {
	// msgs are the messages. Their payloads are copies, as encoding/json
	// made them: Handle may keep them, change them in place or replace
	// them, and the response echoes the identifiers of the payload each
	// message holds once Handle has returned.
	msgs []catalogue.Message
	// body is the request body and items are where its payloads are and
	// their identifiers, read in the decoding pass; body is not handed to
	// Handle, so it still holds the payloads as received. items is nil when
	// the body was decoded by decodeArrayJSON.
	body  []byte
	items []scannedItem
}

// decodeArray decodes a DIPMessageEgressArray: a JSON array of at least one
// object whose "payload" is an object. Other keys of an item are allowed, as
// the DIP API's schema allows them. It accepts exactly what decodeArrayJSON
// accepts, with the same payloads and identifiers, in one pass over body;
// a body it refuses goes to decodeArrayJSON for the verdict and the message
// of encoding/json.
func decodeArray(body []byte) (delivery, error) {
	items, ok := scanArray(body)
	if !ok {
		msgs, err := decodeArrayJSON(body)
		return delivery{msgs: msgs}, err
	}
	msgs := make([]catalogue.Message, len(items))
	for i, it := range items {
		// Each its own copy, as json.RawMessage makes it: Handle may keep
		// one message without keeping the others.
		msgs[i].Payload = bytes.Clone(body[it.start:it.end])
	}
	return delivery{msgs: msgs, body: body, items: items}, nil
}

// identifiers returns the identifiers of message i, whose payload is now
// payload: those read in the decoding pass if payload still holds the bytes
// received, else what idsOf reads from it. Comparing costs a fraction of
// reading again.
func (dv *delivery) identifiers(i int, payload []byte) ids {
	if dv.items != nil {
		if it := dv.items[i]; bytes.Equal(payload, dv.body[it.start:it.end]) {
			return it.ids
		}
	}
	return idsOf(payload)
}

// decodeArrayJSON is decodeArray with encoding/json: the reference that
// decodeArray agrees with, and the source of the message for a body that
// decodeArray refuses.
func decodeArrayJSON(body []byte) ([]catalogue.Message, error) {
	var msgs []catalogue.Message
	if err := json.Unmarshal(body, &msgs); err != nil {
		return nil, fmt.Errorf("body is not a message array: %v", err)
	}
	if len(msgs) == 0 {
		return nil, errors.New("body is not a non-empty message array")
	}
	for i, m := range msgs {
		if len(m.Payload) == 0 || m.Payload[0] != '{' {
			return nil, fmt.Errorf("item %d: payload is not an object", i)
		}
	}
	return msgs, nil
}

// ids are the identifiers of a message a response item echoes, read from
// the payload's CommonBlock when present. The Receiver reads them with
// idsOf and scanArray, which do by hand what json.Unmarshal does with these
// tags; the tests check them against json.Unmarshal.
type ids struct {
	CommonBlock struct {
		S1 struct {
			SenderUniqueReference *string `json:"senderUniqueReference"`
			SenderCorrelationID   *string `json:"senderCorrelationID"`
		} `json:"S1"`
		D0 struct {
			TransactionID        *string `json:"transactionID"`
			InitialCorrelationID *string `json:"initialCorrelationID"`
		} `json:"D0"`
	} `json:"CommonBlock"`
}

// fill sets the item's transactionID, senderUniqueReference and correlationID
// from v, leaving null any that is absent, empty or longer than the
// response schema allows.
func (v ids) fill(it *catalogue.StandardResponseBodyType) {
	cb := v.CommonBlock
	it.TransactionID = bounded(cb.D0.TransactionID, 65)
	it.SenderUniqueReference = bounded(cb.S1.SenderUniqueReference, 200)
	it.CorrelationID = bounded(cb.D0.InitialCorrelationID, 60)
	if it.CorrelationID == nil {
		it.CorrelationID = bounded(cb.S1.SenderCorrelationID, 60)
	}
}

func bounded(s *string, limit int) *string {
	if s == nil || *s == "" || utf8.RuneCountInString(*s) > limit {
		return nil
	}
	return s
}
