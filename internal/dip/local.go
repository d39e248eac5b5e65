package dip

import (
	"context"
	"errors"
	"fmt"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/participant"
)

// LocalService is a service co-located with the hub (mhhs serve
// --services): the hub delivers to its Handler with a function call, the
// payloads as stored (masked for the role), with no HTTP and no
// re-encoding; Hub.Sender gives it the hub's intake as a function call.
type LocalService struct {
	DIPID   string
	Handler participant.Handler
	// Channels are the interfaces it receives, as a webhook recipient
	// configures them; deliveries on others wait, Pending, as they would
	// for a recipient with no webhook. Nil: every interface. Status
	// messages (L4) about what it sent are not payloads: the hub records
	// them as delivered without calling the service.
	Channels []string
}

// channels are what the hub claims for the service: its Channels (nil:
// every interface), and the status messages, which it does not take and
// the hub records as done (they would otherwise wait for ever and keep
// their messages from being purged).
func (s *LocalService) channels() []string {
	all := append([]string(nil), s.Channels...)
	if s.Channels == nil {
		for _, in := range catalogue.Default().Interfaces() {
			all = append(all, in.ID)
		}
	}
	return append(all, StatusChannel)
}

// deliver hands a batch to the service and reads its answers as the
// webhook Poster reads a receiver's: every message accepted is Delivered;
// a Retry of any message fails the batch (retried whole, as a 500 is);
// otherwise the messages answered with another code are rejected.
func (s *LocalService) deliver(ctx context.Context, ds []Delivery, bodies [][]byte) Result {
	in := make([]participant.Delivery, len(ds))
	for i, d := range ds {
		in[i] = participant.Delivery{Channel: d.Channel, Event: d.EventCode, TransactionID: d.TransactionID,
			Role: d.Role, MPAN: d.MPAN, Payload: bodies[i]}
	}
	codes, err := s.handle(ctx, in)
	if err != nil {
		return Result{Outcome: Failed, StatusCode: 500, Err: err.Error()}
	}
	if codes == nil {
		return Result{Outcome: Delivered, StatusCode: 201}
	}
	per := make([]bool, len(codes))
	accepted := 0
	for i, c := range codes {
		switch c {
		case participant.Retry:
			return Result{Outcome: Failed, StatusCode: 500, Err: fmt.Sprintf("the service asked to retry message %d", i)}
		case participant.Accept, "":
			per[i] = true
			accepted++
		}
	}
	switch accepted {
	case len(codes):
		return Result{Outcome: Delivered, StatusCode: 201}
	case 0:
		return Result{Outcome: Rejected, StatusCode: 400, Err: "rejected by the service: " + string(firstRejection(codes))}
	}
	return Result{Outcome: PartiallyRejected, StatusCode: 207, PerMessage: per}
}

// handle calls the handler, turning a panic into an error (the service's
// fault must not stop the hub) and checking the answer's length.
func (s *LocalService) handle(ctx context.Context, in []participant.Delivery) (codes []catalogue.Code, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("service %s panicked: %v", s.DIPID, r)
		}
	}()
	codes = s.Handler.Handle(ctx, in)
	if codes != nil && len(codes) != len(in) {
		return nil, fmt.Errorf("service %s answered %d codes for %d messages", s.DIPID, len(codes), len(in))
	}
	return codes, nil
}

func firstRejection(codes []catalogue.Code) catalogue.Code {
	for _, c := range codes {
		if c != participant.Accept && c != "" {
			return c
		}
	}
	return ""
}

// Sender returns the participant.Sender of participant dipID inside this
// process: Send submits to the hub with a function call, as that
// participant (no API key, no signature: the caller is the process
// itself), and turns the items into verdicts. The participant must be
// registered and enabled when Send is called.
func (h *Hub) Sender(dipID string) participant.Sender { return localSender{h: h, id: dipID} }

type localSender struct {
	h  *Hub
	id string
}

// ErrUnknownSender is returned by a local Sender whose participant is not
// registered, or is disabled.
var ErrUnknownSender = errors.New("dip: the sender is not an enabled participant")

func (s localSender) Send(ctx context.Context, channel string, payloads ...[]byte) ([]participant.Verdict, error) {
	p, ok := s.h.Participant(s.id)
	if !ok {
		if err := s.h.Refresh(ctx); err != nil {
			return nil, err
		}
		p, ok = s.h.Participant(s.id)
	}
	if !ok || p.Disabled {
		return nil, fmt.Errorf("%w: %s", ErrUnknownSender, s.id)
	}
	items, err := s.h.Submit(ctx, p, channel, EgressArray(payloads))
	if err != nil {
		return nil, err
	}
	if len(items) != len(payloads) { // the array as a whole was refused
		it := items[0]
		return nil, fmt.Errorf("dip: %s: %s", it.Code.Message(), it.Detail)
	}
	out := make([]participant.Verdict, len(items))
	for i, it := range items {
		out[i] = participant.Verdict{Code: it.Code, TransactionID: it.TransactionID, SenderUniqueReference: it.SenderUniqueReference, Detail: it.Detail}
	}
	return out, nil
}
