package market

import (
	"fmt"
	"strconv"
)

// MPAN is an MPAN core: the 13-digit Meter Point Administration Number
// made of a 2-digit distributor id, a 10-digit unique number and a check
// digit. Values produced by ParseMPAN and NewMPAN are always valid; a
// conversion such as MPAN(s) is not checked.
type MPAN string

// MPANCheckDigit returns the check digit, as an ASCII byte '0'..'9', of an
// MPAN core whose first 12 digits are first12. Each digit is multiplied by
// the prime weights 3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43; the sum is
// taken mod 11 and then mod 10. It returns ErrMPANFormat if first12 is not
// exactly 12 ASCII digits.
func MPANCheckDigit(first12 string) (byte, error) {
	if len(first12) != 12 || !allDigits(first12) {
		return 0, fmt.Errorf("market: MPAN prefix %s: want 12 digits: %w", quote(first12), ErrMPANFormat)
	}
	weights := [12]int{3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43}
	sum := 0
	for i, w := range weights {
		sum += int(first12[i]-'0') * w
	}
	return byte('0' + sum%11%10), nil
}

// ParseMPAN parses an MPAN core. It returns ErrMPANFormat unless s is
// exactly 13 ASCII digits and ErrMPANCheckDigit if the last digit is not
// the check digit of the first 12.
func ParseMPAN(s string) (MPAN, error) {
	if len(s) != 13 || !allDigits(s) {
		return "", fmt.Errorf("market: MPAN %s: want 13 digits: %w", quote(s), ErrMPANFormat)
	}
	want, _ := MPANCheckDigit(s[:12]) // cannot fail: 12 digits
	if s[12] != want {
		return "", fmt.Errorf("market: MPAN %s: check digit %c, want %c: %w", quote(s), s[12], want, ErrMPANCheckDigit)
	}
	return MPAN(s), nil
}

// ValidMPAN reports whether s is a valid MPAN core.
func ValidMPAN(s string) bool {
	_, err := ParseMPAN(s)
	return err == nil
}

// maxMPANUnique is the largest 10-digit unique number of an MPAN core.
const maxMPANUnique = 9_999_999_999

// NewMPAN builds the MPAN core made of the 2-digit distributorID (0..99,
// zero-padded), the 10-digit unique number (0..9999999999, zero-padded) and
// the computed check digit. It returns ErrMPANFormat if either part is out
// of range.
func NewMPAN(distributorID int, unique uint64) (MPAN, error) {
	if distributorID < 0 || distributorID > 99 {
		return "", fmt.Errorf("market: MPAN distributor id %d: want 0..99: %w", distributorID, ErrMPANFormat)
	}
	if unique > maxMPANUnique {
		return "", fmt.Errorf("market: MPAN unique number %d: want at most 10 digits: %w", unique, ErrMPANFormat)
	}
	b := make([]byte, 0, 13)
	if distributorID < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, int64(distributorID), 10)
	u := strconv.FormatUint(unique, 10)
	for range 10 - len(u) {
		b = append(b, '0')
	}
	b = append(b, u...)
	c, err := MPANCheckDigit(string(b))
	if err != nil {
		return "", err
	}
	return MPAN(append(b, c)), nil
}

// DistributorID returns the first two digits of m, the id of the
// distributor (or IDNO) that issued it, or "" if m is shorter than two
// bytes.
func (m MPAN) DistributorID() string {
	if len(m) < 2 {
		return ""
	}
	return string(m[:2])
}

// String returns the 13 digits of m.
func (m MPAN) String() string { return string(m) }
