package market

import (
	"fmt"
	"strconv"
)

// Energy is an amount of energy in watt-hours (or of reactive energy in
// VArh), exact: the wire form has three decimal places of kWh, so one
// watt-hour is its resolution. No floating point is involved.
type Energy int64

// ParseKWh parses the wire form of a consumption value: kWh (or kVArh) with
// exactly three decimals, matching ^-?\d{1,9}\.\d{3}$, so "12.345" is 12345
// Wh and "-0.001" is -1 Wh. Everything the pattern accepts is accepted,
// including leading zeros ("007.000") and "-0.000"; KWh formats those
// canonically. Anything else, such as "1.23", "1e3", "+1.000", " 1.000" or
// "1234567890.000", returns ErrEnergyFormat.
func ParseKWh(s string) (Energy, error) {
	digits := s
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	dot := len(digits) - 4
	if dot < 1 || dot > 9 || digits[dot] != '.' || !allDigits(digits[:dot]) || !allDigits(digits[dot+1:]) {
		return 0, fmt.Errorf("market: energy %s: want kWh like 12.345: %w", quote(s), ErrEnergyFormat)
	}
	var wh int64
	for i := 0; i < len(digits); i++ {
		if i != dot {
			wh = wh*10 + int64(digits[i]-'0')
		}
	}
	if len(digits) != len(s) {
		wh = -wh
	}
	return Energy(wh), nil
}

// KWh formats e as kWh with exactly three decimals: 12345 Wh is "12.345",
// -1 Wh is "-0.001" and 0 is "0.000". Values beyond the wire range
// (more than 9 integer digits of kWh) are formatted the same way, so they
// format correctly but ParseKWh rejects them.
func (e Energy) KWh() string {
	u := uint64(e)
	neg := e < 0
	if neg {
		u = -u // two's complement magnitude, exact even for math.MinInt64
	}
	b := make([]byte, 0, 24)
	if neg {
		b = append(b, '-')
	}
	b = strconv.AppendUint(b, u/1000, 10)
	f := u % 1000
	b = append(b, '.', byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10))
	return string(b)
}

// Wh returns e in watt-hours.
func (e Energy) Wh() int64 { return int64(e) }

// String returns e.KWh().
func (e Energy) String() string { return e.KWh() }

// MarshalText returns the wire form, e.KWh(), so that a message field of
// type Energy encodes as the kWh string the contract requires.
func (e Energy) MarshalText() ([]byte, error) { return []byte(e.KWh()), nil }

// UnmarshalText parses the wire form as ParseKWh does.
func (e *Energy) UnmarshalText(b []byte) error {
	v, err := ParseKWh(string(b))
	if err != nil {
		return err
	}
	*e = v
	return nil
}
