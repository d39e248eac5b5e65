package isd

import (
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/mhhs/mhhs/internal/market"
)

func defaultDataset(t *testing.T) *Dataset {
	t.Helper()
	ds, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestDefaultGSPGroupsAndDistributors(t *testing.T) {
	ds := defaultDataset(t)
	d := day("2025-06-01")
	for _, gi := range market.GSPGroups() {
		g, ok := ds.GSPGroupAt(gi.ID, d)
		if !ok || g.Name != gi.Name {
			t.Errorf("GSP group %s = %+v, %v; want name %s", gi.ID, g, ok, gi.Name)
		}
		dist, ok := ds.DistributorAt(gi.DistributorID, d)
		if !ok || dist.IDNO || len(dist.GSPGroups) != 1 || dist.GSPGroups[0] != gi.ID {
			t.Errorf("distributor %s = %+v, %v; want the DNO of %s", gi.DistributorID, dist, ok, gi.ID)
		}
		if p, ok := ds.ParticipantAt(dist.MPID, d); !ok || !p.HasRole(market.RoleLDSO) || p.DIPID != dist.DIPID {
			t.Errorf("participant of distributor %s = %+v, %v", dist.ID, p, ok)
		}
		for _, id := range []string{"101", "201", "301", "401", "801"} {
			if _, ok := ds.LLFCAt(gi.DistributorID, id, d); !ok {
				t.Errorf("distributor %s has no LLFC %s", gi.DistributorID, id)
			}
		}
	}
	idnos := 0
	for _, dist := range ds.As(d).Distributors {
		if dist.IDNO {
			idnos++
			if _, ok := market.GSPGroupOfDistributor(dist.ID); ok {
				t.Errorf("IDNO %s has a DNO id", dist.ID)
			}
		}
	}
	if idnos != 2 {
		t.Errorf("%d IDNOs, want 2", idnos)
	}
}

func TestDefaultSuppliersAndBMUnits(t *testing.T) {
	ds := defaultDataset(t)
	check := func(date string, wantSuppliers int) {
		d := day(date)
		n := 0
		for _, p := range ds.As(d).Participants {
			if !p.HasRole(market.RoleSupplier) {
				continue
			}
			n++
			for _, gi := range market.GSPGroups() {
				u, ok := ds.BaseBMUnit(p.MPID, gi.ID, d)
				if want := "2__" + string(gi.ID[1]) + string(p.MPID) + "000"; !ok || u.ID != want {
					t.Errorf("%s: base BM unit of %s in %s = %q, %v; want %s", date, p.MPID, gi.ID, u.ID, ok, want)
				}
			}
		}
		if n != wantSuppliers {
			t.Errorf("%s: %d suppliers, want %d", date, n, wantSuppliers)
		}
	}
	check("2025-03-31", 19) // before TDAL starts
	check("2025-04-01", 20)
	check("2026-10-01", 19) // QRRY has left
	if _, ok := ds.BaseBMUnit("TDAL", "_A", day("2025-03-31")); ok {
		t.Error("TDAL has a BM unit before it starts")
	}
	if _, ok := ds.BMUnitAt("2__PGRNL001", day("2026-01-01")); ok {
		t.Error("2__PGRNL001 still effective after its end")
	}
}

// TestDefaultCCCNumbering checks the numbering scheme of DATASET.md: id =
// 100·h + 10·t + u with h the measurement quantity and component, t the
// segment and domestic flag and u the data quality, and that every
// combination has exactly one class.
func TestDefaultCCCNumbering(t *testing.T) {
	ds := defaultDataset(t)
	d := day("2025-06-01")
	hs := []struct {
		mq market.MeasurementQuantity
		c  Component
	}{{"AI", ComponentConsumption}, {"AI", ComponentLosses}, {"AE", ComponentConsumption}, {"AE", ComponentLosses}}
	ts := []struct {
		seg market.MarketSegment
		dom bool
	}{{"S", true}, {"S", false}, {"A", true}, {"A", false}, {"U", false}}
	us := []Quality{QualityActual, QualityEstimated, QualityDefaulted}
	n := 0
	for h, hv := range hs {
		for tt, tv := range ts {
			for u, q := range us {
				n++
				key := CCCKey{hv.mq, tv.seg, tv.dom, hv.c, q}
				c, ok := ds.CCCFor(key, d)
				want := 100*(h+1) + 10*(tt+1) + u + 1
				if !ok || c.ID != want {
					t.Errorf("CCCFor(%+v) = %d, %v; want %d", key, c.ID, ok, want)
				}
				if c.GSPGroupCorrection != (hv.mq == "AI") {
					t.Errorf("CCC %d: GSP group correction %v", c.ID, c.GSPGroupCorrection)
				}
			}
		}
	}
	if got := len(ds.As(d).CCCs); got != n {
		t.Errorf("%d CCCs, want %d", got, n)
	}
}

func TestDefaultLossFactors(t *testing.T) {
	ds := defaultDataset(t)
	lf := ds.LossFactors()
	if lf.Len() != 78 {
		t.Errorf("%d LLFCs with loss factors, want 78", lf.Len())
	}
	winterWD, summerWD, winterWE := day("2025-01-15"), day("2025-07-16"), day("2025-01-18")
	at := func(dist, llfc string, d market.SettlementDate, p int) Factor {
		t.Helper()
		s, ok := lf.Class(dist, llfc)
		if !ok {
			t.Fatalf("no loss factors for %s/%s", dist, llfc)
		}
		f, ok := s.At(d, p)
		if !ok {
			t.Fatalf("no loss factor for %s/%s on %s period %d", dist, llfc, d, p)
		}
		return f
	}
	// The documented formula: 10/101 in winter on a weekday at period
	// 35 (evening peak): 65000 × 1350 × 1150 × 1000 × 1000 / 10^12 =
	// 100912.5, rounded half up.
	if got := at("10", "101", winterWD, 35); got != 1_100_913 {
		t.Errorf("10/101 winter weekday period 35 = %s, want 1.100913", got)
	}
	for i := range lf.Len() {
		s := lf.Series(i)
		dist, llfc := s.Distributor(), s.LLFC()
		if span := s.Span(); span != (market.Range{From: day("2024-01-01"), To: day("2027-12-31")}) {
			t.Errorf("%s/%s span %s", dist, llfc, span)
		}
		peak, night := at(dist, llfc, winterWD, 35), at(dist, llfc, winterWD, 5)
		if peak <= night {
			t.Errorf("%s/%s: evening peak %s not above night %s", dist, llfc, peak, night)
		}
		if at(dist, llfc, summerWD, 35) >= peak || at(dist, llfc, winterWE, 35) >= peak {
			t.Errorf("%s/%s: summer or weekend not below winter weekday", dist, llfc)
		}
		if night < FactorOne || peak > 1_150_000 {
			t.Errorf("%s/%s: factors %s..%s out of a plausible range", dist, llfc, night, peak)
		}
	}
	if !(at("10", "401", winterWD, 35) < at("10", "301", winterWD, 35) && at("10", "301", winterWD, 35) < at("10", "201", winterWD, 35)) {
		t.Error("loss factors do not fall with voltage level")
	}
}

// TestDatasetDoc checks that data/DATASET.md describes every file of
// data/.
func TestDatasetDoc(t *testing.T) {
	doc, err := os.ReadFile("data/DATASET.md")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := fs.ReadDir(os.DirFS("data"), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "DATASET.md" && !strings.Contains(string(doc), "`"+e.Name()+"`") {
			t.Errorf("DATASET.md does not describe %s", e.Name())
		}
	}
	for _, name := range CSVFiles() {
		if !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("DATASET.md does not describe %s", name)
		}
	}
}
