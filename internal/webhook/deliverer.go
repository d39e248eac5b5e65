package webhook

import (
	"context"

	"github.com/mhhs/mhhs/internal/dip"
)

// Deliverer adapts a Poster to dip.Deliverer: the hub's deliveries to
// recipients with a configured webhook.
type Deliverer struct{ Poster *Poster }

var _ dip.Deliverer = Deliverer{}

// Deliver posts the batch to the endpoint's callback URL.
func (d Deliverer) Deliver(ctx context.Context, to dip.Endpoint, body []byte) dip.Result {
	res, err := d.Poster.Post(ctx, to.CallbackURL, body)
	if err != nil {
		return dip.Result{Outcome: dip.Failed, Err: err.Error()}
	}
	out := dip.Result{StatusCode: res.StatusCode, PerMessage: res.PerMessage, Err: res.Err, Duration: res.Duration}
	switch res.Outcome {
	case Delivered:
		out.Outcome = dip.Delivered
	case PartiallyRejected:
		out.Outcome = dip.PartiallyRejected
	case Rejected:
		out.Outcome = dip.Rejected
	default:
		out.Outcome = dip.Failed
	}
	return out
}
