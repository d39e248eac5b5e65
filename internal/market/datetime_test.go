package market

import (
	"errors"
	"regexp"
	"strconv"
	"testing"
	"time"
)

func TestParseDateTime(t *testing.T) {
	good := []struct {
		in     string
		utc    string // the instant in RFC 3339 UTC
		offset int    // seconds east of UTC
	}{
		{"2025-04-01T00:00:00+01:00", "2025-03-31T23:00:00Z", 3600},
		{"2025-01-01T00:00:00+00:00", "2025-01-01T00:00:00Z", 0},
		{"2025-01-01T00:00:00-00:00", "2025-01-01T00:00:00Z", 0},
		{"2024-02-29T23:59:59-05:30", "2024-03-01T05:29:59Z", -19800},
		{"2025-06-30T12:00:00+14:00", "2025-06-29T22:00:00Z", 50400},
		{"2025-06-30T12:00:00+14:59", "2025-06-29T21:01:00Z", 53940},
		{"2025-06-30T12:00:00-14:00", "2025-07-01T02:00:00Z", -50400},
		{"0000-01-01T00:00:00+00:00", "0000-01-01T00:00:00Z", 0},
		{"9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59Z", 0},
	}
	for _, tt := range good {
		got, err := ParseDateTime(tt.in)
		if err != nil {
			t.Errorf("ParseDateTime(%q): %v", tt.in, err)
			continue
		}
		if s := got.UTC().Format(time.RFC3339); s != tt.utc {
			t.Errorf("ParseDateTime(%q) = %s UTC, want %s", tt.in, s, tt.utc)
		}
		if _, off := got.Zone(); off != tt.offset {
			t.Errorf("ParseDateTime(%q) offset = %d, want %d", tt.in, off, tt.offset)
		}
	}
	bad := []string{
		"",
		"2025-04-01T00:00:00Z",
		"2025-04-01T00:00:00+0100",
		"2025-04-01T00:00:00.000+01:00",
		"2025-04-01T00:00:00+01",
		"2025-04-01 00:00:00+01:00",
		"2025-04-01t00:00:00+01:00",
		"2025-04-01T00:00:00 01:00",
		"2025-04-01T00:00:00+01:00 ",
		" 2025-04-01T00:00:0+01:00",
		"2025-4-01T00:00:00+001:00",
		"2025-13-01T00:00:00+00:00",
		"2025-00-01T00:00:00+00:00",
		"2025-02-29T00:00:00+00:00",
		"2025-04-31T00:00:00+00:00",
		"2025-04-00T00:00:00+00:00",
		"2025-04-01T24:00:00+00:00",
		"2025-04-01T00:60:00+00:00",
		"2025-04-01T00:00:60+00:00",
		"2025-04-01T00:00:00+15:00",
		"2025-04-01T00:00:00+01:60",
		"2025-04-01T00:00:00+99:00",
		"２025-04-01T00:00:00+00:00",
		"2025-04-01T00:00:00+0a:00",
		"+025-04-01T00:00:00+00:00",
	}
	for _, s := range bad {
		if got, err := ParseDateTime(s); !errors.Is(err, ErrDateTime) {
			t.Errorf("ParseDateTime(%q) = %v, %v; want ErrDateTime", s, got, err)
		}
	}
}

func TestFormatDateTime(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), "2025-04-01T00:00:00+00:00"},
		{time.Date(2025, 4, 1, 0, 0, 0, 0, London()), "2025-04-01T00:00:00+01:00"},
		{time.Date(2025, 1, 1, 0, 0, 0, 0, London()), "2025-01-01T00:00:00+00:00"},
		{time.Date(2025, 1, 1, 0, 0, 0, 999_999_999, time.UTC), "2025-01-01T00:00:00+00:00"},
		{time.Date(2025, 1, 1, 0, 0, 0, 0, time.FixedZone("", -(5*3600+30*60))), "2025-01-01T00:00:00-05:30"},
	}
	for _, tt := range tests {
		if got := FormatDateTime(tt.in); got != tt.want {
			t.Errorf("FormatDateTime(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{
		"2025-04-01T00:00:00+01:00", "2025-01-01T00:00:00-00:00", "2025-04-01T00:00:00Z",
		"2024-02-29T23:59:59-14:59", "2025-02-29T00:00:00+00:00", "",
	} {
		f.Add(s)
	}
	for _, s := range []string{
		"2025-04-01T24:00:00+00:00", "2025-04-01T23:60:00+00:00", "2025-04-01T23:00:60+00:00",
		"2025-04-31T00:00:00+00:00", "2025-13-01T00:00:00+00:00", "2025-04-01T00:00:00+15:00",
		"2025-04-01T00:00:00+14:60", "2024-12-31T23:59:59+14:59", "2100-02-29T00:00:00+00:00",
		"2000-02-29T00:00:00+00:00", "2025-04-01T00:00:00.000+01:00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseDateTime(s)
		ref, ok := referenceDateTime(s)
		if err != nil {
			if !errors.Is(err, ErrDateTime) {
				t.Fatalf("ParseDateTime(%q): unexpected error %v", s, err)
			}
			if ok {
				t.Fatalf("ParseDateTime(%q) = %v; the reference reads %v", s, err, ref)
			}
			return
		}
		if !ok {
			t.Fatalf("ParseDateTime(%q) = %v; the reference rejects it", s, tm)
		}
		_, off := tm.Zone()
		if _, refOff := ref.Zone(); !tm.Equal(ref) || off != refOff {
			t.Fatalf("ParseDateTime(%q) = %v; the reference reads %v", s, tm, ref)
		}
		out := FormatDateTime(tm)
		want := s
		if s[19:] == "-00:00" {
			want = s[:19] + "+00:00"
		}
		if out != want {
			t.Fatalf("FormatDateTime(ParseDateTime(%q)) = %q", s, out)
		}
		// The standard library agrees on the instant.
		std, err := time.Parse(time.RFC3339, s)
		if err != nil || !std.Equal(tm) {
			t.Fatalf("time.Parse(%q) = %v, %v; ParseDateTime = %v", s, std, err, tm)
		}
	})
}

// dateTimePattern is DT-003: 25 characters with a numeric offset.
var dateTimePattern = regexp.MustCompile(`^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})([+-])([0-9]{2}):([0-9]{2})$`)

// referenceDateTime is a second reading of the wire date-time, for the fuzz
// target: the pattern, then each field checked against its range, the day
// by asking the standard library whether the date survives normalisation.
func referenceDateTime(s string) (time.Time, bool) {
	m := dateTimePattern.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	n := make([]int, len(m))
	for i, f := range m[1:] {
		if f == "+" || f == "-" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil {
			return time.Time{}, false
		}
		n[i+1] = v
	}
	year, month, day, hour, minute, sec, oh, om := n[1], time.Month(n[2]), n[3], n[4], n[5], n[6], n[8], n[9]
	if d := time.Date(year, month, day, 0, 0, 0, 0, time.UTC); d.Year() != year || d.Month() != month || d.Day() != day {
		return time.Time{}, false
	}
	if hour > 23 || minute > 59 || sec > 59 || oh > 14 || om > 59 {
		return time.Time{}, false
	}
	off := oh*3600 + om*60
	if m[7] == "-" {
		off = -off
	}
	return time.Date(year, month, day, hour, minute, sec, 0, time.FixedZone("", off)), true
}
