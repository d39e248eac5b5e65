package market

import (
	"errors"
	"testing"
	"time"
)

// lastSunday returns the last Sunday of month m in year y, computed with
// the time package.
func lastSunday(y int, m time.Month) SettlementDate {
	t := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC)
	for t.Weekday() != time.Sunday {
		t = t.AddDate(0, 0, -1)
	}
	return FromTime(t)
}

func TestUTCPeriods(t *testing.T) {
	d := date(2025, 3, 30)
	tests := []struct {
		p    int
		want string
	}{
		{1, "2025-03-30T00:00:00Z"},
		{2, "2025-03-30T00:30:00Z"},
		{3, "2025-03-30T01:00:00Z"},
		{48, "2025-03-30T23:30:00Z"},
		{49, "2025-03-31T00:00:00Z"}, // extrapolated
		{0, "2025-03-29T23:30:00Z"},  // extrapolated
	}
	for _, tt := range tests {
		got := d.UTCPeriodStart(tt.p)
		if got.Format(time.RFC3339) != tt.want || got.Location() != time.UTC {
			t.Errorf("UTCPeriodStart(%d) = %v, want %s", tt.p, got, tt.want)
		}
		if end := d.UTCPeriodEnd(tt.p); end.Sub(got) != PeriodDuration {
			t.Errorf("UTCPeriodEnd(%d) = %v", tt.p, end)
		}
	}
	ofTests := []struct {
		in    time.Time
		wantD SettlementDate
		wantP int
	}{
		{time.Date(2025, 3, 30, 0, 0, 0, 0, time.UTC), date(2025, 3, 30), 1},
		{time.Date(2025, 3, 30, 0, 29, 59, 999999999, time.UTC), date(2025, 3, 30), 1},
		{time.Date(2025, 3, 30, 0, 30, 0, 0, time.UTC), date(2025, 3, 30), 2},
		{time.Date(2025, 3, 30, 23, 59, 59, 0, time.UTC), date(2025, 3, 30), 48},
		// 00:15 BST on 1 July is 23:15 UTC on 30 June.
		{time.Date(2025, 7, 1, 0, 15, 0, 0, London()), date(2025, 6, 30), 47},
	}
	for _, tt := range ofTests {
		if d, p := UTCPeriodOf(tt.in); d != tt.wantD || p != tt.wantP {
			t.Errorf("UTCPeriodOf(%v) = %v, %d; want %v, %d", tt.in, d, p, tt.wantD, tt.wantP)
		}
	}
}

func TestClockPeriodsTable(t *testing.T) {
	tests := []struct {
		d SettlementDate
		n int
	}{
		{date(2025, 3, 29), 48},
		{date(2025, 3, 30), 46},
		{date(2025, 3, 31), 48},
		{date(2025, 10, 25), 48},
		{date(2025, 10, 26), 50},
		{date(2025, 10, 27), 48},
		{date(2024, 3, 31), 46},
		{date(2024, 10, 27), 50},
		{date(2026, 3, 29), 46},
		{date(2026, 10, 25), 50},
		{date(2025, 6, 21), 48},
		{date(2025, 12, 21), 48},
	}
	for _, tt := range tests {
		if got := ClockPeriods(tt.d); got != tt.n {
			t.Errorf("ClockPeriods(%v) = %d, want %d", tt.d, got, tt.n)
		}
	}
}

func TestClockPeriodStartTable(t *testing.T) {
	tests := []struct {
		d    SettlementDate
		p    int
		want string // UTC
	}{
		{date(2025, 1, 15), 1, "2025-01-15T00:00:00Z"},
		{date(2025, 7, 15), 1, "2025-07-14T23:00:00Z"},
		{date(2025, 7, 15), 48, "2025-07-15T22:30:00Z"},
		// Spring: 01:00 GMT becomes 02:00 BST; period 3 starts at 02:00 BST.
		{date(2025, 3, 30), 2, "2025-03-30T00:30:00Z"},
		{date(2025, 3, 30), 3, "2025-03-30T01:00:00Z"},
		{date(2025, 3, 30), 46, "2025-03-30T22:30:00Z"},
		// Autumn: 02:00 BST becomes 01:00 GMT; periods 3-4 and 5-6 share a clock hour.
		{date(2025, 10, 26), 1, "2025-10-25T23:00:00Z"},
		{date(2025, 10, 26), 3, "2025-10-26T00:00:00Z"},
		{date(2025, 10, 26), 5, "2025-10-26T01:00:00Z"},
		{date(2025, 10, 26), 50, "2025-10-26T23:30:00Z"},
	}
	for _, tt := range tests {
		got := ClockPeriodStart(tt.d, tt.p)
		if got.Format(time.RFC3339) != tt.want {
			t.Errorf("ClockPeriodStart(%v, %d) = %v, want %s", tt.d, tt.p, got, tt.want)
		}
		if d, p := ClockPeriodOf(got); d != tt.d || p != tt.p {
			t.Errorf("ClockPeriodOf(%v) = %v, %d; want %v, %d", got, d, p, tt.d, tt.p)
		}
	}
}

func TestPeriodMapping(t *testing.T) {
	tests := []struct {
		ud SettlementDate
		up int
		cd SettlementDate
		cp int
	}{
		{date(2025, 1, 15), 1, date(2025, 1, 15), 1},
		{date(2025, 7, 15), 1, date(2025, 7, 15), 3},
		{date(2025, 7, 14), 47, date(2025, 7, 15), 1},
		{date(2025, 7, 14), 46, date(2025, 7, 14), 48},
		{date(2025, 3, 30), 3, date(2025, 3, 30), 3},
		{date(2025, 3, 30), 46, date(2025, 3, 30), 46},
		{date(2025, 3, 30), 47, date(2025, 3, 31), 1},
		{date(2025, 10, 25), 47, date(2025, 10, 26), 1},
		{date(2025, 10, 26), 48, date(2025, 10, 26), 50},
	}
	for _, tt := range tests {
		cd, cp, err := UTCToClockPeriod(tt.ud, tt.up)
		if err != nil || cd != tt.cd || cp != tt.cp {
			t.Errorf("UTCToClockPeriod(%v, %d) = %v, %d, %v; want %v, %d", tt.ud, tt.up, cd, cp, err, tt.cd, tt.cp)
		}
		ud, up, err := ClockToUTCPeriod(tt.cd, tt.cp)
		if err != nil || ud != tt.ud || up != tt.up {
			t.Errorf("ClockToUTCPeriod(%v, %d) = %v, %d, %v; want %v, %d", tt.cd, tt.cp, ud, up, err, tt.ud, tt.up)
		}
	}
	badUTC := []int{0, 49, -1}
	for _, p := range badUTC {
		if _, _, err := UTCToClockPeriod(date(2025, 1, 1), p); !errors.Is(err, ErrPeriod) {
			t.Errorf("UTCToClockPeriod(p=%d) error = %v", p, err)
		}
	}
	badClock := []struct {
		d SettlementDate
		p int
	}{{date(2025, 3, 30), 47}, {date(2025, 10, 26), 51}, {date(2025, 1, 1), 49}, {date(2025, 1, 1), 0}}
	for _, tt := range badClock {
		if _, _, err := ClockToUTCPeriod(tt.d, tt.p); !errors.Is(err, ErrPeriod) {
			t.Errorf("ClockToUTCPeriod(%v, %d) error = %v", tt.d, tt.p, err)
		}
	}
	if _, _, err := ClockToUTCPeriod(date(2025, 10, 26), 50); err != nil {
		t.Errorf("ClockToUTCPeriod(autumn, 50): %v", err)
	}
}

// TestClockDaysProperty checks every local day from 2020 to 2035.
func TestClockDaysProperty(t *testing.T) {
	first, last := date(2020, 1, 1), date(2035, 12, 31)
	// clockPeriods counts the UTC periods that land in each local day.
	counted := map[SettlementDate]int{}
	for d := first; !d.After(last); d = d.AddDays(1) {
		n := ClockPeriods(d)
		spring, autumn := d == lastSunday(d.Year(), time.March), d == lastSunday(d.Year(), time.October)
		switch {
		case spring && n != 46, autumn && n != 50, !spring && !autumn && n != 48:
			t.Fatalf("ClockPeriods(%v) = %d (spring %v, autumn %v)", d, n, spring, autumn)
		}
		start, next := LocalMidnight(d), LocalMidnight(d.AddDays(1))
		if got := int(next.Sub(start) / PeriodDuration); got != n {
			t.Fatalf("%v: local day is %d periods long, ClockPeriods says %d", d, got, n)
		}
		// The clock periods tile the local day exactly.
		var sum time.Duration
		for p := 1; p <= n; p++ {
			s, e := ClockPeriodStart(d, p), ClockPeriodStart(d, p+1)
			sum += e.Sub(s)
			if cd, cp := ClockPeriodOf(s); cd != d || cp != p {
				t.Fatalf("ClockPeriodOf(ClockPeriodStart(%v, %d)) = %v, %d", d, p, cd, cp)
			}
			if cd, cp := ClockPeriodOf(e.Add(-time.Nanosecond)); cd != d || cp != p {
				t.Fatalf("ClockPeriodOf(end of %v, %d) = %v, %d", d, p, cd, cp)
			}
			ud, up, err := ClockToUTCPeriod(d, p)
			if err != nil || !ud.UTCPeriodStart(up).Equal(s) {
				t.Fatalf("ClockToUTCPeriod(%v, %d) = %v, %d, %v", d, p, ud, up, err)
			}
		}
		if sum != next.Sub(start) || ClockPeriodStart(d, n+1) != next.UTC() {
			t.Fatalf("%v: periods sum to %v, day is %v", d, sum, next.Sub(start))
		}
		if !IsLocalMidnight(start) || IsLocalMidnight(start.Add(time.Hour)) || IsLocalMidnight(start.Add(time.Second)) {
			t.Fatalf("IsLocalMidnight around %v", start)
		}
		// Every UTC period maps to one clock period and back.
		for p := 1; p <= PeriodsPerUTCDay; p++ {
			cd, cp, err := UTCToClockPeriod(d, p)
			if err != nil || cp < 1 || cp > ClockPeriods(cd) {
				t.Fatalf("UTCToClockPeriod(%v, %d) = %v, %d, %v", d, p, cd, cp, err)
			}
			ud, up, err := ClockToUTCPeriod(cd, cp)
			if err != nil || ud != d || up != p {
				t.Fatalf("ClockToUTCPeriod(UTCToClockPeriod(%v, %d)) = %v, %d, %v", d, p, ud, up, err)
			}
			counted[cd]++
		}
	}
	// Local days strictly inside the range received exactly their periods,
	// so the mapping is one-to-one.
	for d := first.AddDays(1); d.Before(last); d = d.AddDays(1) {
		if counted[d] != ClockPeriods(d) {
			t.Fatalf("%v: %d UTC periods map into it, want %d", d, counted[d], ClockPeriods(d))
		}
	}
}

func TestLocalMidnight(t *testing.T) {
	tests := []struct {
		d    SettlementDate
		want string
	}{
		{date(2025, 1, 1), "2025-01-01T00:00:00+00:00"},
		{date(2025, 4, 1), "2025-04-01T00:00:00+01:00"},
		{date(2025, 3, 30), "2025-03-30T00:00:00+00:00"},
		{date(2025, 3, 31), "2025-03-31T00:00:00+01:00"},
		{date(2025, 10, 26), "2025-10-26T00:00:00+01:00"},
		{date(2025, 10, 27), "2025-10-27T00:00:00+00:00"},
	}
	for _, tt := range tests {
		got := LocalMidnight(tt.d)
		if FormatDateTime(got) != tt.want {
			t.Errorf("LocalMidnight(%v) = %s, want %s", tt.d, FormatDateTime(got), tt.want)
		}
	}
	isTests := map[string]bool{
		"2025-04-01T00:00:00+01:00": true,
		"2025-03-31T23:00:00+00:00": true, // same instant
		"2025-04-01T00:00:00+00:00": false,
		"2025-01-01T00:00:00+00:00": true,
		"2025-01-01T01:00:00+01:00": true,
		"2025-01-01T00:00:01+00:00": false,
		"2025-10-26T00:00:00+01:00": true,
		"2025-10-26T00:00:00+00:00": false,
	}
	for s, want := range isTests {
		tm, err := ParseDateTime(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := IsLocalMidnight(tm); got != want {
			t.Errorf("IsLocalMidnight(%s) = %v, want %v", s, got, want)
		}
	}
	if IsLocalMidnight(LocalMidnight(date(2025, 1, 1)).Add(time.Nanosecond)) {
		t.Error("IsLocalMidnight ignores nanoseconds")
	}
}
