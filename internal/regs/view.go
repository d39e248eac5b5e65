package regs

import (
	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// Snapshot is a registration as at one day: the value of each attribute
// on that day, the zero value (omitted from its JSON) where none applies.
// It is what "as at" questions ask (`mhhs regs show MPAN --at DATE`).
type Snapshot struct {
	MPAN         market.MPAN                  `json:"mpan"`
	Day          market.SettlementDate        `json:"day"`
	LDSO         string                       `json:"ldso"`
	Supplier     Supply                       `json:"supplier,omitzero"`
	MS           Appointment                  `json:"ms,omitzero"`
	DS           Appointment                  `json:"ds,omitzero"`
	MDR          Party                        `json:"mdr,omitzero"`
	DirectMS     string                       `json:"directMS,omitempty"`
	DirectDS     string                       `json:"directDS,omitempty"`
	Address      Address                      `json:"address,omitzero"`
	GSP          market.GSPGroup              `json:"gsp,omitempty"`
	Connection   market.ConnectionType        `json:"connection,omitempty"`
	Direction    catalogue.EnergyDirection    `json:"direction,omitempty"`
	Metered      bool                         `json:"metered"`
	DUoSTariff   string                       `json:"duos,omitempty"`
	Energisation market.EnergisationStatus    `json:"energisation,omitempty"`
	Segment      market.MarketSegment         `json:"segment,omitempty"`
	Domestic     bool                         `json:"domestic"`
	Consent      catalogue.ConsentGranularity `json:"consent,omitempty"`
	Annual       AnnualConsumption            `json:"annual,omitzero"`
	DCC          catalogue.DCCServiceFlag     `json:"dcc,omitempty"`
	IHD          catalogue.IHDStatus          `json:"ihd,omitempty"`
	SMSO         string                       `json:"smso,omitempty"`
	ProfileClass string                       `json:"pc,omitempty"`
	SSC          string                       `json:"ssc,omitempty"`
	// Meters are the meters installed on the day, each with its meter
	// asset provider on the day.
	Meters    []InstalledMeter    `json:"meters,omitempty"`
	Linked    Group               `json:"linked,omitzero"`
	Related   Group               `json:"related,omitzero"`
	RMP       catalogue.RMPStatus `json:"rmp,omitempty"`
	MP        catalogue.MPStatus  `json:"mp,omitempty"`
	GreenDeal bool                `json:"greenDeal,omitempty"`
	Migrated  bool                `json:"migrated"`
}

// InstalledMeter is a meter as installed on a day.
type InstalledMeter struct {
	ID        string                  `json:"id"`
	Type      catalogue.MeterType     `json:"type"`
	Location  catalogue.MeterLocation `json:"loc"`
	Installed market.DateTime         `json:"installed"`
	MAP       string                  `json:"map,omitempty"`
}

// At returns the registration as at day d.
func (r *Registration) At(d market.SettlementDate) Snapshot {
	s := Snapshot{MPAN: r.MPAN, Day: d, LDSO: r.LDSO}
	s.Supplier, _ = r.Supplier.At(d)
	s.MS, _ = r.MS.At(d)
	s.DS, _ = r.DS.At(d)
	s.MDR, _ = r.MDR.At(d)
	s.DirectMS, _ = r.DirectMS.At(d)
	s.DirectDS, _ = r.DirectDS.At(d)
	s.Address, _ = r.Address.At(d)
	s.GSP, _ = r.GSP.At(d)
	s.Connection, _ = r.Connection.At(d)
	s.Direction, _ = r.Direction.At(d)
	s.Metered, _ = r.Metered.At(d)
	s.DUoSTariff, _ = r.DUoSTariff.At(d)
	s.Energisation, _ = r.Energisation.At(d)
	s.Segment, _ = r.Segment.At(d)
	s.Domestic, _ = r.Domestic.At(d)
	s.Consent, _ = r.Consent.At(d)
	s.Annual, _ = r.Annual.At(d)
	s.DCC, _ = r.DCC.At(d)
	s.IHD, _ = r.IHD.At(d)
	s.SMSO, _ = r.SMSO.At(d)
	s.ProfileClass, _ = r.ProfileClass.At(d)
	s.SSC, _ = r.SSC.At(d)
	s.Linked, _ = r.Linked.At(d)
	s.Related, _ = r.Related.At(d)
	s.RMP, _ = r.RMP.At(d)
	s.MP, _ = r.MP.At(d)
	s.GreenDeal, _ = r.GreenDeal.At(d)
	s.Migrated, _ = r.Migrated.At(d)
	for i := range r.Meters {
		m := &r.Meters[i]
		if m.InstalledOn(d) {
			mp, _ := m.MAP.At(d)
			s.Meters = append(s.Meters, InstalledMeter{ID: m.ID, Type: m.Type, Location: m.Location, Installed: m.Installed, MAP: mp})
		}
	}
	return s
}

// Involves reports whether the participant with DIP id dipID is a party of
// the MPAN on the snapshot's day: its distributor, supplier, metering or
// data service (appointed, or by a direct contract with the customer) or
// meter data retriever. It is who may ask REGS about the MPAN as at that
// day (the read API's entitlement).
func (s Snapshot) Involves(dipID string) bool {
	if dipID == "" {
		return false
	}
	for _, id := range []string{s.LDSO, s.Supplier.DIPID, s.MS.DIPID, s.DS.DIPID, s.MDR.DIPID, s.DirectMS, s.DirectDS} {
		if id == dipID {
			return true
		}
	}
	return false
}
