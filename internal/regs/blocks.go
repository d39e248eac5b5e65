package regs

import (
	"fmt"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// This file builds the blocks of REGS's messages from a registration as at
// a day. A block whose data the registration lacks is nil where the
// message makes it optional; a required one the registration lacks is an
// error (a registration made by NewConnection has them all).

func midnight(d market.SettlementDate) market.DateTime { return market.MidnightOf(d) }

func ptr[T any](v T) *T { return &v }

// nullable returns nil for "" and a pointer to s otherwise.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// missingError reports a registration that lacks an attribute a message
// requires.
func missingError(r *Registration, what string, d market.SettlementDate) error {
	return fmt.Errorf("regs: %s has no %s on %s", r.MPAN, what, d)
}

func (r *Registration) m0(d market.SettlementDate) catalogue.M0 {
	m := catalogue.M0{MPANCore: r.MPAN, DistributorDIPID: r.LDSO}
	if g, ok := r.GSP.At(d); ok {
		m.GSPGroupID = g
	} else if g, ok := market.GSPGroupOfDistributor(r.MPAN.DistributorID()); ok {
		m.GSPGroupID = g
	}
	return m
}

// site is the site data every registration message carries: B022 … B026.
type site struct {
	b022 catalogue.B022
	b023 catalogue.B023
	b024 catalogue.B024
	b025 catalogue.B025
	b026 catalogue.B026
}

func (r *Registration) site(d market.SettlementDate) (site, error) {
	var s site
	s.b022 = r.b022(d)
	var err error
	if s.b023, err = r.b023(d); err != nil {
		return s, err
	}
	tariff, ok := r.DUoSTariff.RangeAt(d)
	if !ok {
		return s, missingError(r, "DUoS tariff", d)
	}
	s.b024 = catalogue.B024{DUOSTariffID: tariff.Value, DUOSTariffIDEffectiveFromDate: midnight(tariff.From)}
	if s.b025, err = r.b025(d); err != nil {
		return s, err
	}
	seg, ok := r.Segment.RangeAt(d)
	if !ok {
		return s, missingError(r, "market segment", d)
	}
	s.b026 = catalogue.B026{MarketSegmentIndicator: seg.Value, MarketSegmentIndicatorEffectiveFromDate: midnight(seg.From)}
	return s, nil
}

func (r *Registration) b022(d market.SettlementDate) catalogue.B022 {
	a, _ := r.Address.At(d)
	line := func(i int) *string {
		if i < len(a.Lines) {
			return nullable(a.Lines[i])
		}
		return nil
	}
	return catalogue.B022{
		MeteringPointPostcode: nullable(a.Postcode),
		AddressLine1:          line(0), AddressLine2: line(1), AddressLine3: line(2),
		AddressLine4: line(3), AddressLine5: line(4), AddressLine6: line(5),
		AddressLine7: line(6), AddressLine8: line(7), AddressLine9: line(8),
	}
}

func (r *Registration) b023(d market.SettlementDate) (catalogue.B023, error) {
	ct, ok := r.Connection.RangeAt(d)
	if !ok {
		return catalogue.B023{}, missingError(r, "connection type", d)
	}
	dir, ok := r.Direction.At(d)
	if !ok {
		return catalogue.B023{}, missingError(r, "energy direction", d)
	}
	metered, ok := r.Metered.At(d)
	if !ok {
		return catalogue.B023{}, missingError(r, "metered indicator", d)
	}
	return catalogue.B023{ConnectionTypeIndicator: ct.Value, ConnectionTypeEffectiveFromDate: midnight(ct.From),
		EnergyDirection: dir, MeteredIndicator: metered}, nil
}

func (r *Registration) b025(d market.SettlementDate) (catalogue.B025, error) {
	e, ok := r.Energisation.RangeAt(d)
	if !ok {
		return catalogue.B025{}, missingError(r, "energisation status", d)
	}
	return catalogue.B025{EnergisationStatus: e.Value, EnergisationStatusEffectiveFromDate: midnight(e.From)}, nil
}

func (r *Registration) b026(d market.SettlementDate) (catalogue.B026, error) {
	seg, ok := r.Segment.RangeAt(d)
	if !ok {
		return catalogue.B026{}, missingError(r, "market segment", d)
	}
	return catalogue.B026{MarketSegmentIndicator: seg.Value, MarketSegmentIndicatorEffectiveFromDate: midnight(seg.From)}, nil
}

func (r *Registration) b028(d market.SettlementDate) (catalogue.B028, error) {
	dom, ok := r.Domestic.RangeAt(d)
	if !ok {
		return catalogue.B028{}, missingError(r, "domestic premise indicator", d)
	}
	return catalogue.B028{DomesticPremiseIndicator: dom.Value, DomesticPremiseIndicatorEffectiveFromDate: midnight(dom.From)}, nil
}

func (r *Registration) b004(d market.SettlementDate) (catalogue.B004, error) {
	b, err := r.b028(d)
	return catalogue.B004(b), err
}

func (r *Registration) b013(d market.SettlementDate) catalogue.B013 {
	s, _ := r.Supplier.At(d)
	return catalogue.B013{CSSRegistrationID: s.CSSRegistrationID}
}

func (r *Registration) b027(d market.SettlementDate) *catalogue.B027 {
	ac, ok := r.Annual.RangeAt(d)
	if !ok {
		return nil
	}
	return &catalogue.B027{AnnualConsumption: ac.Value.Energy, AnnualConsumptionEffectiveFromDate: midnight(ac.From),
		AnnualConsumptionQualityIndicator: ac.Value.Quality}
}

func (r *Registration) b029(d market.SettlementDate) *catalogue.B029 {
	f, ok := r.DCC.RangeAt(d)
	if !ok {
		return nil
	}
	return &catalogue.B029{DCCServiceFlag: f.Value, DCCEffectiveFromDate: midnight(f.From)}
}

func (r *Registration) b030(d market.SettlementDate) *catalogue.B030 {
	f, ok := r.IHD.RangeAt(d)
	if !ok {
		return nil
	}
	return &catalogue.B030{IHDInstallStatus: ptr(f.Value), IHDEffectiveFromDate: midnight(f.From)}
}

func (r *Registration) b031(d market.SettlementDate) *catalogue.B031 {
	f, ok := r.SMSO.RangeAt(d)
	if !ok {
		return nil
	}
	return &catalogue.B031{SMSOID: ptr(f.Value), SMSOEffectiveFromDate: midnight(f.From)}
}

func (r *Registration) b032(d market.SettlementDate) *catalogue.B032 {
	pc, okPC := r.ProfileClass.RangeAt(d)
	ssc, okSSC := r.SSC.RangeAt(d)
	if !okPC && !okSSC {
		return nil
	}
	b := &catalogue.B032{}
	if okPC {
		b.ProfileClass, b.ProfileClassEffectiveFromDate = ptr(pc.Value), ptr(midnight(pc.From))
	}
	if okSSC {
		b.SSC, b.SSCEffectiveFromDate = ptr(ssc.Value), ptr(midnight(ssc.From))
	}
	return b
}

func (r *Registration) b068(d market.SettlementDate) *catalogue.B068 {
	c, ok := r.Consent.RangeAt(d)
	if !ok {
		return nil
	}
	return &catalogue.B068{ConsentGranularity: c.Value, ConsentGranularityEffectiveFromDate: midnight(c.From)}
}

// b005 names the metering and data service appointed on d, nil when
// neither is.
func (r *Registration) b005(d market.SettlementDate) *catalogue.B005 {
	ms, okMS := r.MS.At(d)
	ds, okDS := r.DS.At(d)
	if !okMS && !okDS {
		return nil
	}
	return &catalogue.B005{CurrentMeteringServiceDIPID: nullable(ms.DIPID), CurrentMeteringServiceMPID: nullable(ms.MPID),
		CurrentDataServiceDIPID: nullable(ds.DIPID), CurrentDataServiceMPID: nullable(ds.MPID)}
}

// b006 gives the customer direct contracts on d, nil when there is none.
func (r *Registration) b006(d market.SettlementDate) *catalogue.B006 {
	ms, okMS := r.DirectMS.At(d)
	ds, okDS := r.DirectDS.At(d)
	if !okMS && !okDS {
		return nil
	}
	return &catalogue.B006{CustomerDirectContractMeteringService: okMS, CustomerDirectContractMeteringServiceDIPID: nullable(ms),
		CustomerDirectContractDataService: okDS, CustomerDirectContractDataServiceDIPID: nullable(ds)}
}

// b035List names the MPANs linked to this one (import/export) on d. The
// linked MPAN's supplier is left null: it is the other registration's.
func (r *Registration) b035List(d market.SettlementDate) []catalogue.B035 {
	g, ok := r.Linked.At(d)
	if !ok {
		return nil
	}
	var out []catalogue.B035
	if g.Principal != r.MPAN {
		out = append(out, catalogue.B035{LinkedImportExportMPAN: g.Principal, LinkedMPANEnergyDirection: catalogue.EnergyDirectionI})
	}
	for _, m := range g.Members {
		if m != r.MPAN {
			out = append(out, catalogue.B035{LinkedImportExportMPAN: m, LinkedMPANEnergyDirection: catalogue.EnergyDirectionE})
		}
	}
	return out
}

// b037List gives the related MPAN relationship on d as primary/secondary
// pairs.
func (r *Registration) b037List(d market.SettlementDate) []catalogue.B037 {
	g, ok := r.Related.At(d)
	if !ok {
		return nil
	}
	out := make([]catalogue.B037, 0, len(g.Members))
	for _, m := range g.Members {
		out = append(out, catalogue.B037{PrimaryMPAN: ptr(g.Principal), SecondaryMPAN: ptr(m)})
	}
	return out
}

// b907List and b908List are the linked and related MPANs as IF-002 and
// IF-033 carry them; the linked MPANs' own meters are not included.
func (r *Registration) b907List(d market.SettlementDate) []catalogue.B907 {
	var out []catalogue.B907
	for _, b := range r.b035List(d) {
		out = append(out, catalogue.B907{ExistingMeter: b})
	}
	return out
}

func (r *Registration) b908List(d market.SettlementDate) []catalogue.B908 {
	var out []catalogue.B908
	for _, b := range r.b037List(d) {
		out = append(out, catalogue.B908{ExistingMeter: b})
	}
	return out
}

func (m *Meter) b074() catalogue.B074 {
	return catalogue.B074{MeterID: m.ID, MeterType: m.Type, ManufacturersMakeAndType: m.Make, ESMEGUID: m.ESMEGUID,
		MeterLocation: m.Location, NumberOfDisplayedRegisterDigits: m.Digits, MeterInstallationDate: m.Installed}
}

// b905List gives the meters installed on d, each with its meter asset
// provider on d.
func (r *Registration) b905List(d market.SettlementDate) []catalogue.B905 {
	var out []catalogue.B905
	for i := range r.Meters {
		m := &r.Meters[i]
		if !m.InstalledOn(d) {
			continue
		}
		b := catalogue.B905{ExistingMeter: ptr(m.b074())}
		if mp, ok := m.MAP.RangeAt(d); ok {
			b.ExistingMAP = &catalogue.B075{MeterAssetProviderID: mp.Value, MeterAssetProviderEffectiveFromDate: midnight(mp.From)}
		}
		out = append(out, b)
	}
	return out
}

// b012 names the supplier that asked for an appointment.
func b012(p Party) catalogue.B012 {
	return catalogue.B012{ServiceProviderAppointmentRequestingSupplierDIPID: p.DIPID, ServiceProviderAppointmentRequestingSupplierMPID: p.MPID}
}

// b002 names an incoming supplier from d.
func b002(p Party, d market.SettlementDate) catalogue.B002 {
	return catalogue.B002{IncomingSupplierDIPID: p.DIPID, IncomingSupplierMPID: p.MPID, SupplierEffectiveFromDate: midnight(d)}
}

// b079 gives the RMP and MP statuses on d.
func (r *Registration) b079(d market.SettlementDate) (catalogue.B079, error) {
	rmp, ok1 := r.RMP.RangeAt(d)
	mp, ok2 := r.MP.RangeAt(d)
	if !ok1 || !ok2 {
		return catalogue.B079{}, missingError(r, "RMP and MP status", d)
	}
	return catalogue.B079{RMPStatus: rmp.Value, RMPStatusEffectiveFromDate: midnight(rmp.From),
		MPStatus: mp.Value, MPStatusEffectiveFromDate: midnight(mp.From)}, nil
}
