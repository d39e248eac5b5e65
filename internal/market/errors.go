package market

import (
	"errors"
	"strconv"
)

// Sentinel errors returned, wrapped with context, by the parsers of this
// package. Test for them with errors.Is.
var (
	// ErrMPANFormat reports an MPAN core that is not exactly 13 ASCII
	// digits, or an MPAN part (prefix, distributor id, unique number) of
	// the wrong shape.
	ErrMPANFormat = errors.New("malformed MPAN core")
	// ErrMPANCheckDigit reports a well-formed MPAN core whose 13th digit
	// does not match the check digit computed from the first 12.
	ErrMPANCheckDigit = errors.New("MPAN core check digit mismatch")
	// ErrDIPID reports a malformed DIP participant id.
	ErrDIPID = errors.New("malformed DIP participant id")
	// ErrMPID reports a malformed market participant id.
	ErrMPID = errors.New("malformed market participant id")
	// ErrRole reports an unknown role code.
	ErrRole = errors.New("unknown role code")
	// ErrGSPGroup reports an unknown GSP group.
	ErrGSPGroup = errors.New("unknown GSP group")
	// ErrCode reports a value outside one of the enumerations of this
	// package (market segment, energisation status, connection type,
	// measurement quantity).
	ErrCode = errors.New("unknown code")
	// ErrDate reports a malformed or impossible civil date.
	ErrDate = errors.New("malformed date")
	// ErrDateTime reports a date-time that is not the exact 25-character
	// wire form or is not a real instant.
	ErrDateTime = errors.New("malformed date-time")
	// ErrPeriod reports a settlement period number outside its day.
	ErrPeriod = errors.New("settlement period out of range")
	// ErrEnergyFormat reports an energy value that is not the exact kWh
	// wire form with three decimals.
	ErrEnergyFormat = errors.New("malformed energy value")
)

// quote quotes s for an error message, cutting long participant input short.
func quote(s string) string {
	const max = 40
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}

// allDigits reports whether s is non-empty and made only of ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
