package simparty

import (
	"context"
	"fmt"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/sim"
)

// DataService is a simulated data service: it reports the synthetic
// market's half-hourly consumption of the sites it serves as IF-021, one
// message per MPAN and UTC day, and records what the DIP sends it (as a
// Party does). Its references are fixed by MPAN and day, so reporting a
// day again is refused by the DIP as a duplicate.
//
// It is a stand-in until the data service engine lands: a period the
// synthetic meter did not deliver (a comms gap, a missing day) or read as
// implausible is sent estimated (quality E) at the mean of the day's good
// periods, which is no documented estimation method.
type DataService struct {
	Party
	Market *sim.Market
}

// NewDataService returns a simulated data service sending as sender and
// recording in st.
func NewDataService(m *sim.Market, sender *catalogue.Sender, st participant.Store) *DataService {
	return &DataService{Party: Party{DIPID: sender.DIPID, Role: sender.Role, Store: st, Sender: sender}, Market: m}
}

// Serves reports whether the data service is appointed to site s on its
// first day.
func (ds *DataService) Serves(s sim.Site) bool { return string(s.DataService.DIPID) == ds.DIPID }

// IF021 builds the IF-021 of date d for each of sites (site indexes) the
// data service serves and that has a metering point on d.
func (ds *DataService) IF021(d market.SettlementDate, sites []int) ([]*catalogue.IF021ActivePower, error) {
	daily := ds.Market.Daily(d)
	day := make([]sim.Day, 1)
	var out []*catalogue.IF021ActivePower
	for _, i := range sites {
		s, err := ds.Market.Site(i)
		if err != nil {
			return nil, err
		}
		if !ds.Serves(s) {
			continue
		}
		if err := daily.Fill(i, day); err != nil {
			return nil, err
		}
		if day[0].Quality[0] == sim.Absent {
			continue
		}
		out = append(out, ds.message(s, d, &day[0]))
	}
	return out, nil
}

func (ds *DataService) message(s sim.Site, d market.SettlementDate, day *sim.Day) *catalogue.IF021ActivePower {
	m := &catalogue.IF021ActivePower{}
	ds.Sender.StampKey(m, d.UTCMidnight(), catalogue.Key(string(s.MPAN), d.String()))
	m.CommonBlock.M0 = catalogue.M0{MPANCore: s.MPAN, DistributorDIPID: string(s.Distributor.DIPID), GSPGroupID: s.GSPGroup}
	m.CustomBlock.B044 = catalogue.B044{IssuingDataServiceDIPID: ds.DIPID}
	from := ds.Market.Config().Start
	if !s.Connected.IsZero() {
		from = s.Connected
	}
	m.CustomBlock.B067 = catalogue.B067{ConnectionTypeIndicator: s.Connection, ConnectionTypeEffectiveFromDate: market.MidnightOf(from)}
	var good market.Energy
	n := 0
	for p, q := range day.Quality {
		if q == sim.Actual {
			good += day.Values[p]
			n++
		}
	}
	estimate := market.Energy(0)
	if n > 0 {
		estimate = good / market.Energy(n)
	}
	periods := make([]catalogue.B047, market.PeriodsPerUTCDay)
	for p := range periods {
		v, q := day.Values[p], catalogue.QualityA
		if day.Quality[p] == sim.Missing || day.Quality[p].Anomalous() {
			v, q = estimate, catalogue.QualityE
		}
		periods[p] = catalogue.B047{Sp: market.PeriodStartOf(d, p+1), V: v, Q: q}
	}
	mq := market.ActiveImport
	if s.Direction == sim.Export {
		mq = market.ActiveExport
	}
	m.CustomBlock.B900 = catalogue.B900{MQID: catalogue.B045{MeasurementQuantityID: mq},
		SettlementDayConsumptionPeriods: []catalogue.B901{{
			SettlementDay:      catalogue.B046{SettlementDayDate: market.At(d.UTCMidnight()), PeriodDuration: 30},
			ConsumptionPeriods: periods,
		}}}
	return m
}

// Report sends the IF-021 of date d for sites through s, in requests of
// batch messages. It returns how many the DIP has (accepted now or before).
func (ds *DataService) Report(ctx context.Context, s participant.Sender, d market.SettlementDate, sites []int, batch int) (int, error) {
	msgs, err := ds.IF021(d, sites)
	if err != nil {
		return 0, err
	}
	sent := 0
	for i := 0; i < len(msgs); i += batch {
		end := min(i+batch, len(msgs))
		ps := make([]catalogue.Payload, 0, end-i)
		for _, m := range msgs[i:end] {
			ps = append(ps, m)
		}
		vs, err := participant.SendTyped(ctx, s, "IF-021", ps...)
		if err != nil {
			return sent, fmt.Errorf("simparty: data service %s: %w", ds.DIPID, err)
		}
		sent += len(vs)
	}
	return sent, nil
}
