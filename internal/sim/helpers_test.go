package sim

import (
	"math"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
)

// newMarket returns a market on the default standing data with the
// default config changed by edit.
func newMarket(t testing.TB, edit func(*Config)) *Market {
	t.Helper()
	ds, err := isd.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.KeyBits = 1024
	if edit != nil {
		edit(&cfg)
	}
	m, err := New(ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func date(y int, mo time.Month, d int) market.SettlementDate {
	return market.NewSettlementDate(y, mo, d)
}

// sites returns sites first to first+n-1.
func sites(t testing.TB, m *Market, first, n int) []Site {
	t.Helper()
	out := make([]Site, n)
	for i := range out {
		s, err := m.Site(first + i)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = s
	}
	return out
}

// checkShare fails unless got of n is within tol (absolute, as a share)
// of want.
func checkShare(t *testing.T, name string, got, n int, want, tol float64) {
	t.Helper()
	share := float64(got) / float64(n)
	if math.Abs(share-want) > tol {
		t.Errorf("%s: %d of %d = %.4f, want %.4f ± %.4f", name, got, n, share, want, tol)
	}
}

// sigmas returns a tolerance of k binomial standard deviations for share
// p of n draws.
func sigmas(k float64, p float64, n int) float64 {
	return k * math.Sqrt(p*(1-p)/float64(n))
}

func mustDate(t testing.TB, s string) market.SettlementDate {
	t.Helper()
	d, err := market.ParseSettlementDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
