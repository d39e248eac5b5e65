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

func TestMaskFields(t *testing.T) {
	c := Default()
	v, _ := c.Variant("IF-001", "[InitialRegistration]")
	p := c.Example(v, ExampleOptions{Full: true})
	fields := []string{"meteringPointPostcode", "addressLine1", "addressLine2", "addressLine3", "addressLine4", "addressLine5", "addressLine6", "addressLine7", "addressLine8", "addressLine9"}
	out, err := MaskFields(p, "B022", fields)
	if err != nil {
		t.Fatal(err)
	}
	var got, want map[string]any
	json.Unmarshal(out, &got)
	json.Unmarshal(p, &want)
	b022 := want["CustomBlock"].(map[string]any)["B022"].(map[string]any)
	if b022["addressLine1"] == nil {
		t.Fatal("example has no address to mask")
	}
	for _, f := range fields {
		b022[f] = nil
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("masked payload (-want +got):\n%s", diff)
	}
	if vd, err := NewValidator(c).ValidatePayload("IF-001", out); err != nil || !vd.OK() {
		t.Errorf("masked payload invalid: %v %v", err, vd.Findings)
	}
	// No B022: the payload comes back unchanged.
	v21, _ := c.Variant("IF-021", "[ActivePower]")
	p21 := c.Example(v21, ExampleOptions{})
	if out, _ := MaskFields(p21, "B022", fields); string(out) != string(p21) {
		t.Error("payload without the block changed")
	}
}
