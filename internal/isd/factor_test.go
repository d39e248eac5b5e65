package isd

import (
	"errors"
	"math"
	"math/big"
	"regexp"
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
	for _, s := range []string{"1.045123", "0.000000", "999.999999", "1.04", "-1.000000",
		"1000.000000", "01.500000", ".045123", "1.0451230", "1.04512x", "1..45123", "١.000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseFactor(s)
		want, ok := referenceFactor(s)
		if err != nil {
			if !errors.Is(err, ErrFactor) {
				t.Fatalf("ParseFactor(%q): unexpected error %v", s, err)
			}
			if ok {
				t.Fatalf("ParseFactor(%q) = %v; the reference reads %d", s, err, want)
			}
			return
		}
		if !ok || v != want {
			t.Fatalf("ParseFactor(%q) = %d; the reference reads %d, accepted %v", s, v, want, ok)
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

// factorPattern is the wire form of a factor: one to three integer digits
// and exactly six decimals.
var factorPattern = regexp.MustCompile(`^[0-9]{1,3}\.[0-9]{6}$`)

// referenceFactor is a second reading of the wire form, for the fuzz
// target: the pattern, then the exact decimal value with math/big, in
// millionths. It reports whether s is a factor.
func referenceFactor(s string) (Factor, bool) {
	if !factorPattern.MatchString(s) {
		return 0, false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, false
	}
	r.Mul(r, big.NewRat(1_000_000, 1))
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return Factor(r.Num().Int64()), true
}

// FuzzFactorScale compares Scale and Losses with the same arithmetic done
// in math/big: e × f / 10⁶ (and e × (f − 10⁶) / 10⁶) rounded half away from
// zero, saturating at the range of Energy.
func FuzzFactorScale(f *testing.F) {
	for _, c := range []struct {
		f Factor
		e int64
	}{
		{1_045_123, 1000}, {1_000_500, -1000}, {1_000_499, 1000}, {999_000, 1000}, {0, -5},
		{MaxFactor, math.MaxInt64}, {MaxFactor, math.MinInt64}, {2_000_000, math.MaxInt64 / 2},
		{2_000_000, math.MinInt64}, {-2_000_000, math.MinInt64}, {1, 499_999}, {1, 500_000}, {1, -500_000}, {500_000, 1}, {500_000, -1},
	} {
		f.Add(int32(c.f), c.e)
	}
	f.Fuzz(func(t *testing.T, fv int32, e int64) {
		fac := Factor(fv)
		if got, want := fac.Scale(market.Energy(e)), referenceMulRound(e, int64(fv)); got != want {
			t.Fatalf("Factor(%d).Scale(%d) = %d, want %d", fv, e, got, want)
		}
		if got, want := fac.Losses(market.Energy(e)), referenceMulRound(e, int64(fv)-1_000_000); got != want {
			t.Fatalf("Factor(%d).Losses(%d) = %d, want %d", fv, e, got, want)
		}
	})
}

// referenceMulRound returns a × m / 10⁶ rounded half away from zero, in
// math/big, saturated to the range of Energy.
func referenceMulRound(a, m int64) market.Energy {
	p := new(big.Int).Mul(big.NewInt(a), big.NewInt(m))
	neg := p.Sign() < 0
	p.Abs(p)
	q, r := new(big.Int).QuoRem(p, big.NewInt(1_000_000), new(big.Int))
	if r.Cmp(big.NewInt(500_000)) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	switch {
	case q.Cmp(big.NewInt(math.MaxInt64)) > 0:
		return math.MaxInt64
	case q.Cmp(big.NewInt(math.MinInt64)) < 0:
		return math.MinInt64
	}
	return market.Energy(q.Int64())
}
