package isd

import (
	"errors"
	"math"
	"testing"

	"github.com/mhhs/mhhs/internal/market"
)

func TestParseFactor(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Factor
	}{
		{"1.045123", 1_045_123},
		{"0.000000", 0},
		{"1.000000", FactorOne},
		{"999.999999", MaxFactor},
		{"01.500000", 1_500_000},
	} {
		got, err := ParseFactor(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseFactor(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "1", "1.04", "1.0451230", "1.04512", "-1.045123", "+1.045123",
		" 1.045123", "1.045123 ", "1,045123", "1e0", ".045123", "1000.000000", "1.04512x", "1..45123"} {
		if _, err := ParseFactor(in); !errors.Is(err, ErrFactor) {
			t.Errorf("ParseFactor(%q) error = %v, want ErrFactor", in, err)
		}
	}
}

func TestFactorString(t *testing.T) {
	for _, tt := range []struct {
		f    Factor
		want string
	}{
		{1_045_123, "1.045123"},
		{0, "0.000000"},
		{7, "0.000007"},
		{MaxFactor, "999.999999"},
		{-1_500_000, "-1.500000"},
	} {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("Factor(%d).String() = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestFactorLosses(t *testing.T) {
	for _, tt := range []struct {
		f    Factor
		e    market.Energy
		want market.Energy
	}{
		{1_045_000, 1000, 45},
		{1_045_123, 1000, 45},  // 45.123
		{1_000_500, 1000, 1},   // 0.5 rounds away from zero
		{1_000_500, -1000, -1}, // and so does -0.5
		{1_000_499, 1000, 0},
		{999_000, 1000, -1}, // a factor below one: negative losses
		{FactorOne, 123456789, 0},
		{1_100_000, math.MaxInt64, 922337203685477581}, // no overflow in the product
	} {
		if got := tt.f.Losses(tt.e); got != tt.want {
			t.Errorf("Factor(%s).Losses(%d) = %d, want %d", tt.f, tt.e, got, tt.want)
		}
	}
	if got := Factor(2_000_000).Scale(market.Energy(math.MaxInt64)); got != math.MaxInt64 {
		t.Errorf("Scale overflow = %d, want saturation", got)
	}
	if got := Factor(2_000_000).Scale(-3); got != -6 {
		t.Errorf("Scale(-3) = %d, want -6", got)
	}
}

func FuzzParseFactor(f *testing.F) {
	for _, s := range []string{"1.045123", "0.000000", "999.999999", "1.04", "-1.000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseFactor(s)
		if err != nil {
			return
		}
		if v < 0 || v > MaxFactor {
			t.Fatalf("ParseFactor(%q) = %d, out of range", s, v)
		}
		back, err := ParseFactor(v.String())
		if err != nil || back != v {
			t.Fatalf("round trip of %q: %q -> %d, %v", s, v.String(), back, err)
		}
	})
}
