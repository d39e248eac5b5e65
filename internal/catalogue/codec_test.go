package catalogue

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/market"
)

func if021Example(t *testing.T) []byte {
	t.Helper()
	v, _ := Default().Variant("IF-021", "[ActivePower]")
	return Default().Example(v, ExampleOptions{})
}

// TestDecodeRefusesWhatTheValidatorRefuses: the typed decoder used to
// match keys without regard to case, read a missing or null required key as
// "", and name no cause for a wrapped message. Each must now be refused
// with the validator's findings or a precise error.
func TestDecodeRefusesWhatTheValidatorRefuses(t *testing.T) {
	good := if021Example(t)
	if _, err := Default().Decode(good); err != nil {
		t.Fatalf("the example does not decode: %v", err)
	}
	cases := []struct {
		name string
		in   []byte
		rule Rule
	}{
		{"key in another case", bytes.Replace(good, []byte(`"MPANCore"`), []byte(`"mpancore"`), 1), RuleAdditional},
		{"required key missing", bytes.Replace(good, []byte(`,"GSPGroupID":"_A"`), nil, 1), RuleRequired},
		{"required key null", bytes.Replace(good, []byte(`"GSPGroupID":"_A"`), []byte(`"GSPGroupID":null`), 1), RuleNullable},
	}
	for _, tc := range cases {
		if bytes.Equal(tc.in, good) {
			t.Fatalf("%s: the test's edit did not apply", tc.name)
		}
		p, err := Default().Decode(tc.in)
		var ie *InvalidError
		if p != nil || !errors.As(err, &ie) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Decode = %v, %v; want an *InvalidError", tc.name, p, err)
			continue
		}
		found := false
		for _, f := range ie.Findings {
			found = found || f.Rule == tc.rule
		}
		if !found {
			t.Errorf("%s: findings %v, want one of rule %s", tc.name, ie.Findings, tc.rule)
		}
		_, findings, err := Default().DecodeValid(tc.in)
		if err != nil || len(findings) == 0 {
			t.Errorf("%s: DecodeValid = %v, %v; want findings", tc.name, findings, err)
		}
	}
	_, err := Default().Decode(wrapArray(good)[1 : len(wrapArray(good))-1])
	if err == nil || !strings.Contains(err.Error(), "pass the payload object itself") {
		t.Errorf("wrapped item: error %v, want it to say the payload is wrapped", err)
	}
}

// TestEncodeDoesNotChangeItsArgument: Encode fills S0 in its output, not in
// the caller's value.
func TestEncodeDoesNotChangeItsArgument(t *testing.T) {
	m := &IF047ISD{}
	if _, err := Encode(m); err == nil {
		t.Fatal("Encode of an empty IF-047 succeeded: its required date-time is unset")
	}
	m.CommonBlock.S1.SenderTimestamp = market.At(time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC))
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if m.CommonBlock.S0 != (S0{}) {
		t.Errorf("Encode changed the argument's S0 to %+v", m.CommonBlock.S0)
	}
	if !bytes.Contains(b, []byte(`"S0":{"interfaceID":"IF-047","schemaVersion":"011","eventCode":"[ISD]"}`)) {
		t.Errorf("S0 not filled in the output: %s", b)
	}
}

// TestNilRequiredArraysEncodeEmpty: a required array left nil encodes as
// [], which the contract accepts, not null, which it refuses.
func TestNilRequiredArraysEncodeEmpty(t *testing.T) {
	m := &IF021ActivePower{}
	m.CommonBlock.A0.PrimaryRecipients = Recipients{"1000000009"}
	b, err := Encode(m)
	if err == nil {
		// A zero IF-021 has unset date-times; give them values so that
		// only the arrays are in question.
		t.Fatalf("an IF-021 with no dates encoded: %s", b)
	}
	s := Sender{DIPID: "1200000001", Role: "SDS"}
	s.Stamp(m)
	m.CustomBlock.B067.ConnectionTypeEffectiveFromDate = market.MidnightOf(market.NewSettlementDate(2024, 1, 1))
	b, err = Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"settlementDayConsumptionPeriods":[]`, `"secondaryRecipients":[]`, `"always":[]`, `"primaryRecipients":["1000000009"]`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("encoding lacks %s: %s", want, b)
		}
	}
}

// TestDecodeIsCanonical: decoding reads values as the market types hold
// them, so a round trip writes them canonically; and null recipients, which
// name nobody, are dropped.
func TestDecodeIsCanonical(t *testing.T) {
	good := if021Example(t)
	in := bytes.Replace(good, []byte(`"M0":`), []byte(`"A0":{"primaryRecipients":[null,"1000000009"],"secondaryRecipients":[],"always":[null]},"M0":`), 1)
	if bytes.Equal(in, good) {
		t.Fatal("the test's edit did not apply")
	}
	p, err := Default().Decode(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Common().A0.PrimaryRecipients; len(got) != 1 || got[0] != "1000000009" {
		t.Errorf("primaryRecipients = %q, want the one DIP id", got)
	}
}
