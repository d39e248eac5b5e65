package market

import (
	"fmt"
	"time"
)

// dateTimeLayout is the wire date-time form (DT-003): 25 characters with a
// numeric offset.
const dateTimeLayout = "2006-01-02T15:04:05-07:00"

// ParseDateTime parses the wire date-time form "2006-01-02T15:04:05-07:00":
// exactly 25 characters, a numeric offset (never "Z"), no fractional
// seconds. The fields must name a real instant: month 01..12, a day that
// exists in that month, hour 00..23, minute and second 00..59, offset
// hours 00..14 and offset minutes 00..59. "-00:00" is accepted as UTC.
// The result carries the parsed offset as a fixed zone; call UTC or In to
// change it. It returns ErrDateTime for anything else.
func ParseDateTime(s string) (time.Time, error) {
	bad := func(why string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("market: date-time %s: %s: %w", quote(s), why, ErrDateTime)
	}
	if len(s) != len(dateTimeLayout) {
		return bad("want 25 characters like 2006-01-02T15:04:05+01:00")
	}
	for i := 0; i < len(s); i++ {
		c, l := s[i], dateTimeLayout[i]
		switch {
		case l >= '0' && l <= '9':
			if c < '0' || c > '9' {
				return bad("want 25 characters like 2006-01-02T15:04:05+01:00")
			}
		case l == '-' && i == 19:
			if c != '+' && c != '-' {
				return bad("want a numeric offset")
			}
		case c != l:
			return bad("want 25 characters like 2006-01-02T15:04:05+01:00")
		}
	}
	year, month, day := atoi(s[0:4]), atoi(s[5:7]), atoi(s[8:10])
	hour, minute, sec := atoi(s[11:13]), atoi(s[14:16]), atoi(s[17:19])
	oh, om := atoi(s[20:22]), atoi(s[23:25])
	switch {
	case month < 1 || month > 12 || day < 1 || day > daysIn(year, time.Month(month)):
		return bad("no such day")
	case hour > 23 || minute > 59 || sec > 59:
		return bad("no such time of day")
	case oh > 14 || om > 59:
		return bad("offset out of range")
	}
	off := (oh*60 + om) * 60
	if s[19] == '-' {
		off = -off
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.FixedZone("", off)), nil
}

// FormatDateTime formats t in the wire form "2006-01-02T15:04:05-07:00"
// using t's own offset: UTC is "+00:00", never "Z". Fractional seconds are
// dropped (truncated), as are the seconds of historical offsets that have
// them. The result is 25 characters for years 0000..9999.
func FormatDateTime(t time.Time) string {
	return t.Format(dateTimeLayout)
}

// DateTime is an instant as the DIP's messages carry it (DT-003): the
// 25-character wire form with a numeric offset, whole seconds. It keeps the
// offset it was made or parsed with, so that a local-midnight effective
// date written as 2025-04-01T00:00:00+01:00 reads back the same. The zero
// DateTime is no instant: it does not encode (MarshalText fails), so a
// required date-time left unset cannot produce a message.
type DateTime struct{ t time.Time }

// At returns t as a DateTime, truncated to whole seconds, keeping t's
// location and so its offset.
func At(t time.Time) DateTime { return DateTime{t.Truncate(time.Second)} }

// MidnightOf returns the start of day d on the Europe/London clock: the
// form of every effective-from and effective-to date of registration data
// (reference §8: appointment and effective dates are local midnight).
func MidnightOf(d SettlementDate) DateTime { return DateTime{LocalMidnight(d)} }

// PeriodStartOf returns the start of UTC settlement period p of UTC day d,
// in UTC: the form of a consumption period's sp (B047.sp is the start of
// its half hour, as IF-021's first period of a day is the day's UTC
// midnight).
func PeriodStartOf(d SettlementDate, p int) DateTime { return DateTime{d.UTCPeriodStart(p)} }

// Time returns the instant.
func (d DateTime) Time() time.Time { return d.t }

// IsZero reports whether d is the zero DateTime.
func (d DateTime) IsZero() bool { return d.t.IsZero() }

// Equal reports whether d and e are the same instant, whatever their
// offsets.
func (d DateTime) Equal(e DateTime) bool { return d.t.Equal(e.t) }

// LocalDate returns the Europe/London calendar date of d.
func (d DateTime) LocalDate() SettlementDate { return FromTime(d.t.In(London())) }

// UTCDate returns the UTC calendar date of d.
func (d DateTime) UTCDate() SettlementDate { return FromTime(d.t.UTC()) }

// String returns the wire form, or "" for the zero DateTime.
func (d DateTime) String() string {
	if d.t.IsZero() {
		return ""
	}
	return FormatDateTime(d.t)
}

// MarshalText returns the wire form. The zero DateTime returns ErrDateTime.
func (d DateTime) MarshalText() ([]byte, error) {
	if d.t.IsZero() {
		return nil, fmt.Errorf("market: date-time not set: %w", ErrDateTime)
	}
	return []byte(FormatDateTime(d.t)), nil
}

// UnmarshalText parses the wire form as ParseDateTime does.
func (d *DateTime) UnmarshalText(b []byte) error {
	t, err := ParseDateTime(string(b))
	if err != nil {
		return err
	}
	d.t = t
	return nil
}
