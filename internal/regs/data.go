package regs

import (
	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// accepted is the R0 of an accepted request.
func accepted() catalogue.R0 {
	return catalogue.R0{ResponseCode: catalogue.ResponseCodeA, ResponseMessages: []*string{}}
}

// effectiveDate applies the rules of an effective date a party gives REGS:
// local midnight (REG1032), not in the future (REG1020), not more than
// MaxRetrospectiveDays back (REG1024).
func (c *call) effectiveDate(t market.DateTime) (market.SettlementDate, catalogue.RejectionCode) {
	if !market.IsLocalMidnight(t.Time()) {
		return market.SettlementDate{}, catalogue.REG1032
	}
	d := t.LocalDate()
	if d.After(c.today) {
		return d, catalogue.REG1020
	}
	if d.Before(c.today.AddDays(-c.e.cfg.MaxRetrospectiveDays)) {
		return d, catalogue.REG1024
	}
	return d, ""
}

// energisation decides a metering service's change of energisation status
// (IF-007), answered with IF-008 to every party (BP008).
func (c *call) energisation(in *catalogue.IF007EnergisationStatusChange) error {
	resp := &catalogue.IF008EnergisationStatusChange{CustomBlock: catalogue.IF008Custom{B025: in.CustomBlock.B025}}
	r, err := c.get(in.CommonBlock.M0.MPANCore)
	if err != nil {
		return err
	}
	if r == nil {
		return c.rejectWith(resp, catalogue.REG0000)
	}
	b := in.CustomBlock.B025
	from, code := c.effectiveDate(b.EnergisationStatusEffectiveFromDate)
	switch {
	case code != "":
	case r.Disconnected(from):
		code = catalogue.REG1001
	default:
		if ms, ok := r.MS.At(from); !ok || ms.DIPID != in.CommonBlock.S1.SenderDIPID {
			code = catalogue.REG1002 // not the metering service appointed on the date
		}
	}
	if code != "" {
		return c.rejectWith(resp, code)
	}
	r.Energisation.Set(from, b.EnergisationStatus)
	c.keep(r)
	resp.CommonBlock.M0 = r.m0(c.today)
	resp.CommonBlock.R0 = accepted()
	return c.answer(resp)
}

// supplierData decides a supplier's change of the data it maintains
// (IF-025: consent granularity, IHD status, SMSO, profile class and SSC),
// answered with IF-026 to every party.
func (c *call) supplierData(in catalogue.Payload) error {
	var resp catalogue.Payload
	var date market.DateTime
	switch m := in.(type) {
	case *catalogue.IF025ConsentGranularity:
		resp = &catalogue.IF026ConsentGranularity{CustomBlock: catalogue.IF026ConsentGranularityCustom(m.CustomBlock)}
		date = m.CustomBlock.B068.ConsentGranularityEffectiveFromDate
	case *catalogue.IF025IHDInfo:
		resp = &catalogue.IF026IHDInfo{CustomBlock: catalogue.IF026IHDInfoCustom(m.CustomBlock)}
		date = m.CustomBlock.B030.IHDEffectiveFromDate
	case *catalogue.IF025SMSO:
		resp = &catalogue.IF026SMSO{CustomBlock: catalogue.IF026SMSOCustom(m.CustomBlock)}
		date = m.CustomBlock.B031.SMSOEffectiveFromDate
	case *catalogue.IF025SSCandProfileClass:
		resp = &catalogue.IF026SSCandProfileClass{CustomBlock: catalogue.IF026SSCandProfileClassCustom(m.CustomBlock)}
		b := m.CustomBlock.B032
		switch {
		case b.ProfileClassEffectiveFromDate != nil:
			date = *b.ProfileClassEffectiveFromDate
		case b.SSCEffectiveFromDate != nil:
			date = *b.SSCEffectiveFromDate
		}
	}
	common := in.Common()
	r, err := c.get(common.M0.MPANCore)
	if err != nil {
		return err
	}
	if r == nil {
		return c.rejectWith(resp, catalogue.REG0000)
	}
	if date.IsZero() {
		return c.rejectWith(resp, catalogue.REG1022) // a profile class and SSC change that changes neither
	}
	sender := common.S1.SenderDIPID
	if code := c.checkSupplierData(r, sender, date); code != "" {
		return c.rejectWith(resp, code)
	}
	d := date.LocalDate()
	var code catalogue.RejectionCode
	switch m := in.(type) {
	case *catalogue.IF025ConsentGranularity:
		g := m.CustomBlock.B068.ConsentGranularity
		if g == catalogue.ConsentGranularityX {
			code = catalogue.REG1022 // the contract's stray "x" is no granularity
			break
		}
		r.Consent.Set(d, g)
	case *catalogue.IF025IHDInfo:
		code = setNullable(&r.IHD, d, m.CustomBlock.B030.IHDInstallStatus)
	case *catalogue.IF025SMSO:
		if id := m.CustomBlock.B031.SMSOID; id != nil {
			if _, err := market.ParseMPID(*id); err != nil {
				code = catalogue.REG1023 // an SMSO id is a market participant id
				break
			}
		}
		code = setNullable(&r.SMSO, d, m.CustomBlock.B031.SMSOID)
	case *catalogue.IF025SSCandProfileClass:
		code = c.profileClassAndSSC(r, m.CustomBlock.B032)
	}
	if code != "" {
		return c.rejectWith(resp, code)
	}
	c.keep(r)
	*resp.Common().M0 = r.m0(c.today)
	*resp.Common().R0 = accepted()
	return c.answer(resp)
}

// checkSupplierData applies the rules every supplier data change shares.
func (c *call) checkSupplierData(r *Registration, sender string, date market.DateTime) catalogue.RejectionCode {
	if r.Disconnected(c.today) {
		return catalogue.REG1001 // MP/RMP status must be created/operational
	}
	if m, _ := r.Migrated.At(c.today); !m {
		return catalogue.REG9002 // supplier data cannot be kept for an unmigrated MPAN
	}
	if s, ok := r.Supplier.At(c.today); !ok || s.DIPID != sender {
		return catalogue.REG1021 // requesting supplier is not the current supplier
	}
	d, code := c.effectiveDate(date)
	if code != "" {
		return code
	}
	if s, ok := r.Supplier.At(d); !ok || s.DIPID != sender {
		return catalogue.REG1019 // outside the supplier's period of responsibility
	}
	return ""
}

// setNullable sets h from d to *v, or ends it from d when v is nil; ending
// a value that is already none is REG0009.
func setNullable[T comparable](h *market.History[T], d market.SettlementDate, v *T) catalogue.RejectionCode {
	if v != nil {
		h.Set(d, *v)
		return ""
	}
	if _, ok := h.At(d); !ok {
		return catalogue.REG0009 // null cannot be set: the value held is already null
	}
	h.Unset(d)
	return ""
}

// validProfileClasses are the profile classes of the legacy load
// profiles (reference §4: 01 … 08). Assumption: ISD's list is these.
var validProfileClasses = []string{"01", "02", "03", "04", "05", "06", "07", "08"}

func (c *call) profileClassAndSSC(r *Registration, b catalogue.B032) catalogue.RejectionCode {
	type item struct {
		h     *market.History[string]
		v     *string
		date  *market.DateTime
		later catalogue.RejectionCode
	}
	for _, it := range []item{
		{&r.ProfileClass, b.ProfileClass, b.ProfileClassEffectiveFromDate, catalogue.REG1041},
		{&r.SSC, b.SSC, b.SSCEffectiveFromDate, catalogue.REG1040},
	} {
		if it.date == nil {
			continue
		}
		d, code := c.effectiveDate(*it.date)
		if code != "" {
			return code
		}
		if last, ok := it.h.Last(); ok && !d.After(last) {
			return it.later // the effective date must be later than the existing one
		}
		if it.v != nil && it.h == &r.ProfileClass {
			valid := false
			for _, pc := range validProfileClasses {
				valid = valid || *it.v == pc
			}
			if !valid {
				return catalogue.REG1045 // PC must be a valid value in ISD
			}
		}
		if code := setNullable(it.h, d, it.v); code != "" {
			return code
		}
	}
	return ""
}

// annualConsumption records the annual consumption ECS calculated
// (IF-040). REGS answers nothing; the value travels in its later messages
// (B027).
func (c *call) annualConsumption(in *catalogue.IF040AnnualConsumption) error {
	r, err := c.get(in.CommonBlock.M0.MPANCore)
	if err != nil {
		return err
	}
	if r == nil {
		c.refuse("no registration of %s", in.CommonBlock.M0.MPANCore)
		return nil
	}
	b := in.CustomBlock.B059
	r.Annual.Set(b.AnnualConsumptionEffectiveFromDate.LocalDate(), AnnualConsumption{Energy: b.AnnualConsumption, Quality: b.AnnualConsumptionQualityIndicator})
	c.keep(r)
	return nil
}

// directContract decides a service provider's advice that it has, or no
// longer has, a contract with the customer (IF-038), answered with IF-039.
// A provider under such a contract stays appointed through a change of
// supplier, and a new supplier cannot replace it (REG1099).
func (c *call) directContract(in catalogue.Payload) error {
	var resp catalogue.Payload
	var k catalogue.ServiceKind
	var add bool
	var named *string
	var to market.DateTime
	switch m := in.(type) {
	case *catalogue.IF038DirectContractMSAdd:
		resp = &catalogue.IF039DirectContractMSAdd{CustomBlock: catalogue.IF039DirectContractMSAddCustom(m.CustomBlock)}
		k, add, named, to = catalogue.MeteringService, true, m.CustomBlock.B020.CustomerDirectContractMeteringServiceDIPID, m.CustomBlock.B020.CustomerDirectContractMeteringServiceEffectiveToDate
	case *catalogue.IF038DirectContractDSAdd:
		resp = &catalogue.IF039DirectContractDSAdd{CustomBlock: catalogue.IF039DirectContractDSAddCustom(m.CustomBlock)}
		k, add, named, to = catalogue.DataService, true, m.CustomBlock.B021.CustomerDirectContractDataServiceDIPID, m.CustomBlock.B021.CustomerDirectContractDataServiceEffectiveToDate
	case *catalogue.IF038DirectContractMSRemove:
		resp, k = &catalogue.IF039DirectContractMSRemove{}, catalogue.MeteringService
	case *catalogue.IF038DirectContractDSRemove:
		resp, k = &catalogue.IF039DirectContractDSRemove{}, catalogue.DataService
	}
	common := in.Common()
	r, err := c.get(common.M0.MPANCore)
	if err != nil {
		return err
	}
	if r == nil {
		return c.rejectWith(resp, catalogue.REG0000)
	}
	sender := common.S1.SenderDIPID
	if a, ok := r.appointments(k).At(c.today); !ok || a.DIPID != sender {
		return c.rejectWith(resp, catalogue.REG1019) // only the appointed provider
	}
	h := r.direct(k)
	if add {
		end := to.LocalDate()
		if named != nil && *named != sender || end.Before(c.today) {
			return c.rejectWith(resp, catalogue.REG1022) // another provider's contract, or one already over
		}
		h.Set(c.today, sender)
		h.Unset(end.AddDays(1))
	} else {
		if cur, ok := h.At(c.today); !ok || cur != sender {
			return c.rejectWith(resp, catalogue.REG0009) // there is no contract to remove
		}
		h.Unset(c.today)
	}
	c.keep(r)
	*resp.Common().M0 = r.m0(c.today)
	*resp.Common().R0 = accepted()
	return c.answer(resp)
}
