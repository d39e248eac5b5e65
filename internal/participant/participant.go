package participant

import (
	"context"
	"errors"
	"fmt"

	"github.com/mhhs/mhhs/internal/catalogue"
)

// Delivery is one message the DIP delivers to a service.
type Delivery struct {
	Channel string // the interface: "IF-031"
	Event   string // the event code as on the wire: "[MSApp]"
	// TransactionID is the DIP's id of the message (D0.transactionID): the
	// same on every redelivery, so the key a service deduplicates on.
	TransactionID string
	Role          string // the role the message was routed to the service as
	Replay        bool   // D0.replayIndicator: sent again by a replay
	MPAN          string // M0.MPANCore or M1.principalMPAN; "" when none
	// Payload is the payload object as delivered: the sender's, with A0
	// and D0 filled by the DIP, and masked for the role.
	Payload []byte
}

// Decode returns the delivery's typed payload. It validates it as the DIP
// does (catalogue.Catalogue.Decode): the DIP delivers only what it
// accepted, and a payload that fails here was changed on the way.
func (d *Delivery) Decode() (catalogue.Payload, error) {
	return catalogue.Default().Decode(d.Payload)
}

// Codes a handler answers a delivery with.
const (
	Accept = catalogue.MSG0000 // processed, or processed before (a redelivery)
	Retry  = catalogue.MSG5001 // not processed now: redeliver later
)

// Handler processes a batch of deliveries, in the order the DIP sent them,
// and answers each with a code: Accept, Retry, or a rejection
// (catalogue.MSG1001 for a payload it cannot read, …). A nil result accepts
// every delivery. Retry of any message makes the DIP retry the whole batch
// (a webhook answer of 500), so a handler should retry only when nothing of
// the batch can be kept, or make its effects idempotent by transaction id.
type Handler interface {
	Handle(ctx context.Context, ds []Delivery) []catalogue.Code
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, ds []Delivery) []catalogue.Code

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, ds []Delivery) []catalogue.Code { return f(ctx, ds) }

// Verdict is the DIP's answer for one message sent.
type Verdict struct {
	Code catalogue.Code
	// TransactionID is the DIP's id of the message: set when accepted, and
	// for a duplicate (MSG3001) the id of the message first accepted with
	// this reference, where the DIP knows it.
	TransactionID         string
	SenderUniqueReference string
	Detail                string
}

// Accepted reports whether the DIP accepted the message now.
func (v Verdict) Accepted() bool { return v.Code == catalogue.MSG0000 }

// Sent reports whether the DIP has the message: accepted now, or refused as
// a duplicate of one it accepted before (a resend after a crash).
func (v Verdict) Sent() bool { return v.Code == catalogue.MSG0000 || v.Code == catalogue.MSG3001 }

// Sender sends messages to the DIP as one participant. Payloads are encoded
// payload objects with S1 filled (catalogue.Sender stamps them); Send
// posts them on channel in one request and returns one verdict per payload,
// in order. An error means the DIP's answer was not received: some or all
// of the messages may have been accepted, and sending them again with the
// same references is safe.
type Sender interface {
	Send(ctx context.Context, channel string, payloads ...[]byte) ([]Verdict, error)
}

// Service is a DIP participant's behaviour: it handles what the DIP
// delivers to it and does its own work in Run.
type Service interface {
	Handler
	// Channels lists the interfaces the service receives; in a split
	// deployment its webhooks are registered for them.
	Channels() []string
	// Run does the service's timed work, sending through s, until ctx is
	// done; it returns nil then, or the error that stopped it.
	Run(ctx context.Context, s Sender) error
}

// ErrRefused is returned by SendTyped when the DIP refused a message.
var ErrRefused = errors.New("participant: the DIP refused a message")

// SendTyped encodes and validates payloads (catalogue.EncodeValid) and sends
// them on channel. A payload that would not validate is not sent: the
// result is an error naming its findings. It returns ErrRefused (wrapped)
// with the verdicts when the DIP refused any message.
func SendTyped(ctx context.Context, s Sender, channel string, ps ...catalogue.Payload) ([]Verdict, error) {
	bodies := make([][]byte, len(ps))
	for i, p := range ps {
		b, findings, err := catalogue.EncodeValid(p)
		if err != nil {
			return nil, err
		}
		if len(findings) > 0 {
			return nil, &catalogue.InvalidError{Variant: p.Variant(), Findings: findings}
		}
		bodies[i] = b
	}
	vs, err := s.Send(ctx, channel, bodies...)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if !v.Sent() {
			return vs, fmt.Errorf("%w: %s %s: %s", ErrRefused, v.SenderUniqueReference, v.Code.Message(), v.Detail)
		}
	}
	return vs, nil
}
