package regs

import (
	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// meterTechnicalDetails decides a metering service's meter technical
// details (IF-005: a meter installed, removed, exchanged or updated, or its
// history corrected), answered with IF-006 to every party (BP009). The
// metering service appointed on the meter's date may send them; after its
// appointment ends it may still do so for its period for
// MTDWindowWorkingDays (REG1003), but not change the meter now installed
// (REG1012).
func (c *call) meterTechnicalDetails(in catalogue.Payload) error {
	var (
		resp         catalogue.Payload
		install      *catalogue.B033
		maps         []catalogue.B034
		removal      *catalogue.B039
		ihd          *catalogue.B030
		update, hist bool
	)
	switch m := in.(type) {
	case *catalogue.IF005MeterInstall:
		resp = &catalogue.IF006MeterInstall{CustomBlock: catalogue.IF006MeterInstallCustom{B906: m.CustomBlock.B906, B030: m.CustomBlock.B030}}
		install, maps, ihd = &m.CustomBlock.B906.ExistingMeter, m.CustomBlock.B906.HistoryMAP, m.CustomBlock.B030
	case *catalogue.IF005MeterRemoval:
		resp = &catalogue.IF006MeterRemoval{CustomBlock: catalogue.IF006MeterRemovalCustom{B039: m.CustomBlock.B039}}
		removal = &m.CustomBlock.B039
	case *catalogue.IF005MeterExchange:
		resp = &catalogue.IF006MeterExchange{CustomBlock: catalogue.IF006MeterExchangeCustom{B906: m.CustomBlock.B906, B039: m.CustomBlock.B039, B030: m.CustomBlock.B030}}
		install, maps, removal, ihd = &m.CustomBlock.B906.ExistingMeter, m.CustomBlock.B906.HistoryMAP, &m.CustomBlock.B039, m.CustomBlock.B030
	case *catalogue.IF005MeterUpdate:
		resp = &catalogue.IF006MeterUpdate{CustomBlock: catalogue.IF006MeterUpdateCustom{B906: m.CustomBlock.B906, B030: m.CustomBlock.B030, B039: m.CustomBlock.B039}}
		install, maps, ihd, update = &m.CustomBlock.B906.ExistingMeter, m.CustomBlock.B906.HistoryMAP, m.CustomBlock.B030, true
	case *catalogue.IF005MeterHistoryUpdate:
		resp = &catalogue.IF006MeterHistoryUpdate{CustomBlock: catalogue.IF006MeterHistoryUpdateCustom{B906: m.CustomBlock.B906, B039: m.CustomBlock.B039}}
		install, maps, hist = &m.CustomBlock.B906.ExistingMeter, m.CustomBlock.B906.HistoryMAP, true
	}
	common := in.Common()
	r, err := c.get(common.M0.MPANCore)
	if err != nil {
		return err
	}
	if r == nil {
		return c.rejectWith(resp, catalogue.REG0000)
	}
	// The meter's relevant date: removal for a removal or exchange, today
	// for an update of the installed meter, installation otherwise.
	var d market.SettlementDate
	switch {
	case removal != nil:
		if removal.MeterRemovalDate == nil {
			return c.rejectWith(resp, catalogue.REG1028) // a removal date cannot be null
		}
		d = removal.MeterRemovalDate.LocalDate()
	case update:
		d = c.today
	default:
		d = install.MeterInstallationDate.LocalDate()
	}
	if code := c.checkMTD(r, common.S1.SenderDIPID, d, update); code != "" {
		return c.rejectWith(resp, code)
	}
	var code catalogue.RejectionCode
	switch {
	case update:
		code = c.updateMeter(r, install, maps, false)
	case hist:
		code = c.updateMeter(r, install, maps, true)
	default:
		if removal != nil {
			code = removeMeter(r, removal)
		}
		if code == "" && install != nil {
			if removal != nil && install.MeterInstallationDate.LocalDate().Before(removal.MeterRemovalDate.LocalDate()) {
				code = catalogue.REG1008 // an exchanged meter's install date cannot precede the removal
			} else {
				code = installMeter(r, install, maps)
			}
		}
	}
	if code != "" {
		return c.rejectWith(resp, code)
	}
	if ihd != nil && ihd.IHDInstallStatus != nil {
		r.IHD.Set(ihd.IHDEffectiveFromDate.LocalDate(), *ihd.IHDInstallStatus)
	}
	c.keep(r)
	setExisting(resp, r.b905List(c.today))
	*resp.Common().M0 = r.m0(c.today)
	*resp.Common().R0 = accepted()
	return c.answer(resp)
}

func setExisting(p catalogue.Payload, l []catalogue.B905) {
	switch m := p.(type) {
	case *catalogue.IF006MeterInstall:
		m.CustomBlock.B905List = l
	case *catalogue.IF006MeterRemoval:
		m.CustomBlock.B905List = l
	case *catalogue.IF006MeterExchange:
		m.CustomBlock.B905List = l
	case *catalogue.IF006MeterUpdate:
		m.CustomBlock.B905List = l
	case *catalogue.IF006MeterHistoryUpdate:
		m.CustomBlock.B905List = l
	}
}

// checkMTD applies who may send meter technical details dated d.
func (c *call) checkMTD(r *Registration, sender string, d market.SettlementDate, update bool) catalogue.RejectionCode {
	if ct, ok := r.Connection.At(d); ok && ct == market.ConnectionUnmetered {
		return catalogue.REG0003 // not for an unmetered connection
	}
	if s, ok := r.Segment.At(d); ok && s == market.SegmentUnmetered {
		return catalogue.REG0004 // not for the unmetered segment
	}
	if update {
		// An update changes the meter installed now: only the metering
		// service appointed now may make it.
		if cur, ok := r.MS.At(c.today); !ok || cur.DIPID != sender {
			return catalogue.REG1012
		}
		return ""
	}
	ms, ok := r.MS.RangeAt(d)
	if !ok || ms.Value.DIPID != sender {
		return catalogue.REG1002 // no appointment held by the metering service on the date
	}
	if cur, ok := r.MS.At(c.today); ok && cur.DIPID == sender {
		return ""
	}
	// A previous metering service, within its window.
	if !ms.IsOpen() && c.today.After(c.e.cfg.Calendar.AddWorkingDays(ms.To, c.e.cfg.MTDWindowWorkingDays)) {
		return catalogue.REG1003 // the post-appointment update period has expired
	}
	return ""
}

// mapHistory reads a meter asset provider history: each MAP id a market
// participant id (REG1009), effective from the meter's installation on
// (REG1010), in date order (REG1014).
func mapHistory(h *market.History[string], installed market.SettlementDate, maps []catalogue.B034) catalogue.RejectionCode {
	last, hasLast := h.Last()
	for _, b := range maps {
		if _, err := market.ParseMPID(b.MeterAssetProviderID); err != nil {
			return catalogue.REG1009
		}
		d := b.MeterAssetProviderEffectiveFromDate.LocalDate()
		if d.Before(installed) {
			return catalogue.REG1010
		}
		if hasLast && !d.After(last) {
			return catalogue.REG1014
		}
		h.Set(d, b.MeterAssetProviderID)
		last, hasLast = d, true
	}
	return ""
}

func installMeter(r *Registration, b *catalogue.B033, maps []catalogue.B034) catalogue.RejectionCode {
	d := b.MeterInstallationDate.LocalDate()
	if b.ModifiedMeterID != nil {
		return catalogue.REG1029 // the modified meter id must be null
	}
	for _, m := range r.installed() {
		if m.ID == b.MeterID {
			return catalogue.REG1006 // a meter with the id is already installed
		}
	}
	if d.Before(r.Created) {
		return catalogue.REG1011 // installed before the MPAN was created
	}
	if r.Disconnected(d) {
		return catalogue.REG1007 // installed after the disconnection
	}
	m := Meter{ID: b.MeterID, Type: b.MeterType, Make: b.ManufacturersMakeAndType, ESMEGUID: b.ESMEGUID,
		Location: b.MeterLocation, Digits: b.NumberOfDisplayedRegisterDigits, Installed: b.MeterInstallationDate}
	if code := mapHistory(&m.MAP, d, maps); code != "" {
		return code
	}
	r.Meters = append(r.Meters, m)
	return ""
}

func removeMeter(r *Registration, b *catalogue.B039) catalogue.RejectionCode {
	for _, m := range r.installed() {
		if m.ID != b.MeterIDRemoved {
			continue
		}
		if b.MeterRemovalDate.LocalDate().Before(m.Installed.LocalDate()) {
			return catalogue.REG1005 // removed before it was installed
		}
		m.Removed = ptr(*b.MeterRemovalDate)
		return ""
	}
	return catalogue.REG1004 // no installed meter has the id
}

// updateMeter changes an installed meter's details (MeterUpdate), or a
// removed meter's (MeterHistoryUpdate, hist).
func (c *call) updateMeter(r *Registration, b *catalogue.B033, maps []catalogue.B034, hist bool) catalogue.RejectionCode {
	m := r.meter(b.MeterID)
	if m == nil {
		return catalogue.REG1015 // no meter has the id
	}
	if hist {
		if m.Removed == nil {
			return catalogue.REG1018 // MeterHistoryUpdate cannot amend the installed meter
		}
		if b.ModifiedMeterID != nil {
			return catalogue.REG1029
		}
	} else {
		if m.Removed != nil {
			return catalogue.REG1015 // not installed: it cannot be updated
		}
		if b.ModifiedMeterID != nil {
			if !b.MeterInstallationDate.Equal(m.Installed) {
				return catalogue.REG1017 // id and installation date not both in one update
			}
			for _, o := range r.installed() {
				if o.ID == *b.ModifiedMeterID {
					return catalogue.REG1013 // the new id is another installed meter's
				}
			}
		}
	}
	if code := mapHistory(&m.MAP, m.Installed.LocalDate(), maps); code != "" {
		return code
	}
	if b.ModifiedMeterID != nil {
		m.ID = *b.ModifiedMeterID
	}
	m.Type, m.Make, m.ESMEGUID, m.Location, m.Digits = b.MeterType, b.ManufacturersMakeAndType, b.ESMEGUID, b.MeterLocation, b.NumberOfDisplayedRegisterDigits
	if hist {
		m.Installed = b.MeterInstallationDate
	}
	return ""
}
