package catalogue

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// publishedExamples are the nine request examples of DIP API v2.2.1 with the
// L1 findings that reference/dip-examples/NOTES.md predicts, validated against
// the target schema NOTES names (as POST /validate/{IF}/{event} would). NOTES
// writes an unknown key at its object's path; we name the key itself.
// "Undeclared key (allowed: additionalProperties not set)" lines are not
// failures, so they do not appear. Single-object examples are first checked
// as sent (rejected: not an array) and then wrapped in [...].
var publishedExamples = []struct {
	file, iface, event string
	single             bool
	want               []string // "path rule"
}{
	{"IF-001-InitialRegistration", "IF-001", "InitialRegistration", false, []string{
		"[0].payload.CustomBlock.B013 required",
		"[0].payload.CustomBlock.B002 required",
		"[0].payload.CustomBlock.B002.incomingSupplierEffectiveFromDate additionalProperties",
		"[0].payload.CustomBlock.B032.SSC minLength",
		"[0].payload.CustomBlock.B032.SSC pattern",
		"[0].payload.CustomBlock.B035List type",
		"[0].payload.CustomBlock.B037List type",
	}},
	{"IF-001-ChangeOfSupplier", "IF-001", "ChangeOfSupplier", false, []string{
		"[0].payload.CommonBlock.S0 required",
		"[0].payload.CustomBlock.B013 required",
		"[0].payload.CustomBlock.B002 required",
		"[0].payload.CustomBlock.B002.incomingSupplierEffectiveFromDate additionalProperties",
		"[0].payload.CustomBlock.B003 required",
		"[0].payload.CustomBlock.B003.outgoingSupplierEffectiveToDate additionalProperties",
		"[0].payload.CustomBlock.B032.SSC minLength",
		"[0].payload.CustomBlock.B032.SSC pattern",
	}},
	{"IF-002", "IF-002", "GainMPANInfo", false, []string{
		"[0].payload.CommonBlock.S0 required",
		"[0].payload.CommonBlock.S0.InterfaceID additionalProperties",
		"[0].payload.CustomBlock.B013 required",
		"[0].payload.CustomBlock.B032.SSC minLength",
		"[0].payload.CustomBlock.B032.SSC pattern",
		"[0].payload.CustomBlock.B035List additionalProperties",
		"[0].payload.CustomBlock.B037List additionalProperties",
	}},
	{"IF-003-MSDeAppRM", "IF-003", "MSDeAppRM", true, []string{
		"[0].payload.CommonBlock.S0 required",
		"[0].payload.CommonBlock.S0.eventCode enum",
		"[0].payload.CustomBlock.B013 required",
		"[0].payload.CustomBlock.B010 additionalProperties",
		"[0].payload.CustomBlock.B002 required",
		"[0].payload.CustomBlock.B002.incomingSupplierEffectiveFromDate additionalProperties",
	}},
	{"IF-021", "IF-021", "ActivePower", false, []string{
		"[0].payload.CommonBlock.S0 required",
		"[0].payload.CommonBlock.S0.interfaceId additionalProperties",
		"[0].payload.CommonBlock.S1 required",
		"[0].payload.CommonBlock.S1 required",
		"[0].payload.CommonBlock.S1 required",
		"[0].payload.CommonBlock.S1 required",
		"[0].payload.CommonBlock.S1 required",
		"[0].payload.CommonBlock.S1 required",
		"[0].payload.CommonBlock.S1.environment additionalProperties",
		"[0].payload.CommonBlock.S1.sentTimestamp additionalProperties",
		"[0].payload.CommonBlock.S1.senderDIPId additionalProperties",
		"[0].payload.CommonBlock.S1.senderRole additionalProperties",
		"[0].payload.CommonBlock.S1.senderCorrelationId additionalProperties",
		"[0].payload.CommonBlock.S1.DIPConnectionProviderId additionalProperties",
		"[0].payload.CustomBlock required",
		"[0].payload.CustomBlock.B900List additionalProperties",
	}},
	{"IF-037-MSDeApp", "IF-037", "MSDeApp", true, []string{
		"[0].payload.CommonBlock.S0 required",
		"[0].payload.CommonBlock.S0.InterfaceID additionalProperties",
		"[0].payload.CustomBlock.B013 required",
		"[0].payload.CustomBlock.B002 required",
		"[0].payload.CustomBlock.B002.incomingSupplierEffectiveFromDate additionalProperties",
	}},
	{"IF-043", "IF-043", "ConnectionTypeChange", true, []string{
		"[0].payload.CommonBlock.S0 required",
	}},
	{"IF-044", "IF-044", "MarketSegmentChange", true, []string{
		"[0].payload.CommonBlock.S0 required",
		"[0].payload.CommonBlock.S0.InterfaceID additionalProperties",
	}},
	{"REP-002", "REP-002", "DUOSSupplierAggData", false, []string{
		"[0].payload.CommonBlock.S0 required",
		"[0].payload.CommonBlock.S0.InterfaceID additionalProperties",
		"[0].payload.CommonBlock.S0.schemaVersion enum",
		"[0].payload.CommonBlock.S0.eventCode enum",
		"[0].payload.CustomBlock.schema.REP-002-CustomBlock additionalProperties",
	}},
}

func examplesDir(t *testing.T) string {
	return filepath.Join(filepath.Dir(contractPath(t)), "dip-examples")
}

func TestPublishedExamples(t *testing.T) {
	dir := examplesDir(t)
	c := Default()
	val := NewValidator(c)
	for _, ex := range publishedExamples {
		t.Run(ex.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(dir, ex.file+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if ex.single {
				verdicts, err := val.ValidateArray(ex.iface, body)
				if err != nil {
					t.Fatal(err)
				}
				if len(verdicts) != 1 || verdicts[0].Index != -1 || verdicts[0].OK() || verdicts[0].Findings[0].Rule != RuleType {
					t.Fatalf("single object accepted or misreported: %+v", verdicts)
				}
				body = append(append([]byte("["), body...), ']')
			}
			v, ok := c.Variant(ex.iface, ex.event)
			if !ok {
				t.Fatalf("no variant %s %s", ex.iface, ex.event)
			}
			verdicts, err := val.ValidateArrayFor(v, body)
			if err != nil {
				t.Fatal(err)
			}
			if verdicts[0].OK() {
				t.Fatal("accepted; NOTES.md predicts a rejection")
			}
			var got []string
			for _, f := range verdicts[0].Findings {
				if f.Level == 1 {
					got = append(got, f.Path+" "+string(f.Rule))
				}
			}
			want := append([]string(nil), ex.want...)
			sort.Strings(got)
			sort.Strings(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("L1 findings differ from NOTES.md (-notes +got):\n%s", diff)
			}
		})
	}
}

// TestPublishedExamplesByChannel posts each example to its channel the way a
// sender would (no target variant): every one is rejected.
func TestPublishedExamplesByChannel(t *testing.T) {
	dir := examplesDir(t)
	val := NewValidator(nil)
	for _, ex := range publishedExamples {
		body, err := os.ReadFile(filepath.Join(dir, ex.file+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if ex.single {
			body = append(append([]byte("["), body...), ']')
		}
		verdicts, err := val.ValidateArray(ex.iface, body)
		if err != nil {
			t.Fatal(err)
		}
		if verdicts[0].OK() {
			t.Errorf("%s accepted on channel %s", ex.file, ex.iface)
		}
	}
}
