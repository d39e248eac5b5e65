package isd

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDiff(t *testing.T) {
	a := testDataset(t)
	in := testTables()
	in.Participants[4].Name = "Brookwater Power"                                                                                                                                                                                                               // changed
	in.LossFactorProfiles[1].Factors[16] = 1_070_000                                                                                                                                                                                                           // changed, deep in a profile
	in.SSCs = in.SSCs[:1]                                                                                                                                                                                                                                      // 0151 removed
	in.CCCs[0].To = day("2025-12-31")                                                                                                                                                                                                                          // changed end
	in.CCCs = append(in.CCCs, CCC{ID: 111, Description: "new", MeasurementQuantity: "AI", Segment: "S", Domestic: true, Component: ComponentConsumption, Quality: QualityActual, GSPGroupCorrection: true, ScalingWeight: FactorOne, From: day("2026-01-01")}) // added version
	b, err := New(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{Table: "participants", Key: "BRKW@2024-01-01", Kind: Changed, Fields: []FieldChange{{"name", "Brookwater", "Brookwater Power"}}},
		{Table: "lossFactorProfiles", Key: "10/101/RAMP", Kind: Changed, Fields: []FieldChange{{"p17", "1.060017", "1.070000"}}},
		{Table: "cccs", Key: "111@2024-01-01", Kind: Changed, Fields: []FieldChange{{"effectiveTo", "", "2025-12-31"}}},
		{Table: "cccs", Key: "111@2026-01-01", Kind: Added},
		{Table: "sscs", Key: "0151@2024-01-01", Kind: Removed},
	}
	if diff := cmp.Diff(want, Diff(a, b)); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
	if got := Diff(a, a); len(got) != 0 {
		t.Errorf("Diff(a, a) = %v", got)
	}
	back := Diff(b, a)
	if len(back) != len(want) || back[3].Kind != Removed || back[4].Kind != Added {
		t.Errorf("Diff(b, a) = %v", back)
	}
	if got, want := want[0].String(), `participants BRKW@2024-01-01 changed: name "Brookwater" -> "Brookwater Power"`; got != want {
		t.Errorf("String = %s, want %s", got, want)
	}
	if n := len(Diff(nil, a)); n != 35 {
		t.Errorf("Diff(nil, a) has %d changes, want every row (35)", n)
	}

	v1 := Version{Number: 1, Created: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Note: "initial", Dataset: a}
	v2 := v1.Next(b, v1.Created.Add(time.Hour), "BRKW renamed")
	if v2.Number != 2 || v2.Dataset != b || len(v2.Changes(v1)) != len(want) {
		t.Errorf("Next = %+v", v2)
	}
}

func TestDiffAfterRoundTrip(t *testing.T) {
	ds := testDataset(t)
	got, _ := roundTripJSON(t, ds)
	if d := Diff(ds, got); len(d) != 0 {
		t.Errorf("Diff after JSON round trip = %v", d)
	}
}

func TestDiffAfterCSVEdit(t *testing.T) {
	ds := testDataset(t)
	fsys := exportCSV(t, ds)
	editCSV(t, fsys, "bm_units.csv", is("id", "2__AAMBR000"), "effectiveTo", "2026-03-31")
	got, err := ReadCSV(fsys)
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{{Table: "bmUnits", Key: "2__AAMBR000@2024-01-01", Kind: Changed,
		Fields: []FieldChange{{Column: "effectiveTo", Old: "", New: "2026-03-31"}}}}
	if diff := cmp.Diff(want, Diff(ds, got)); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
}
