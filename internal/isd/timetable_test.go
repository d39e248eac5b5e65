package isd

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mhhs/mhhs/internal/market"
)

func defaultTimetable(t *testing.T) Timetable {
	t.Helper()
	tt, err := DefaultTimetable()
	if err != nil {
		t.Fatal(err)
	}
	return tt
}

// withTransition returns tt with R2 and R3 enabled.
func withTransition(tt Timetable) Timetable {
	tt.Runs = append([]RunRule(nil), tt.Runs...)
	for i := range tt.Runs {
		if tt.Runs[i].Type == RunR2 || tt.Runs[i].Type == RunR3 {
			tt.Runs[i].Enabled = true
		}
	}
	return tt
}

func TestDefaultTimetable(t *testing.T) {
	tt := defaultTimetable(t)
	var got []string
	for _, r := range tt.Runs {
		s := string(r.Type)
		if !r.Enabled {
			s += " off"
		}
		if r.OnDemand {
			s += " on demand"
		}
		got = append(got, s)
	}
	want := []string{"II", "SF", "R1", "R2 off", "R3 off", "RF", "DR on demand", "DF"}
	if !cmp.Equal(got, want) {
		t.Errorf("runs = %v, want %v", got, want)
	}
	for _, r := range tt.Runs {
		if r.Note == "" || r.Name == "" {
			t.Errorf("run %s has no name or note", r.Type)
		}
	}
	if err := withTransition(tt).Validate(); err != nil {
		t.Errorf("with R2 and R3: %v", err)
	}
}

func TestSchedule(t *testing.T) {
	cal := market.NewCalendar()
	tt := defaultTimetable(t)
	// Thursday 2025-04-17: Good Friday 18th and Easter Monday 21st are
	// bank holidays.
	got := tt.Schedule(day("2025-04-17"), cal)
	want := []Run{
		{RunII, day("2025-04-17"), day("2025-04-25")}, // Tue 22, Wed 23, Thu 24, Fri 25
		{RunSF, day("2025-04-17"), day("2025-04-30")},
		{RunR1, day("2025-04-17"), day("2025-06-09")}, // skips the May bank holidays, 5th and 26th
		{RunRF, day("2025-04-17"), day("2025-08-18")}, // 17 Aug is a Sunday
		{RunDF, day("2025-04-17"), day("2026-06-17")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Schedule(2025-04-17) (-want +got):\n%s", diff)
	}
	// Month ends clamp: 31 October + 4 months is 28 February.
	if d, ok := tt.RunDate(RunRF, day("2024-10-31"), cal); !ok || d != day("2025-02-28") {
		t.Errorf("RF of 2024-10-31 = %s, %v", d, ok)
	}
	if _, ok := tt.RunDate(RunR2, day("2025-01-01"), cal); ok {
		t.Error("R2 is disabled by default but has a date")
	}
	if _, ok := tt.RunDate(RunDR, day("2025-01-01"), cal); ok {
		t.Error("DR is on demand but has a date")
	}
	if len(tt.RunsOn(day("2025-04-19"), cal)) != 0 || len(tt.RunsOn(day("2025-04-21"), cal)) != 0 {
		t.Error("runs on a Saturday or a bank holiday")
	}
}

// TestTimetableProperties checks, for every settlement date of several
// years with R2 and R3 enabled, that each enabled run type is scheduled
// exactly once, on a working day, in order II < SF < R1 < R2 < R3 < RF <
// DF, and that RunsOn is the exact inverse of Schedule.
func TestTimetableProperties(t *testing.T) {
	cal := market.NewCalendar()
	tt := withTransition(defaultTimetable(t))
	scheduled := []RunType{RunII, RunSF, RunR1, RunR2, RunR3, RunRF, RunDF}

	from, to := day("2022-01-01"), day("2027-12-31")
	byRunDate := make(map[market.SettlementDate][]Run)
	for sd := from; !sd.After(to); sd = sd.AddDays(1) {
		runs := tt.Schedule(sd, cal)
		var types []RunType
		for i, r := range runs {
			types = append(types, r.Type)
			if r.SettlementDate != sd {
				t.Fatalf("%s: run %s is of %s", sd, r.Type, r.SettlementDate)
			}
			if !cal.IsWorkingDay(r.Date) {
				t.Fatalf("%s: run %s on %s, not a working day", sd, r.Type, r.Date)
			}
			if !r.Date.After(sd) {
				t.Fatalf("%s: run %s on %s, not after the settlement date", sd, r.Type, r.Date)
			}
			if i > 0 && !r.Date.After(runs[i-1].Date) {
				t.Fatalf("%s: run %s on %s, not after %s on %s", sd, r.Type, r.Date, runs[i-1].Type, runs[i-1].Date)
			}
			byRunDate[r.Date] = append(byRunDate[r.Date], r)
		}
		if !cmp.Equal(types, scheduled) {
			t.Fatalf("%s: scheduled %v, want %v", sd, types, scheduled)
		}
	}
	// Every run date whose settlement dates all lie in [from, to]: DF
	// looks back at most about 14 months, and a settlement date in
	// [from, to] runs at most 15 months later.
	checkFrom, checkTo := day("2023-04-01"), day("2027-12-31")
	for rd := checkFrom; !rd.After(checkTo); rd = rd.AddDays(1) {
		want := byRunDate[rd]
		// Schedule order is by settlement date, then type; RunsOn is by
		// type, then settlement date.
		sortRuns(want)
		got := tt.RunsOn(rd, cal)
		if !cmp.Equal(want, got) {
			t.Fatalf("RunsOn(%s) = %v, want %v", rd, got, want)
		}
	}
}

func sortRuns(runs []Run) {
	for i := 1; i < len(runs); i++ {
		for j := i; j > 0 && lessRun(runs[j], runs[j-1]); j-- {
			runs[j], runs[j-1] = runs[j-1], runs[j]
		}
	}
}

func lessRun(a, b Run) bool {
	if a.Type != b.Type {
		return a.Type.order() < b.Type.order()
	}
	return a.SettlementDate.Before(b.SettlementDate)
}

func TestTimetableValidate(t *testing.T) {
	base := withTransition(defaultTimetable(t))
	tests := []struct {
		name string
		edit func(tt *Timetable)
	}{
		{"unknown type", func(tt *Timetable) { tt.Runs[0].Type = "R9" }},
		{"out of order", func(tt *Timetable) { tt.Runs[0], tt.Runs[1] = tt.Runs[1], tt.Runs[0] }},
		{"repeated", func(tt *Timetable) { tt.Runs[1].Type = RunII }},
		{"negative", func(tt *Timetable) { tt.Runs[0].WorkingDays = -1 }},
		{"no offset", func(tt *Timetable) { tt.Runs[0].WorkingDays = 0 }},
		{"on demand with offset", func(tt *Timetable) { tt.Runs[6].Months = 1 }},
		{"SF not after II", func(tt *Timetable) { tt.Runs[1].WorkingDays = 4 }},
		{"R2 can precede R1", func(tt *Timetable) { tt.Runs[3].Months = 1 }},
		{"RF can precede R3", func(tt *Timetable) { tt.Runs[4].Months = 4 }},
	}
	for _, tc := range tests {
		tt := base
		tt.Runs = append([]RunRule(nil), base.Runs...)
		tc.edit(&tt)
		if err := tt.Validate(); !errors.Is(err, ErrTimetable) {
			t.Errorf("%s: Validate = %v, want ErrTimetable", tc.name, err)
		}
	}
	// Disabled runs are not ordered against the others.
	tt := defaultTimetable(t)
	tt.Runs[3].Months = 1
	if err := tt.Validate(); err != nil {
		t.Errorf("disabled R2 at 1 month: %v", err)
	}
}

func TestTimetableJSON(t *testing.T) {
	tt := defaultTimetable(t)
	var b bytes.Buffer
	if err := tt.EncodeJSON(&b); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeTimetable(&b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tt, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	for _, in := range []string{
		`{"runs": [{"type": "II", "workingDays": 4, "colour": "red"}]}`,
		`{"runs": [{"type": "II", "workingDays": 4}]} x`,
		`{"runs": [{"type": "XX", "workingDays": 4}]}`,
	} {
		if _, err := DecodeTimetable(strings.NewReader(in)); !errors.Is(err, ErrTimetable) {
			t.Errorf("DecodeTimetable(%s) = %v, want ErrTimetable", in, err)
		}
	}
}

func TestParseRunType(t *testing.T) {
	for _, r := range RunTypes() {
		if got, err := ParseRunType(string(r)); err != nil || got != r {
			t.Errorf("ParseRunType(%s) = %s, %v", r, got, err)
		}
	}
	if _, err := ParseRunType("ii"); !errors.Is(err, ErrSyntax) {
		t.Errorf("ParseRunType(ii) = %v", err)
	}
}
