package dip

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/participant"
)

// TestLocalServiceAnswers: a co-located service's answers read as a
// webhook's: all accepted is 201; a Retry of any message fails the whole
// batch (500, retried); all rejected is 400; some rejected is 207 with
// the verdict per message; a panic or an answer of the wrong length is a
// failure, not a crash.
func TestLocalServiceAnswers(t *testing.T) {
	const reject = catalogue.MSG1001
	tests := []struct {
		name    string
		handle  func([]participant.Delivery) []catalogue.Code
		outcome Outcome
		status  int
		per     []bool
		err     string
	}{
		{name: "nil accepts all", handle: func([]participant.Delivery) []catalogue.Code { return nil },
			outcome: Delivered, status: 201},
		{name: "every message accepted", handle: answer(participant.Accept, participant.Accept, participant.Accept),
			outcome: Delivered, status: 201},
		{name: "an empty code accepts", handle: answer("", participant.Accept, ""),
			outcome: Delivered, status: 201},
		{name: "a retry fails the batch", handle: answer(participant.Accept, participant.Retry, reject),
			outcome: Failed, status: 500, err: "retry message 1"},
		{name: "every message rejected", handle: answer(reject, catalogue.MSG3002, reject),
			outcome: Rejected, status: 400, err: "rejected by the service: MSG1001"},
		{name: "some rejected", handle: answer(participant.Accept, reject, ""),
			outcome: PartiallyRejected, status: 207, per: []bool{true, false, true}},
		{name: "a panic", handle: func([]participant.Delivery) []catalogue.Code { panic("kaboom") },
			outcome: Failed, status: 500, err: "service 1800000001 panicked: kaboom"},
		{name: "too few answers", handle: answer(participant.Accept),
			outcome: Failed, status: 500, err: "answered 1 codes for 3 messages"},
	}
	ds := []Delivery{
		{Seq: 1, Recipient: "1800000001", Role: "MDS", Channel: "IF-021", EventCode: "[ActivePower]", TransactionID: "T-1", MPAN: "1200023305967"},
		{Seq: 2, Recipient: "1800000001", Role: "MDS", Channel: "IF-021", EventCode: "[ReactivePower]", TransactionID: "T-2", MPAN: "1200023305976"},
		{Seq: 3, Recipient: "1800000001", Role: "MDS", Channel: "IF-022", EventCode: "[LSSPeriodData]", TransactionID: "T-3"},
	}
	bodies := [][]byte{[]byte(`{"n":1}`), []byte(`{"n":2}`), []byte(`{"n":3}`)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []participant.Delivery
			s := &LocalService{DIPID: "1800000001", Handler: participant.HandlerFunc(func(ctx context.Context, in []participant.Delivery) []catalogue.Code {
				got = in
				return tt.handle(in)
			})}
			res := s.deliver(context.Background(), ds, bodies)
			if res.Outcome != tt.outcome || res.StatusCode != tt.status || !slices.Equal(res.PerMessage, tt.per) {
				t.Errorf("result %+v, want outcome %d, status %d, per message %v", res, tt.outcome, tt.status, tt.per)
			}
			if !strings.Contains(res.Err, tt.err) || (tt.err == "") != (res.Err == "") {
				t.Errorf("error %q, want %q", res.Err, tt.err)
			}
			// The service sees each delivery with the bodies given (the
			// masked ones), not the stored ones.
			want := []participant.Delivery{
				{Channel: "IF-021", Event: "[ActivePower]", TransactionID: "T-1", Role: "MDS", MPAN: "1200023305967", Payload: bodies[0]},
				{Channel: "IF-021", Event: "[ReactivePower]", TransactionID: "T-2", Role: "MDS", MPAN: "1200023305976", Payload: bodies[1]},
				{Channel: "IF-022", Event: "[LSSPeriodData]", TransactionID: "T-3", Role: "MDS", Payload: bodies[2]},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("deliveries (-want +got):\n%s", diff)
			}
		})
	}
}

func answer(codes ...catalogue.Code) func([]participant.Delivery) []catalogue.Code {
	return func([]participant.Delivery) []catalogue.Code { return codes }
}

// TestLocalServiceChannels: a service with no channels listed receives
// every interface of the catalogue, one with a list receives those; the
// hub also claims the status messages for it, which it records as done
// without calling the service.
func TestLocalServiceChannels(t *testing.T) {
	all := (&LocalService{}).channels()
	if len(all) != len(catalogue.Default().Interfaces())+1 || !slices.Contains(all, "IF-021") || !slices.Contains(all, "REP-002A") {
		t.Errorf("channels of a service with none listed: %v", all)
	}
	if !slices.Contains(all, StatusChannel) {
		t.Errorf("the status messages are not claimed: they would wait for ever")
	}
	if got := (&LocalService{Channels: []string{"IF-047"}}).channels(); !slices.Equal(got, []string{"IF-047", StatusChannel}) {
		t.Errorf("listed channels: %v", got)
	}
}

// TestRoutingTableRules: a rule for one event overrides the interface's;
// Rules lists every rule in order.
func TestRoutingTableRules(t *testing.T) {
	rt := DefaultRouting(catalogue.Default())
	rt.SetRule(Rule{Interface: "IF-021", Event: "[ReactivePower]", Always: []string{"MDS"}})
	if r, ok := rt.Rule("IF-021", "[ReactivePower]"); !ok || r.Event != "[ReactivePower]" || !slices.Equal(r.Always, []string{"MDS"}) || len(r.Secondary) != 0 {
		t.Errorf("event rule: %+v", r)
	}
	if r, ok := rt.Rule("IF-021", "[ActivePower]"); !ok || r.Event != "" || len(r.Secondary) == 0 {
		t.Errorf("interface rule for another event: %+v", r)
	}
	if _, ok := rt.Rule("IF-999", ""); ok {
		t.Error("a rule for an unknown interface")
	}
	rules := rt.Rules()
	if len(rules) != len(catalogue.Default().Interfaces())+1 {
		t.Errorf("%d rules", len(rules))
	}
	if !slices.IsSortedFunc(rules, func(a, b Rule) int {
		return strings.Compare(a.Interface+" "+a.Event, b.Interface+" "+b.Event)
	}) {
		t.Error("Rules are not in order")
	}
}
