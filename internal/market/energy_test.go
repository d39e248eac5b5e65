package market

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

func TestParseKWh(t *testing.T) {
	good := []struct {
		in   string
		want Energy
	}{
		{"12.345", 12345},
		{"-0.001", -1},
		{"0.000", 0},
		{"-0.000", 0},
		{"0.001", 1},
		{"1.000", 1000},
		{"007.500", 7500},
		{"999999999.999", 999_999_999_999},
		{"-999999999.999", -999_999_999_999},
		{"123456789.000", 123_456_789_000},
	}
	for _, tt := range good {
		got, err := ParseKWh(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseKWh(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	bad := []string{
		"", "1", "1.", ".000", "-.001", "1.23", "1.2345", "1e3", "1.0e3", "+1.000", " 1.000", "1.000 ",
		"1234567890.000", "-1234567890.000", "--1.000", "-", "1,000", "1.00a", "a.000", "1.-00",
		"１.000", "0x1.000", "1_0.000", "NaN", "Inf", "1.000\n",
	}
	for _, s := range bad {
		if got, err := ParseKWh(s); !errors.Is(err, ErrEnergyFormat) {
			t.Errorf("ParseKWh(%q) = %d, %v; want ErrEnergyFormat", s, got, err)
		}
	}
}

func TestEnergyKWh(t *testing.T) {
	tests := []struct {
		in   Energy
		want string
	}{
		{0, "0.000"},
		{1, "0.001"},
		{-1, "-0.001"},
		{12345, "12.345"},
		{-12345, "-12.345"},
		{1000, "1.000"},
		{-1000, "-1.000"},
		{10, "0.010"},
		{999_999_999_999, "999999999.999"},
		{1_000_000_000_000, "1000000000.000"}, // beyond the wire range
		{math.MaxInt64, "9223372036854775.807"},
		{math.MinInt64, "-9223372036854775.808"},
	}
	for _, tt := range tests {
		if got := tt.in.KWh(); got != tt.want {
			t.Errorf("Energy(%d).KWh() = %q, want %q", tt.in, got, tt.want)
		}
		if tt.in.String() != tt.want || tt.in.Wh() != int64(tt.in) {
			t.Errorf("Energy(%d): String %q, Wh %d", tt.in, tt.in.String(), tt.in.Wh())
		}
	}
}

func TestEnergyRoundTrip(t *testing.T) {
	const max = 999_999_999_999
	r := rand.New(rand.NewPCG(3, 4))
	values := []Energy{0, 1, -1, max, -max, 999, -999, 1000, -1000}
	for range 50000 {
		values = append(values, Energy(r.Int64N(2*max+1)-max))
	}
	for _, e := range values {
		s := e.KWh()
		got, err := ParseKWh(s)
		if err != nil || got != e {
			t.Fatalf("ParseKWh(%q) = %d, %v; want %d", s, got, err, e)
		}
	}
	if _, err := ParseKWh(Energy(max + 1).KWh()); !errors.Is(err, ErrEnergyFormat) {
		t.Errorf("value beyond the wire range parsed: %v", err)
	}
}

// canonicalKWh strips leading integer zeros and the sign of zero from a
// wire value, giving the form KWh produces.
func canonicalKWh(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	s = strings.TrimLeft(s, "0")
	if strings.HasPrefix(s, ".") {
		s = "0" + s
	}
	if neg && s != "0.000" {
		s = "-" + s
	}
	return s
}

func FuzzParseKWh(f *testing.F) {
	for _, s := range []string{"12.345", "-0.001", "0.000", "-0.000", "007.000", "999999999.999", "1.23", "1e3", "+1.000", "1234567890.000"} {
		f.Add(s)
	}
	for _, s := range []string{"-", ".000", "1.", "-.001", "1.0000", "0001234567.000", "12.34٥", "1.2a4", "--1.000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseKWh(s)
		want, ok := referenceKWh(s)
		if err != nil {
			if !errors.Is(err, ErrEnergyFormat) {
				t.Fatalf("ParseKWh(%q): unexpected error %v", s, err)
			}
			if ok {
				t.Fatalf("ParseKWh(%q) = %v; the reference reads %d Wh", s, err, want)
			}
			return
		}
		if !ok || e != want {
			t.Fatalf("ParseKWh(%q) = %d Wh; the reference reads %d Wh, accepted %v", s, e, want, ok)
		}
		// Formatting gives the input back, identical up to the leading
		// zeros and negative zero the wire pattern allows.
		if got, want := e.KWh(), canonicalKWh(s); got != want {
			t.Fatalf("ParseKWh(%q).KWh() = %q, want %q", s, got, want)
		}
		if again, err := ParseKWh(e.KWh()); err != nil || again != e {
			t.Fatalf("ParseKWh(%q) = %d, %v; want %d", e.KWh(), again, err, e)
		}
	})
}

// kWhPattern is the wire pattern of a consumption value in the contract.
var kWhPattern = regexp.MustCompile(`^-?[0-9]{1,9}\.[0-9]{3}$`)

// referenceKWh is a second reading of the wire form, for the fuzz target:
// the contract's pattern, then the exact decimal value with math/big, times
// 1000. It reports whether s is a value of the wire form.
func referenceKWh(s string) (Energy, bool) {
	if !kWhPattern.MatchString(s) {
		return 0, false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, false
	}
	r.Mul(r, big.NewRat(1000, 1))
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return Energy(r.Num().Int64()), true
}
