package catalogue

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSetCommonBlocks(t *testing.T) {
	c := Default()
	v, _ := c.Variant("IF-021", "[ActivePower]")
	a0 := []byte(`{"primaryRecipients":[],"secondaryRecipients":["2300000001"],"always":["1800000001"]}`)
	d0 := []byte(`{"transactionID":"T-1","transactionTimestamp":"2025-04-01T00:00:00+00:00","publicationID":"PUB-021","initialCorrelationID":null,"replayIndicator":false,"serviceTicketURL":null}`)
	for _, full := range []bool{false, true} { // full examples already carry A0 and D0
		p := c.Example(v, ExampleOptions{Full: full})
		out, err := SetCommonBlocks(p, []KeyValue{{"A0", a0}, {"D0", d0}})
		if err != nil {
			t.Fatal(err)
		}
		vd, err := NewValidator(c).ValidatePayload("IF-021", out)
		if err != nil || !vd.OK() {
			t.Fatalf("full=%v: spliced payload invalid: %v %v\n%s", full, err, vd.Findings, out)
		}
		var got, want map[string]any
		json.Unmarshal(out, &got)
		json.Unmarshal(p, &want)
		cb := want["CommonBlock"].(map[string]any)
		var a0v, d0v any
		json.Unmarshal(a0, &a0v)
		json.Unmarshal(d0, &d0v)
		cb["A0"], cb["D0"] = a0v, d0v
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("full=%v (-want +got):\n%s", full, diff)
		}
	}
	if _, err := SetCommonBlocks([]byte(`{"CustomBlock":{}}`), nil); err == nil {
		t.Error("payload without CommonBlock accepted")
	}
	out, err := SetCommonBlocks([]byte(`{"CommonBlock":{}}`), []KeyValue{{"D0", []byte(`1`)}})
	if err != nil || string(out) != `{"CommonBlock":{"D0":1}}` {
		t.Errorf("empty CommonBlock: %s %v", out, err)
	}
}
