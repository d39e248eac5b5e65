package cataloguetest

import (
	"testing"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

func TestPythonSpacing(t *testing.T) {
	// want is json.dumps(json.loads(in)) in Python 3.
	in := `{"a":[1,2],"b":"x,y: \\\"q,\\","c":{},"d":null}`
	want := `{"a": [1, 2], "b": "x,y: \\\"q,\\", "c": {}, "d": null}`
	if got := string(PythonSpacing([]byte(in))); got != want {
		t.Errorf("PythonSpacing(%s)\n got %s\nwant %s", in, got, want)
	}
}

// TestIF021Validates: the message is valid as built (the benchmarks that
// use it would otherwise measure rejections).
func TestIF021Validates(t *testing.T) {
	c, err := market.MPANCheckDigit("120000000001")
	if err != nil {
		t.Fatal(err)
	}
	p, err := catalogue.Encode(IF021("1200000001", "2500000012", "S-IF-021-1200000001-SDS-20260116-1", "120000000001"+string(c)))
	if err != nil {
		t.Fatal(err)
	}
	v := catalogue.NewValidator(catalogue.Default())
	verdicts, err := v.ValidateArray("IF-021", append(append([]byte(`[{"payload":`), p...), '}', ']'))
	if err != nil || len(verdicts) != 1 {
		t.Fatalf("validating IF021: %v, %d verdicts", err, len(verdicts))
	}
	if !verdicts[0].OK() {
		t.Fatalf("IF021 does not validate: %v", verdicts[0].Findings)
	}
}
