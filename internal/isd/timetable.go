package isd

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/mhhs/mhhs/internal/market"
)

// RunType is a settlement run type, the settlementCode of block B049.
type RunType string

// The settlement run types, in the order a settlement date goes through
// them.
const (
	RunII RunType = "II" // Interim Information
	RunSF RunType = "SF" // Initial Settlement
	RunR1 RunType = "R1" // First Reconciliation
	RunR2 RunType = "R2" // Second Reconciliation (transition only)
	RunR3 RunType = "R3" // Third Reconciliation (transition only)
	RunRF RunType = "RF" // Final Reconciliation
	RunDR RunType = "DR" // Dispute, on demand
	RunDF RunType = "DF" // Final Dispute
)

// RunTypes returns every run type in order: II, SF, R1, R2, R3, RF, DR,
// DF. The slice is new on each call.
func RunTypes() []RunType {
	return []RunType{RunII, RunSF, RunR1, RunR2, RunR3, RunRF, RunDR, RunDF}
}

// ParseRunType parses a settlement code. It returns ErrSyntax for anything
// but the eight codes.
func ParseRunType(s string) (RunType, error) {
	r := RunType(s)
	if !r.Valid() {
		return "", fmt.Errorf("isd: settlement code %s: want one of II SF R1 R2 R3 RF DR DF: %w", quote(s), ErrSyntax)
	}
	return r, nil
}

// Valid reports whether r is a run type.
func (r RunType) Valid() bool { return r.order() >= 0 }

// order returns the position of r in RunTypes, or -1.
func (r RunType) order() int { return slices.Index(RunTypes(), r) }

// RunRule says when a run type runs for a settlement date: Months calendar
// months after the settlement date (the same day of the month, or the
// month's last day if it has fewer days), then WorkingDays working days
// after that; with WorkingDays 0, on that date if it is a working day,
// else the next working day. A run therefore always happens on a working
// day. An OnDemand run (DR) has no fixed date and is never scheduled.
type RunRule struct {
	Type        RunType `json:"type"`
	Name        string  `json:"name"`
	Enabled     bool    `json:"enabled"`
	OnDemand    bool    `json:"onDemand,omitempty"`
	Months      int     `json:"months,omitempty"`
	WorkingDays int     `json:"workingDays,omitempty"`
	// Assumption is true when the offset is not a published fact.
	Assumption bool `json:"assumption"`
	// Note gives the source of the offset or the reason for the
	// assumption.
	Note string `json:"note,omitempty"`
}

// Timetable is the settlement timetable: one rule per run type, in the
// order of RunTypes. The default is DefaultTimetable; a deployment may
// load its own with DecodeTimetable.
type Timetable struct {
	Runs []RunRule `json:"runs"`
}

// Run is one settlement run of one settlement date.
type Run struct {
	Type           RunType
	SettlementDate market.SettlementDate // the date settled
	Date           market.SettlementDate // the working day the run happens
}

// DecodeTimetable reads a timetable in its JSON form, {"runs": [...]} with
// the keys of RunRule, and validates it. Unknown keys are errors.
func DecodeTimetable(r io.Reader) (Timetable, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var t Timetable
	if err := dec.Decode(&t); err != nil {
		return Timetable{}, fmt.Errorf("isd: timetable: %w: %w", err, ErrTimetable)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Timetable{}, fmt.Errorf("isd: timetable: data after the object: %w", ErrTimetable)
	}
	if err := t.Validate(); err != nil {
		return Timetable{}, err
	}
	return t, nil
}

// EncodeJSON writes t in the form DecodeTimetable reads.
func (t Timetable) EncodeJSON(w io.Writer) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("isd: timetable: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("isd: write timetable: %w", err)
	}
	return nil
}

// Validate checks that t has at most one rule per run type, in the order
// of RunTypes, with non-negative offsets; that on-demand rules have no
// offset and scheduled ones a positive one; and that the enabled scheduled
// runs are provably in order for every settlement date: each run's latest
// possible date comes before the next run's earliest, on any calendar with
// at most 3 bank holidays in any 30 consecutive working days.
func (t Timetable) Validate() error {
	prev := -1
	var last *RunRule
	for i := range t.Runs {
		r := &t.Runs[i]
		o := r.Type.order()
		switch {
		case o < 0:
			return fmt.Errorf("isd: timetable run %d: type %s: %w", i+1, quote(string(r.Type)), ErrTimetable)
		case o <= prev:
			return fmt.Errorf("isd: timetable run %s: repeated or out of order: %w", r.Type, ErrTimetable)
		case r.Months < 0 || r.WorkingDays < 0:
			return fmt.Errorf("isd: timetable run %s: negative offset: %w", r.Type, ErrTimetable)
		case r.OnDemand && (r.Months != 0 || r.WorkingDays != 0):
			return fmt.Errorf("isd: timetable run %s: on demand with an offset: %w", r.Type, ErrTimetable)
		case !r.OnDemand && r.Months == 0 && r.WorkingDays == 0:
			return fmt.Errorf("isd: timetable run %s: no offset: %w", r.Type, ErrTimetable)
		}
		prev = o
		if !r.Enabled || r.OnDemand {
			continue
		}
		if last != nil && !before(*last, *r) {
			return fmt.Errorf("isd: timetable run %s can come before run %s: %w", r.Type, last.Type, ErrTimetable)
		}
		last = r
	}
	return nil
}

// before reports whether rule a's run is strictly before rule b's for every
// settlement date, on any calendar with at most 3 bank holidays in any 30
// consecutive working days (England and Wales have never had more).
func before(a, b RunRule) bool {
	if a.Months == b.Months {
		return a.WorkingDays < b.WorkingDays
	}
	// m months are at least 30m-2 and at most 31m days (Jan 31 + 1 month
	// is Feb 28). n working days are at least n days, and at most n days
	// plus two weekend days per started week plus the bank holidays.
	maxA := 31*a.Months + a.WorkingDays + 2*(a.WorkingDays/5+1) + 3*(a.WorkingDays/30+1)
	minB := 30*b.Months - 2 + b.WorkingDays
	return maxA < minB
}

// Rule returns the rule of run type r.
func (t Timetable) Rule(r RunType) (RunRule, bool) {
	for _, rule := range t.Runs {
		if rule.Type == r {
			return rule, true
		}
	}
	return RunRule{}, false
}

// RunDate returns the date on which run type r of settlement date sd
// happens, and false if r is not in t, is disabled or runs on demand.
func (t Timetable) RunDate(r RunType, sd market.SettlementDate, cal *market.Calendar) (market.SettlementDate, bool) {
	rule, ok := t.Rule(r)
	if !ok || !rule.Enabled || rule.OnDemand {
		return market.SettlementDate{}, false
	}
	return rule.date(sd, cal), true
}

// date returns the run date of sd under rule. It is non-decreasing in sd.
func (rule RunRule) date(sd market.SettlementDate, cal *market.Calendar) market.SettlementDate {
	return cal.AddWorkingDays(addMonths(sd, rule.Months), rule.WorkingDays)
}

// addMonths returns the same day m months after d, or the last day of that
// month if it is shorter. It is non-decreasing in d.
func addMonths(d market.SettlementDate, m int) market.SettlementDate {
	if m == 0 {
		return d
	}
	y, mo, day := d.Date()
	last := market.NewSettlementDate(y, mo+time.Month(m)+1, 0)
	if day > last.Day() {
		return last
	}
	return market.NewSettlementDate(y, mo+time.Month(m), day)
}

// Schedule returns the runs of settlement date sd: one per enabled,
// scheduled run type, in run type order. On-demand runs (DR) are not
// included.
func (t Timetable) Schedule(sd market.SettlementDate, cal *market.Calendar) []Run {
	var runs []Run
	for _, rule := range t.Runs {
		if rule.Enabled && !rule.OnDemand {
			runs = append(runs, Run{Type: rule.Type, SettlementDate: sd, Date: rule.date(sd, cal)})
		}
	}
	return runs
}

// RunsOn returns the runs that happen on the calendar date runDate: for
// each enabled, scheduled run type in order, the settlement dates whose
// run of that type falls on runDate, in date order. It is the exact
// inverse of Schedule, and empty on a day that is not a working day.
func (t Timetable) RunsOn(runDate market.SettlementDate, cal *market.Calendar) []Run {
	var runs []Run
	for _, rule := range t.Runs {
		if !rule.Enabled || rule.OnDemand {
			continue
		}
		// rule.date is non-decreasing in the settlement date and later
		// than it, so the settlement dates that run on runDate are a
		// contiguous span before runDate. Find its start by bisection.
		hi := runDate // rule.date(hi) > runDate
		lo := runDate.AddDays(-(31*rule.Months + 2*rule.WorkingDays + 14))
		for !rule.date(lo, cal).Before(runDate) {
			lo = lo.AddDays(-31)
		}
		// Invariant: date(lo) < runDate <= date(hi).
		for hi.Sub(lo) > 1 {
			mid := lo.AddDays(hi.Sub(lo) / 2)
			if rule.date(mid, cal).Before(runDate) {
				lo = mid
			} else {
				hi = mid
			}
		}
		for sd := hi; rule.date(sd, cal) == runDate; sd = sd.AddDays(1) {
			runs = append(runs, Run{Type: rule.Type, SettlementDate: sd, Date: runDate})
		}
	}
	return runs
}
