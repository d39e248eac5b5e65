package isd

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"

	"github.com/mhhs/mhhs/internal/market"
)

// Factor is a non-negative decimal with exactly six decimal places, held
// exactly as an integer number of millionths: 1.045123 is 1045123. Line
// loss factors and GSP group correction scaling weights are Factors. No
// floating point is involved.
type Factor int32

// FactorOne is the factor 1.000000.
const FactorOne Factor = 1_000_000

// MaxFactor is the largest factor the wire form can carry, 999.999999.
const MaxFactor Factor = 999_999_999

// ParseFactor parses the wire form of a factor: one to three integer digits,
// a point and exactly six decimals, as in "1.045123" or "0.000000". Signs,
// exponents, spaces and any other number of decimals return ErrFactor.
func ParseFactor(s string) (Factor, error) {
	dot := len(s) - 7
	if dot < 1 || dot > 3 || s[dot] != '.' {
		return 0, fmt.Errorf("want digits, a point and exactly 6 decimals: %w", ErrFactor)
	}
	var v int32
	for i := 0; i < len(s); i++ {
		if i == dot {
			continue
		}
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("want digits, a point and exactly 6 decimals: %w", ErrFactor)
		}
		v = v*10 + int32(c-'0')
	}
	return Factor(v), nil
}

// String returns the wire form of f with exactly six decimals: 1045123 is
// "1.045123". A negative f, which ParseFactor never returns, is formatted
// with a leading minus sign.
func (f Factor) String() string {
	return string(f.AppendText(nil))
}

// AppendText appends the wire form of f to b.
func (f Factor) AppendText(b []byte) []byte {
	v := int64(f)
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	b = strconv.AppendInt(b, v/1_000_000, 10)
	frac := v % 1_000_000
	b = append(b, '.')
	for div := int64(100_000); div > 0; div /= 10 {
		b = append(b, byte('0'+frac/div%10))
	}
	return b
}

// MarshalText implements encoding.TextMarshaler with the wire form.
func (f Factor) MarshalText() ([]byte, error) { return f.AppendText(nil), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseFactor.
func (f *Factor) UnmarshalText(b []byte) error {
	v, err := ParseFactor(string(b))
	if err != nil {
		return fmt.Errorf("isd: factor %q: %w", b, err)
	}
	*f = v
	return nil
}

// Millionths returns f as an integer number of millionths.
func (f Factor) Millionths() int64 { return int64(f) }

// Scale returns e × f rounded to the nearest watt-hour, halves away from
// zero. Results beyond the range of Energy saturate.
func (f Factor) Scale(e market.Energy) market.Energy {
	return mulRound(int64(e), int64(f))
}

// Losses returns the losses for metered energy e at line loss factor f:
// e × (f − 1), rounded to the nearest watt-hour, halves away from zero. A
// factor of 1.045000 on 1000 Wh gives 45 Wh. Results beyond the range of
// Energy saturate.
func (f Factor) Losses(e market.Energy) market.Energy {
	return mulRound(int64(e), int64(f)-int64(FactorOne))
}

// mulRound returns a × m / 1e6 rounded half away from zero, saturating.
func mulRound(a, m int64) market.Energy {
	neg := (a < 0) != (m < 0)
	ua, um := absU(a), absU(m)
	hi, lo := bits.Mul64(ua, um)
	lo, carry := bits.Add64(lo, 500_000, 0)
	hi += carry
	if hi >= 1_000_000 {
		return saturate(neg)
	}
	q, _ := bits.Div64(hi, lo, 1_000_000)
	if q > math.MaxInt64 {
		return saturate(neg)
	}
	if neg {
		return market.Energy(-int64(q))
	}
	return market.Energy(q)
}

func absU(v int64) uint64 {
	if v < 0 {
		return uint64(-v)
	}
	return uint64(v)
}

func saturate(neg bool) market.Energy {
	if neg {
		return market.Energy(math.MinInt64)
	}
	return market.Energy(math.MaxInt64)
}
