package isd

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mhhs/mhhs/internal/market"
)

func TestParticipantAt(t *testing.T) {
	ds := testDataset(t)
	tests := []struct {
		mpid  market.MPID
		date  string
		ok    bool
		roles []market.Role
	}{
		{"AMBR", "2023-12-31", false, nil},
		{"AMBR", "2024-01-01", true, []market.Role{"SUP"}},
		{"AMBR", "2025-06-30", true, []market.Role{"SUP"}},
		{"AMBR", "2025-07-01", true, []market.Role{"SDS", "SUP"}}, // roles sorted
		{"AMBR", "2099-01-01", true, []market.Role{"SDS", "SUP"}},
		{"ZZZZ", "2025-01-01", false, nil},
	}
	for _, tt := range tests {
		p, ok := ds.ParticipantAt(tt.mpid, day(tt.date))
		if ok != tt.ok || !cmp.Equal(p.Roles, tt.roles) {
			t.Errorf("ParticipantAt(%s, %s) = %v, %v; want roles %v, %v", tt.mpid, tt.date, p.Roles, ok, tt.roles, tt.ok)
		}
		if ok && p.HasRole(market.RoleSDS) != (len(tt.roles) == 2) {
			t.Errorf("ParticipantAt(%s, %s).HasRole(SDS) wrong", tt.mpid, tt.date)
		}
	}
}

func TestBMUnits(t *testing.T) {
	ds := testDataset(t)
	tests := []struct {
		name     string
		supplier market.MPID
		group    market.GSPGroup
		date     string
		want     string // base BM unit id, "" for none
	}{
		{"before start", "AMBR", "_B", "2023-12-31", ""},
		{"old base unit", "AMBR", "_B", "2025-03-31", "2__BAMBR000"},
		{"new base unit", "AMBR", "_B", "2025-04-01", "2__BAMBR100"},
		{"other group", "AMBR", "_A", "2025-04-01", "2__AAMBR000"},
		{"other supplier", "BRKW", "_A", "2025-04-01", "2__ABRKW000"},
		{"no unit in group", "BRKW", "_B", "2025-04-01", ""},
	}
	for _, tt := range tests {
		u, ok := ds.BaseBMUnit(tt.supplier, tt.group, day(tt.date))
		if ok != (tt.want != "") || u.ID != tt.want {
			t.Errorf("%s: BaseBMUnit(%s, %s, %s) = %q, %v; want %q", tt.name, tt.supplier, tt.group, tt.date, u.ID, ok, tt.want)
		}
	}
	// An additional unit that moves to another supplier mid-year.
	for _, tt := range []struct {
		date string
		want market.MPID
	}{{"2025-09-30", "BRKW"}, {"2025-10-01", "AMBR"}} {
		u, ok := ds.BMUnitAt("2__ABRKW001", day(tt.date))
		if !ok || u.Supplier != tt.want || u.Kind != BMUnitAdditional {
			t.Errorf("BMUnitAt(2__ABRKW001, %s) = %+v, %v; want supplier %s", tt.date, u, ok, tt.want)
		}
	}
}

func TestLLFCAndCCCAt(t *testing.T) {
	ds := testDataset(t)
	for _, tt := range []struct {
		dist, llfc, date string
		ok               bool
	}{
		{"10", "301", "2025-06-30", true},
		{"10", "301", "2025-07-01", false}, // ended
		{"10", "101", "2025-07-01", true},
		{"40", "101", "2025-07-01", false}, // LLFC ids are per distributor
		{"40", "801", "2025-07-01", true},
	} {
		if _, ok := ds.LLFCAt(tt.dist, tt.llfc, day(tt.date)); ok != tt.ok {
			t.Errorf("LLFCAt(%s, %s, %s) ok = %v, want %v", tt.dist, tt.llfc, tt.date, ok, tt.ok)
		}
	}
	for _, tt := range []struct {
		id   int
		date string
		ok   bool
	}{
		{211, "2025-03-31", false}, // starts later
		{211, "2025-04-01", true},
		{111, "2025-03-31", true},
		{999, "2025-03-31", false},
	} {
		if _, ok := ds.CCCAt(tt.id, day(tt.date)); ok != tt.ok {
			t.Errorf("CCCAt(%d, %s) ok = %v, want %v", tt.id, tt.date, ok, tt.ok)
		}
	}
}

func TestCCCFor(t *testing.T) {
	ds := testDataset(t)
	smartDom := CCCKey{MeasurementQuantity: "AI", Segment: "S", Domestic: true, Component: ComponentConsumption}
	withQ := func(k CCCKey, q Quality) CCCKey { k.Quality = q; return k }
	nonDom := smartDom
	nonDom.Domestic = false
	losses := smartDom
	losses.Component = ComponentLosses
	tests := []struct {
		name string
		key  CCCKey
		date string
		want int // 0 for none
	}{
		{"actual", withQ(smartDom, QualityActual), "2025-01-01", 111},
		{"estimated", withQ(smartDom, QualityEstimated), "2025-01-01", 112},
		{"defaulted has no class", withQ(smartDom, QualityDefaulted), "2025-01-01", 0},
		{"falls back to any quality", withQ(nonDom, QualityDefaulted), "2025-01-01", 120},
		{"losses before start", withQ(losses, QualityActual), "2025-03-31", 0},
		{"losses from start", withQ(losses, QualityActual), "2025-04-01", 211},
	}
	for _, tt := range tests {
		c, ok := ds.CCCFor(tt.key, day(tt.date))
		if ok != (tt.want != 0) || c.ID != tt.want {
			t.Errorf("%s: CCCFor = %d, %v; want %d", tt.name, c.ID, ok, tt.want)
		}
	}
}

func TestOtherLookups(t *testing.T) {
	ds := testDataset(t)
	d := day("2025-05-01")
	if g, ok := ds.GSPGroupAt("_A", d); !ok || g.Name != "Eastern" {
		t.Errorf("GSPGroupAt(_A) = %+v, %v", g, ok)
	}
	if dist, ok := ds.DistributorAt("40", d); !ok || !dist.IDNO || !cmp.Equal(dist.GSPGroups, []market.GSPGroup{"_A", "_B"}) {
		t.Errorf("DistributorAt(40) = %+v, %v", dist, ok)
	}
	var ids []string
	for _, dist := range ds.DistributorsServing("_A", d) {
		ids = append(ids, dist.ID)
	}
	if !cmp.Equal(ids, []string{"10", "40"}) {
		t.Errorf("DistributorsServing(_A) = %v", ids)
	}
	if pc, ok := ds.ProfileClassAt("02", d); !ok || pc.Description != "Domestic Economy 7" {
		t.Errorf("ProfileClassAt(02) = %+v, %v", pc, ok)
	}
	if _, ok := ds.SSCAt("0151", day("2026-01-01")); ok {
		t.Error("SSCAt(0151) after its end: found")
	}
	if s, ok := ds.SSCAt("0393", d); !ok || !cmp.Equal(s.ProfileClasses, []string{"01"}) {
		t.Errorf("SSCAt(0393) = %+v, %v", s, ok)
	}
}

func TestAs(t *testing.T) {
	ds := testDataset(t)
	as := ds.As(day("2025-07-01"))
	var mpids []string
	for _, p := range as.Participants {
		mpids = append(mpids, string(p.MPID)+":"+p.From.String())
	}
	if want := []string{"AMBR:2025-07-01", "BRKW:2024-01-01", "DEAS:2024-01-01", "IMEA:2024-01-01"}; !cmp.Equal(mpids, want) {
		t.Errorf("As participants = %v, want %v", mpids, want)
	}
	if len(as.LLFCs) != 2 {
		t.Errorf("As LLFCs = %d rows, want 2 (301 has ended)", len(as.LLFCs))
	}
	as = ds.As(day("2025-01-15"))
	var profiles []string
	for _, p := range as.LossFactorProfiles {
		profiles = append(profiles, p.LLFC+"/"+p.Profile)
	}
	if want := []string{"101/RAMP", "301/FLAT"}; !cmp.Equal(profiles, want) {
		t.Errorf("As loss factor profiles = %v, want %v", profiles, want)
	}
}

func TestDatasetIsImmutable(t *testing.T) {
	in := testTables()
	ds, err := New(in)
	if err != nil {
		t.Fatal(err)
	}
	want := ds.Tables()
	in.Participants[0].Roles[0] = "SUP"
	in.GSPGroups[0].Name = "changed"
	got := ds.Tables()
	got.Participants[0].Roles[0] = "DCC"
	p, _ := ds.ParticipantAt("AMBR", day("2025-07-01"))
	p.Roles[0] = "DCC"
	if diff := cmp.Diff(want, ds.Tables()); diff != "" {
		t.Errorf("dataset changed through a copy (-want +got):\n%s", diff)
	}
}

func TestNewCanonicalOrder(t *testing.T) {
	in := testTables()
	// Reverse every table and list: the dataset must not change.
	rev := func(n int, swap func(i, j int)) {
		for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
			swap(i, j)
		}
	}
	p := in.Participants
	rev(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
	d := in.LossFactorDays
	rev(len(d), func(i, j int) { d[i], d[j] = d[j], d[i] })
	in.Participants[1].Roles = []market.Role{"SUP", "SDS"} // AMBR from 2025-07-01
	ds, err := New(in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(testDataset(t).Tables(), ds.Tables()); diff != "" {
		t.Errorf("order matters (-want +got):\n%s", diff)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*Tables)
		table  string
		row    int
		column string
		err    error
	}{
		{"bad MPID", func(t *Tables) { t.Participants[4].MPID = "brkw" }, "participants", 5, "mpid", market.ErrMPID},
		{"bad DIP id", func(t *Tables) { t.Participants[4].DIPID = "123" }, "participants", 5, "dipId", market.ErrDIPID},
		{"unknown role", func(t *Tables) { t.Participants[4].Roles = []market.Role{"XXX"} }, "participants", 5, "roles", market.ErrRole},
		{"repeated role", func(t *Tables) { t.Participants[4].Roles = []market.Role{"SUP", "SUP"} }, "participants", 5, "roles", ErrDuplicate},
		{"unknown GSP group", func(t *Tables) { t.BMUnits[0].GSPGroup = "_I" }, "bmUnits", 1, "gspGroup", market.ErrGSPGroup},
		{"GSP group not in table", func(t *Tables) { t.BMUnits[0].GSPGroup = "_C" }, "bmUnits", 1, "gspGroup", ErrReference},
		{"CCC id too small", func(t *Tables) { t.CCCs[0].ID = 99 }, "cccs", 1, "id", ErrOutOfRange},
		{"CCC id too large", func(t *Tables) { t.CCCs[0].ID = 1000 }, "cccs", 1, "id", ErrOutOfRange},
		{"overlap", func(t *Tables) { t.Participants[2].To = day("2025-07-01") }, "participants", 4, "", ErrOverlap},
		{"overlap with open range", func(t *Tables) { t.Participants[2].To = market.SettlementDate{} }, "participants", 4, "", ErrOverlap},
		{"same CCC determination", func(t *Tables) { t.CCCs[1].Quality = QualityActual }, "cccs", 2, "", ErrOverlap},
		{"two base units", func(t *Tables) { t.BMUnits[4].Kind = BMUnitBase }, "bmUnits", 5, "kind", ErrOverlap},
		{"ends before it starts", func(t *Tables) { t.SSCs[1].To = day("2023-12-31") }, "sscs", 2, "effectiveTo", ErrOutOfRange},
		{"no effective-from", func(t *Tables) { t.SSCs[1].From = market.SettlementDate{} }, "sscs", 2, "effectiveFrom", ErrRequired},
		{"supplier not SUP", func(t *Tables) { t.BMUnits[0].Supplier = "DEAS" }, "bmUnits", 1, "supplier", ErrReference},
		{"unknown profile", func(t *Tables) { t.LossFactorDays[0].Profile = "NONE" }, "lossFactorDays", 1, "profile", ErrReference},
		{"loss factor days overlap", func(t *Tables) { t.LossFactorDays[1].From = day("2025-01-10") }, "lossFactorDays", 2, "", ErrOverlap},
		{"loss factor days open", func(t *Tables) { t.LossFactorDays[0].To = market.SettlementDate{} }, "lossFactorDays", 1, "effectiveTo", ErrRequired},
		{"duplicate profile", func(t *Tables) { t.LossFactorProfiles[1].Profile = "FLAT" }, "lossFactorProfiles", 2, "", ErrDuplicate},
		{"bad LLFC id", func(t *Tables) { t.LLFCs[2].ID = "80" }, "llfcs", 3, "id", ErrSyntax},
		{"unknown distributor", func(t *Tables) { t.LLFCs[2].Distributor = "41" }, "llfcs", 3, "distributor", ErrReference},
		{"bad voltage", func(t *Tables) { t.LLFCs[2].Voltage = "MV" }, "llfcs", 3, "voltageLevel", ErrSyntax},
		{"bad domestic indicator", func(t *Tables) { t.LoadShapeGroups[0].Domestic = "Y" }, "loadShapeGroups", 1, "domestic", ErrSyntax},
		{"bad profile class", func(t *Tables) { t.SSCs[0].ProfileClasses = []string{"09"} }, "sscs", 1, "profileClasses", ErrOutOfRange},
		{"unknown profile class", func(t *Tables) { t.SSCs[0].ProfileClasses = []string{"03"} }, "sscs", 1, "profileClasses", ErrReference},
		{"distributor not a participant", func(t *Tables) { t.Distributors[0].MPID = "ZZZZ" }, "distributors", 1, "mpid", ErrReference},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testTables()
			tt.edit(&in)
			_, err := New(in)
			wantFieldError(t, err, "", tt.table, tt.row, tt.column, tt.err)
		})
	}
}
