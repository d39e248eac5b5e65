package sim

import (
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
)

// wantTakes computes the loss-adjusted sums of Takes independently: from
// Site, FillTrue and standing data's loss factors (or def where it has
// none).
func wantTakes(t *testing.T, m *Market, d market.SettlementDate, first, n int, def isd.Factor) map[market.GSPGroup]*Take {
	t.Helper()
	vals := make([][market.PeriodsPerUTCDay]market.Energy, n)
	if err := m.Daily(d).FillTrue(first, vals); err != nil {
		t.Fatal(err)
	}
	imp := map[market.GSPGroup]*[48]int64{}
	exp := map[market.GSPGroup]*[48]int64{}
	for _, s := range sites(t, m, first, n) {
		sums := imp
		if s.Direction == Export {
			sums = exp
		}
		if sums[s.GSPGroup] == nil {
			sums[s.GSPGroup] = new([48]int64)
		}
		for p, v := range vals[s.Index-first] {
			f, ok := m.Dataset().LossFactor(s.MPAN.DistributorID(), s.LLFC, d, p+1)
			if !ok {
				f = def
			}
			sums[s.GSPGroup][p] += int64(v) * int64(f)
		}
	}
	out := map[market.GSPGroup]*Take{}
	for _, g := range m.Config().Groups {
		tk := &Take{Group: g.Group}
		for p := range 48 {
			if s := imp[g.Group]; s != nil {
				tk.Import[p] = market.Energy((s[p] + 500_000) / 1_000_000)
			}
			if s := exp[g.Group]; s != nil {
				tk.Export[p] = market.Energy((s[p] + 500_000) / 1_000_000)
			}
		}
		out[g.Group] = tk
	}
	return out
}

func TestTakes(t *testing.T) {
	m := newMarket(t, func(c *Config) { c.Sites = 20_000; c.TakeError = 0.04 })
	for _, tc := range []struct {
		d   market.SettlementDate
		def isd.Factor // the factor where standing data has none
	}{
		{date(2025, 1, 15), 0},        // standing data's factors
		{date(2028, 6, 1), 1_060_000}, // after them: Config.LossFactor
	} {
		takes, err := m.Takes(tc.d, 3_000, 15_000)
		if err != nil {
			t.Fatal(err)
		}
		want := wantTakes(t, m, tc.d, 3_000, 15_000, tc.def)
		if len(takes) != len(m.Config().Groups) {
			t.Fatalf("%d takes, want one per group", len(takes))
		}
		var erred, periods int
		for k, tk := range takes {
			if tk.Group != m.Config().Groups[k].Group {
				t.Errorf("take %d is of %s, want %s", k, tk.Group, m.Config().Groups[k].Group)
			}
			w := want[tk.Group]
			if diff := cmp.Diff(w.Import, tk.Import); diff != "" {
				t.Errorf("%s %s import (-want +got):\n%s", tc.d, tk.Group, diff)
			}
			if diff := cmp.Diff(w.Export, tk.Export); diff != "" {
				t.Errorf("%s %s export (-want +got):\n%s", tc.d, tk.Group, diff)
			}
			for p := range 48 {
				net := float64(tk.Import[p] - tk.Export[p])
				dev := math.Abs(float64(tk.Metered[p]) - net)
				if net <= 0 {
					t.Errorf("%s %s period %d: net %v Wh", tc.d, tk.Group, p+1, net)
				}
				if dev > 0.04*math.Abs(net)+1 {
					t.Errorf("%s %s period %d: take %d Wh, net %v Wh: off by more than 4 %%", tc.d, tk.Group, p+1, tk.Metered[p], net)
				}
				periods++
				if dev > 0.002*net {
					erred++
				}
			}
		}
		// Something to correct: most periods are off by more than 0.2 %.
		if erred < periods*3/4 {
			t.Errorf("%s: only %d of %d periods have an error above 0.2 %%", tc.d, erred, periods)
		}
	}
}

func TestTakesDeterministic(t *testing.T) {
	a := newMarket(t, func(c *Config) { c.Seed = 5 })
	b := newMarket(t, func(c *Config) { c.Seed = 5 })
	d := date(2025, 9, 9)
	x, err := a.Takes(d, 0, 2000)
	if err != nil {
		t.Fatal(err)
	}
	y, err := b.Takes(d, 0, 2000)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(x, y); diff != "" {
		t.Errorf("the same seed gave different takes:\n%s", diff)
	}
	empty, err := a.Takes(d, 2000, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range empty {
		if tk.Metered != [48]market.Energy{} {
			t.Errorf("%s: a take of no sites is %v", tk.Group, tk.Metered)
		}
	}
	if _, err := a.Takes(d, 9_999, 2); !errors.Is(err, ErrRange) {
		t.Errorf("Takes past the last site = %v, want ErrRange", err)
	}
}
