package isd

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"testing"
	"testing/fstest"

	"github.com/mhhs/mhhs/internal/market"
)

// day parses a date in test data; it panics on a typo.
func day(s string) market.SettlementDate {
	d, err := market.ParseSettlementDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// flat returns a profile with every factor f.
func flat(f Factor) (fs [PeriodsPerDay]Factor) {
	for i := range fs {
		fs[i] = f
	}
	return fs
}

// ramp returns a profile whose factor for period p is base + p millionths.
func ramp(base Factor) (fs [PeriodsPerDay]Factor) {
	for i := range fs {
		fs[i] = base + Factor(i+1)
	}
	return fs
}

// testTables is a small dataset with the effective-date cases the tests
// need: a participant whose roles change on 2025-07-01, a base BM unit
// replaced on 2025-04-01, an additional BM unit that moves to another
// supplier on 2025-10-01, an LLFC ending on 2025-06-30, a CCC starting on
// 2025-04-01 and loss factors with a gap.
func testTables() Tables {
	from := day("2024-01-01")
	return Tables{
		GSPGroups: []GSPGroup{
			{ID: "_A", Name: "Eastern", From: from},
			{ID: "_B", Name: "East Midlands", From: from},
		},
		Distributors: []Distributor{
			{ID: "10", Name: "Eastern DNO", MPID: "DEAS", DIPID: "2500000010", GSPGroups: []market.GSPGroup{"_A"}, From: from},
			{ID: "40", Name: "Meadowgate IDNO", MPID: "IMEA", DIPID: "2500000040", IDNO: true, GSPGroups: []market.GSPGroup{"_B", "_A"}, From: from},
		},
		Participants: []Participant{
			{MPID: "DEAS", DIPID: "2500000010", Name: "Eastern DNO", Roles: []market.Role{"LDSO"}, From: from},
			{MPID: "IMEA", DIPID: "2500000040", Name: "Meadowgate IDNO", Roles: []market.Role{"LDSO"}, From: from},
			{MPID: "AMBR", DIPID: "2300000001", Name: "Amberline", Roles: []market.Role{"SUP"}, From: from, To: day("2025-06-30")},
			{MPID: "AMBR", DIPID: "2300000001", Name: "Amberline", Roles: []market.Role{"SUP", "SDS"}, From: day("2025-07-01")},
			{MPID: "BRKW", DIPID: "2300000002", Name: "Brookwater", Roles: []market.Role{"SUP"}, From: from},
		},
		BMUnits: []BMUnit{
			{ID: "2__AAMBR000", Supplier: "AMBR", GSPGroup: "_A", Kind: BMUnitBase, From: from},
			{ID: "2__BAMBR000", Supplier: "AMBR", GSPGroup: "_B", Kind: BMUnitBase, From: from, To: day("2025-03-31")},
			{ID: "2__BAMBR100", Supplier: "AMBR", GSPGroup: "_B", Kind: BMUnitBase, From: day("2025-04-01")},
			{ID: "2__ABRKW000", Supplier: "BRKW", GSPGroup: "_A", Kind: BMUnitBase, From: from},
			{ID: "2__ABRKW001", Supplier: "BRKW", GSPGroup: "_A", Kind: BMUnitAdditional, From: from, To: day("2025-09-30")},
			{ID: "2__ABRKW001", Supplier: "AMBR", GSPGroup: "_A", Kind: BMUnitAdditional, From: day("2025-10-01")},
		},
		LLFCs: []LLFC{
			{Distributor: "10", ID: "101", Description: "LV domestic", Voltage: VoltageLV, Metered: true, From: from},
			{Distributor: "10", ID: "301", Description: "HV", Voltage: VoltageHV, Metered: true, From: from, To: day("2025-06-30")},
			{Distributor: "40", ID: "801", Description: "Unmetered", Voltage: VoltageLV, From: from},
		},
		LossFactorProfiles: []LossFactorProfile{
			{Distributor: "10", LLFC: "101", Profile: "FLAT", Factors: flat(1_050_000)},
			{Distributor: "10", LLFC: "101", Profile: "RAMP", Factors: ramp(1_060_000)},
			{Distributor: "10", LLFC: "301", Profile: "FLAT", Factors: flat(1_020_000)},
		},
		LossFactorDays: []LossFactorDays{
			{Distributor: "10", LLFC: "101", Profile: "FLAT", From: day("2025-01-01"), To: day("2025-01-10")},
			{Distributor: "10", LLFC: "101", Profile: "RAMP", From: day("2025-01-11"), To: day("2025-01-20")},
			{Distributor: "10", LLFC: "101", Profile: "FLAT", From: day("2025-02-01"), To: day("2025-02-28")},
			{Distributor: "10", LLFC: "301", Profile: "FLAT", From: day("2025-01-01"), To: day("2025-06-30")},
		},
		CCCs: []CCC{
			{ID: 111, Description: "smart domestic AI consumption actual", MeasurementQuantity: "AI", Segment: "S", Domestic: true, Component: ComponentConsumption, Quality: QualityActual, GSPGroupCorrection: true, ScalingWeight: FactorOne, From: from},
			{ID: 112, Description: "smart domestic AI consumption estimated", MeasurementQuantity: "AI", Segment: "S", Domestic: true, Component: ComponentConsumption, Quality: QualityEstimated, GSPGroupCorrection: true, ScalingWeight: FactorOne, From: from},
			{ID: 120, Description: "smart non-domestic AI consumption", MeasurementQuantity: "AI", Segment: "S", Component: ComponentConsumption, GSPGroupCorrection: true, ScalingWeight: FactorOne, From: from},
			{ID: 211, Description: "smart domestic AI losses actual", MeasurementQuantity: "AI", Segment: "S", Domestic: true, Component: ComponentLosses, Quality: QualityActual, GSPGroupCorrection: true, ScalingWeight: 500_000, From: day("2025-04-01")},
		},
		LoadShapeGroups: []LoadShapeGroup{
			{GSPGroup: "_A", ConnectionType: "W", Segment: "S", Domestic: DomesticTrue, MeasurementQuantity: "AI", From: from},
			{ConnectionType: "U", Segment: "U", MeasurementQuantity: "AI", From: from},
		},
		ProfileClasses: []ProfileClass{
			{ID: "01", Description: "Domestic unrestricted", From: from},
			{ID: "02", Description: "Domestic Economy 7", From: from},
		},
		SSCs: []SSC{
			{ID: "0393", Description: "Unrestricted", ProfileClasses: []string{"01"}, From: from},
			{ID: "0151", Description: "Economy 7", ProfileClasses: []string{"02"}, From: from, To: day("2025-12-31")},
		},
	}
}

func testDataset(t testing.TB) *Dataset {
	t.Helper()
	ds, err := New(testTables())
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// fieldErrors returns the FieldErrors in err, which may be joined.
func fieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(e error) {
		if fe, ok := e.(*FieldError); ok {
			out = append(out, fe)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	return out
}

// exportCSV writes ds to an in-memory file system.
func exportCSV(t testing.TB, ds *Dataset) fstest.MapFS {
	t.Helper()
	bufs := make(map[string]*bytes.Buffer)
	err := ds.WriteCSV(func(name string) (io.Writer, error) {
		b := new(bytes.Buffer)
		bufs[name] = b
		return b, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for n, b := range bufs {
		fsys[n] = &fstest.MapFile{Data: b.Bytes()}
	}
	return fsys
}

// editCSV sets column of the first data row of file matching match to
// value and returns that row's line number (header is line 1).
func editCSV(t testing.TB, fsys fstest.MapFS, file string, match func(row map[string]string) bool, column, value string) int {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(fsys[file].Data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for c, h := range recs[0] {
		if h == column {
			col = c
		}
	}
	if col < 0 {
		t.Fatalf("%s has no column %s", file, column)
	}
	for i, rec := range recs[1:] {
		row := make(map[string]string)
		for c, h := range recs[0] {
			row[h] = rec[c]
		}
		if match(row) {
			rec[col] = value
			var b bytes.Buffer
			w := csv.NewWriter(&b)
			w.WriteAll(recs)
			fsys[file] = &fstest.MapFile{Data: b.Bytes()}
			return i + 2
		}
	}
	t.Fatalf("no row of %s matches", file)
	return 0
}

// is matches a column value in editCSV.
func is(column, value string) func(map[string]string) bool {
	return func(row map[string]string) bool { return row[column] == value }
}

// wantFieldError fails unless err holds a FieldError at file, row and
// column wrapping target.
func wantFieldError(t *testing.T, err error, file, table string, row int, column string, target error) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s %s row %d column %s: %v", file, table, row, column, target)
	}
	for _, fe := range fieldErrors(err) {
		if fe.File == file && fe.Table == table && fe.Row == row && fe.Column == column {
			if !errors.Is(fe, target) {
				t.Errorf("error %v does not wrap %v", fe, target)
			}
			return
		}
	}
	t.Errorf("no error at %s %s row %d column %s; got:\n%v", file, table, row, column, err)
}
