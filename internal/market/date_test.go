package market

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
	"unsafe"
)

// date is a test shorthand for NewSettlementDate.
func date(y int, m time.Month, d int) SettlementDate { return NewSettlementDate(y, m, d) }

func TestSettlementDateAgainstTime(t *testing.T) {
	// Every day from 1899 to 2101, and a sample of far years, against the
	// time package.
	check := func(tm time.Time) {
		t.Helper()
		y, m, d := tm.Date()
		sd := NewSettlementDate(y, m, d)
		if gy, gm, gd := sd.Date(); gy != y || gm != m || gd != d {
			t.Fatalf("NewSettlementDate(%d, %d, %d).Date() = %d, %d, %d", y, m, d, gy, gm, gd)
		}
		if sd.Year() != y || sd.Month() != m || sd.Day() != d {
			t.Fatalf("%v: Year/Month/Day = %d/%d/%d", tm, sd.Year(), sd.Month(), sd.Day())
		}
		if sd.Weekday() != tm.Weekday() {
			t.Fatalf("%v: Weekday() = %v, want %v", tm, sd.Weekday(), tm.Weekday())
		}
		if want := tm.Format("2006-01-02"); sd.String() != want {
			t.Fatalf("String() = %q, want %q", sd.String(), want)
		}
		if !sd.UTCMidnight().Equal(tm) {
			t.Fatalf("%v: UTCMidnight() = %v", tm, sd.UTCMidnight())
		}
		if got := FromTime(tm); got != sd {
			t.Fatalf("FromTime(%v) = %v", tm, got)
		}
		if got := sd.Sub(SettlementDate{}); got != int((tm.Unix()-time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix())/86400) {
			t.Fatalf("%v: days since 0001-01-01 = %d", tm, got)
		}
	}
	start := time.Date(1899, 1, 1, 0, 0, 0, 0, time.UTC)
	for tm := start; tm.Year() < 2102; tm = tm.AddDate(0, 0, 1) {
		check(tm)
	}
	for y := 1; y <= 9999; y += 37 {
		check(time.Date(y, time.February, 28, 0, 0, 0, 0, time.UTC))
		check(time.Date(y, time.March, 1, 0, 0, 0, 0, time.UTC))
	}
	if (SettlementDate{}).String() != "0001-01-01" || !(SettlementDate{}).IsZero() || date(1, 1, 2).IsZero() {
		t.Error("zero SettlementDate is not 0001-01-01")
	}
	if unsafe.Sizeof(SettlementDate{}) != 4 {
		t.Errorf("SettlementDate is %d bytes, want 4", unsafe.Sizeof(SettlementDate{}))
	}
}

func TestNewSettlementDateNormalises(t *testing.T) {
	tests := []struct {
		y    int
		m    time.Month
		d    int
		want string
	}{
		{2025, 2, 29, "2025-03-01"},
		{2024, 2, 29, "2024-02-29"},
		{2025, 13, 1, "2026-01-01"},
		{2025, 0, 1, "2024-12-01"},
		{2025, -11, 1, "2024-01-01"},
		{2025, -12, 1, "2023-12-01"},
		{2025, 1, 0, "2024-12-31"},
		{2025, 3, 0, "2025-02-28"},
		{2025, 1, 366, "2026-01-01"},
		{2025, 1, -30, "2024-12-01"},
	}
	for _, tt := range tests {
		got := NewSettlementDate(tt.y, tt.m, tt.d)
		if got.String() != tt.want {
			t.Errorf("NewSettlementDate(%d, %d, %d) = %v, want %s", tt.y, tt.m, tt.d, got, tt.want)
		}
		if want := time.Date(tt.y, tt.m, tt.d, 0, 0, 0, 0, time.UTC).Format("2006-01-02"); want != tt.want {
			t.Errorf("test table disagrees with time.Date: %s", want)
		}
	}
}

func TestParseSettlementDate(t *testing.T) {
	good := []string{"2025-03-30", "2024-02-29", "2000-02-29", "0000-01-01", "9999-12-31", "1970-01-01"}
	for _, s := range good {
		d, err := ParseSettlementDate(s)
		if err != nil || d.String() != s {
			t.Errorf("ParseSettlementDate(%q) = %v, %v", s, d, err)
		}
	}
	bad := []string{
		"", "2025-3-30", "2025-03-3", "2025/03/30", "20250330", "2025-03-30T00:00:00Z",
		"2025-02-29", "1900-02-29", "2025-04-31", "2025-00-10", "2025-13-01", "2025-01-00",
		"2025-01-32", " 2025-01-01", "2025-01-01 ", "+025-01-01", "-025-01-01", "2025-0a-01",
	}
	for _, s := range bad {
		if d, err := ParseSettlementDate(s); !errors.Is(err, ErrDate) {
			t.Errorf("ParseSettlementDate(%q) = %v, %v; want ErrDate", s, d, err)
		}
	}
}

func TestSettlementDateArithmetic(t *testing.T) {
	a, b := date(2024, 2, 28), date(2024, 3, 1)
	if b.Sub(a) != 2 || a.Sub(b) != -2 || a.AddDays(2) != b || b.AddDays(-2) != a {
		t.Errorf("leap-year arithmetic: %v - %v = %d", b, a, b.Sub(a))
	}
	if !a.Before(b) || a.After(b) || !b.After(a) || b.Before(a) || a.Before(a) || a.After(a) {
		t.Error("Before/After")
	}
	if a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Error("Compare")
	}
	if date(2025, 12, 31).AddDays(1) != date(2026, 1, 1) {
		t.Error("AddDays across a year")
	}
	m := map[SettlementDate]int{date(2025, 1, 1): 1}
	if m[NewSettlementDate(2024, 12, 32)] != 1 {
		t.Error("SettlementDate as a map key")
	}
}

func TestFromTimeUsesLocation(t *testing.T) {
	// 23:30 UTC on 30 June is 00:30 BST on 1 July.
	tm := time.Date(2025, 6, 30, 23, 30, 0, 0, time.UTC)
	if got := FromTime(tm); got != date(2025, 6, 30) {
		t.Errorf("FromTime(UTC) = %v", got)
	}
	if got := FromTime(tm.In(London())); got != date(2025, 7, 1) {
		t.Errorf("FromTime(London) = %v", got)
	}
}

func TestSettlementDateText(t *testing.T) {
	type doc struct {
		Day  SettlementDate            `json:"day"`
		Vals map[SettlementDate]string `json:"vals"`
	}
	in := doc{Day: date(2025, 3, 30), Vals: map[SettlementDate]string{date(2025, 10, 26): "x"}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"day":"2025-03-30","vals":{"2025-10-26":"x"}}`; string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil || out.Day != in.Day || out.Vals[date(2025, 10, 26)] != "x" {
		t.Errorf("round trip = %+v, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"day":"2025-02-29"}`), &out); !errors.Is(err, ErrDate) {
		t.Errorf("bad date error = %v", err)
	}
}
