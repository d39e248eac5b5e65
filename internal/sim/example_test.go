package sim_test

import (
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/sim"
)

// A market of a million MPANs costs nothing until a site or a day is
// asked for. Here two goroutines fill one settlement date, half the sites
// each.
func Example() {
	ds, err := isd.Default()
	if err != nil {
		log.Fatal(err)
	}
	cfg := sim.DefaultConfig()
	cfg.Seed, cfg.Sites = 2025, 1_000_000
	m, err := sim.New(ds, cfg)
	if err != nil {
		log.Fatal(err)
	}

	s, err := m.Site(7)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.MPAN, s.GSPGroup, s.Segment, s.Customer, s.Annual, s.Supplier.MPID)

	d := market.NewSettlementDate(2025, time.February, 3)
	g := m.Daily(d)
	days := make([]sim.Day, 100_000)
	var wg sync.WaitGroup
	for _, half := range [][2]int{{0, 50_000}, {50_000, 100_000}} {
		wg.Go(func() {
			if err := g.Fill(half[0], days[half[0]:half[1]]); err != nil {
				log.Print(err)
			}
		})
	}
	wg.Wait()
	var total market.Energy
	for _, v := range days[7].Values {
		total += v
	}
	fmt.Println(d, "site 7:", total, "kWh, noon (period 25):", days[7].Values[24], days[7].Quality[24])

	events, err := m.Events(d, d.AddDays(6), 0, 100_000)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(events), "events in a week among 100 000 sites; the first:", events[0].Kind, events[0].Date)
	// Output:
	// 1819141634316 _N S solar 1009.053 KSTL
	// 2025-02-03 site 7: 1.370 kWh, noon (period 25): 0.141 actual
	// 389 events in a week among 100 000 sites; the first: disconnection 2025-02-03
}
