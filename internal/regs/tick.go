package regs

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// Reminder kinds: the IF-045 event codes, as Registration.Reminded keys
// them.
const (
	reminderNoMS    = "[NoMSAppointed]"
	reminderNoDS    = "[NoDSAppointed]"
	reminderSegment = "[InvalidMarketSegment]"
	reminderConsent = "[ConsentGranularityInvalid]"
)

var reminderKinds = []string{reminderNoMS, reminderNoDS, reminderSegment, reminderConsent}

// Tick does the MPAN's timed work as at now: appointment requests a
// provider has not answered in time lapse, an objection left unresolved
// is upheld, a switch CSS has not made active in time is dropped, and
// reminders (IF-045) go to the parties of an MPAN that has no metering or
// data service, an invalid market segment or an invalid consent
// granularity. Registration.Due tells when there is work. It returns an
// error matching ErrNotFound for an MPAN with no registration.
func (e *Engine) Tick(book Book, mpan market.MPAN, now time.Time) (Decision, error) {
	c := e.newCall(book, "tick/"+string(mpan)+"/"+now.UTC().Format(time.RFC3339), now)
	r, err := c.get(mpan)
	if err != nil {
		return Decision{}, err
	}
	if r == nil {
		return Decision{}, fmt.Errorf("regs: tick %s: %w", mpan, ErrNotFound)
	}
	if err := c.tick(r); err != nil {
		return Decision{}, err
	}
	// A tick always keeps the registration: its Due moves on.
	c.keep(r)
	return c.finish()
}

func (c *call) tick(r *Registration) error {
	cfg := c.e.cfg
	for _, p := range slices.Clone(r.Proposals) {
		if !p.Accepted && c.today.After(cfg.Calendar.AddWorkingDays(p.At.LocalDate(), cfg.ProviderResponseWorkingDays)) {
			if err := c.lapse(r, p.ID); err != nil {
				return err
			}
		}
	}
	if sw := r.Switch; sw != nil {
		objectionOver := sw.State == SwitchObjected && c.today.After(cfg.Calendar.AddWorkingDays(sw.Objected.LocalDate(), cfg.ObjectionResolutionWorkingDays))
		expired := c.today.After(sw.From.AddDays(cfg.SwitchExpiryDays))
		if objectionOver || expired {
			if err := c.cancelSwitch(r); err != nil {
				return err
			}
		}
	}
	for _, kind := range reminderKinds {
		if !c.e.remindable(r, kind, c.today) {
			if _, ok := r.Reminded[kind]; ok {
				delete(r.Reminded, kind)
			}
			continue
		}
		if last, ok := r.Reminded[kind]; ok && c.today.Before(last.AddDays(cfg.ReminderEveryDays)) {
			continue
		}
		if err := c.remind(r, kind); err != nil {
			return err
		}
	}
	return nil
}

// remindable reports whether the reminder kind is due on d: its cause
// holds on d and held ReminderGraceWorkingDays before, with a supplier
// registered on both days, the MPAN connected.
func (e *Engine) remindable(r *Registration, kind string, d market.SettlementDate) bool {
	if !e.cause(r, kind, d) {
		return false // most days, and cheaper than the calendar
	}
	return e.cause(r, kind, e.cfg.Calendar.AddWorkingDays(d, -e.cfg.ReminderGraceWorkingDays))
}

func (e *Engine) cause(r *Registration, kind string, d market.SettlementDate) bool {
	if !r.Registered(d) || r.Disconnected(d) {
		return false
	}
	switch kind {
	case reminderNoMS:
		_, ok := r.MS.At(d)
		return !ok
	case reminderNoDS:
		_, ok := r.DS.At(d)
		return !ok
	case reminderSegment:
		return !e.segmentValid(r, d)
	case reminderConsent:
		return !consentValid(r, d)
	}
	return false
}

// segmentValid reports whether the MPAN's market segment fits its
// connection (unmetered with unmetered) and its appointed services.
func (e *Engine) segmentValid(r *Registration, d market.SettlementDate) bool {
	seg, ok := r.Segment.At(d)
	if !ok {
		return false
	}
	if ct, ok := r.Connection.At(d); ok && (ct == market.ConnectionUnmetered) != (seg == market.SegmentUnmetered) {
		return false
	}
	for _, k := range []catalogue.ServiceKind{catalogue.MeteringService, catalogue.DataService} {
		a, ok := r.appointments(k).At(d)
		if !ok {
			continue
		}
		if !slices.Contains(segmentsOf(e.cfg.Directory, a.DIPID, k), seg) {
			return false
		}
	}
	return true
}

func segmentsOf(dir Directory, dipID string, k catalogue.ServiceKind) []market.MarketSegment {
	var out []market.MarketSegment
	for _, role := range dir.Roles(dipID) {
		if k == catalogue.MeteringService && !role.IsMeteringService() || k == catalogue.DataService && !role.IsDataService() {
			continue
		}
		if s, ok := segmentOfRole(role); ok {
			out = append(out, s)
		}
	}
	return out
}

// consentValid reports whether the consent granularity fits the MPAN.
// Assumption (the rule is not in the public record): only a domestic
// smart-segment customer may choose less than half-hourly data (D, M, N);
// a non-domestic or advanced or unmetered MPAN must be H. No recorded
// consent is not invalid.
func consentValid(r *Registration, d market.SettlementDate) bool {
	g, ok := r.Consent.At(d)
	if !ok || g == catalogue.ConsentGranularityH {
		return true
	}
	dom, _ := r.Domestic.At(d)
	seg, _ := r.Segment.At(d)
	return dom && seg == market.SegmentSmart
}

var reminderText = map[string]string{
	reminderNoMS:    "No metering service is appointed to the MPAN",
	reminderNoDS:    "No data service is appointed to the MPAN",
	reminderSegment: "The market segment does not match the connection type or the appointed services",
	reminderConsent: "The consent granularity is not valid for the MPAN",
}

// remind sends the parties of the MPAN an IF-045 reminder.
func (c *call) remind(r *Registration, kind string) error {
	custom := catalogue.IF045Custom{B060: &catalogue.B060{AdditionalInformation: ptr(reminderText[kind])}}
	var out catalogue.Payload
	switch kind {
	case reminderNoMS:
		out = &catalogue.IF045NoMSAppointed{CustomBlock: custom}
	case reminderNoDS:
		out = &catalogue.IF045NoDSAppointed{CustomBlock: custom}
	case reminderSegment:
		out = &catalogue.IF045InvalidMarketSegment{CustomBlock: custom}
	case reminderConsent:
		out = &catalogue.IF045ConsentGranularityInvalid{CustomBlock: custom}
	}
	*out.Common().M0 = r.m0(c.today)
	// One reminder of a kind a day, however often the MPAN is ticked.
	key := catalogue.Key("reminder", string(r.MPAN), kind, c.today.String())
	c.sender.StampKey(out, c.at, key)
	c.out = append(c.out, out)
	if r.Reminded == nil {
		r.Reminded = map[string]market.SettlementDate{}
	}
	r.Reminded[kind] = c.today
	return nil
}

// schedule sets r.Due: the earliest time Tick has work for the MPAN after
// now, nil when it has none. It is exact for lapses and expiries; for
// reminders it checks the days on which a cause can start or end.
func (e *Engine) schedule(r *Registration, now time.Time) {
	today := market.FromTime(now.In(market.London()))
	cal := e.cfg.Calendar
	var due market.SettlementDate
	consider := func(d market.SettlementDate) {
		if !d.After(today) {
			d = today.AddDays(1)
		}
		if due.IsZero() || d.Before(due) {
			due = d
		}
	}
	for _, p := range r.Proposals {
		if !p.Accepted {
			consider(cal.AddWorkingDays(p.At.LocalDate(), e.cfg.ProviderResponseWorkingDays).AddDays(1))
		}
	}
	if sw := r.Switch; sw != nil {
		consider(sw.From.AddDays(e.cfg.SwitchExpiryDays + 1))
		if sw.State == SwitchObjected {
			consider(cal.AddWorkingDays(sw.Objected.LocalDate(), e.cfg.ObjectionResolutionWorkingDays).AddDays(1))
		}
	}
	if d, ok := e.nextReminder(r, today, due); ok {
		consider(d)
	}
	if due.IsZero() {
		r.Due = nil
		return
	}
	r.Due = ptr(midnight(due))
}

// nextReminder returns the first day after today, and before limit (if
// set), on which a reminder would be sent.
func (e *Engine) nextReminder(r *Registration, today, limit market.SettlementDate) (market.SettlementDate, bool) {
	cal, grace := e.cfg.Calendar, e.cfg.ReminderGraceWorkingDays
	days := map[market.SettlementDate]bool{today.AddDays(1): true}
	// A change affects the reminders from its day to grace working days
	// later: those long past cannot, and are skipped before the calendar
	// is asked (generously: grace working days are fewer than 2·grace+14
	// calendar days).
	horizon := today.AddDays(-2*(grace+1) - 14)
	addChange := func(c market.SettlementDate) {
		if c.Before(horizon) {
			return
		}
		for _, d := range []market.SettlementDate{c, cal.AddWorkingDays(c, grace), cal.AddWorkingDays(c, grace+1)} {
			if d.After(today) {
				days[d] = true
			}
		}
	}
	changes := func(starts []market.SettlementDate) {
		for _, s := range starts {
			addChange(s)
		}
	}
	changes(starts(&r.Supplier))
	changes(starts(&r.MS))
	changes(starts(&r.DS))
	changes(starts(&r.Segment))
	changes(starts(&r.Connection))
	changes(starts(&r.Consent))
	changes(starts(&r.Domestic))
	changes(starts(&r.MP))
	changes(starts(&r.RMP))
	for _, last := range r.Reminded {
		if d := last.AddDays(e.cfg.ReminderEveryDays); d.After(today) {
			days[d] = true
		}
	}
	candidates := slices.SortedFunc(maps.Keys(days), market.SettlementDate.Compare)
	for _, d := range candidates {
		if !limit.IsZero() && !d.Before(limit) {
			break
		}
		for _, kind := range reminderKinds {
			if !e.remindable(r, kind, d) {
				continue
			}
			if last, ok := r.Reminded[kind]; ok && d.Before(last.AddDays(e.cfg.ReminderEveryDays)) {
				continue
			}
			return d, true
		}
	}
	return market.SettlementDate{}, false
}

// starts returns the days on which h changes: each range's first day and
// the day after each closed range.
func starts[T any](h *market.History[T]) []market.SettlementDate {
	var out []market.SettlementDate
	for _, e := range h.Ranges() {
		out = append(out, e.From)
		if !e.IsOpen() {
			out = append(out, e.To.AddDays(1))
		}
	}
	return out
}

// mdrUpdate decides a smart data service's nomination of its meter data
// retriever (IF-034 SDS-MDRUpdate), reported to the data service and the
// supplier (IF-035 SDS-MDROutcome).
func (c *call) mdrUpdate(in *catalogue.IF034SDSMDRUpdate) error {
	r, err := c.get(in.CommonBlock.M0.MPANCore)
	if err != nil {
		return err
	}
	if r == nil {
		c.refuse("no registration of %s", in.CommonBlock.M0.MPANCore)
		return nil
	}
	b := in.CustomBlock.B018
	sender := in.CommonBlock.S1.SenderDIPID
	d := b.SDSNominatedMDRRequestedEffectiveFromDate.LocalDate()
	var code catalogue.RejectionCode
	ds, okDS := r.DS.At(d)
	switch {
	case !c.hasRole(sender, market.RoleSDS):
		code = catalogue.REG1090 // the data service is not a smart data service
	case !c.hasRole(b.SDSNominatedMDRDIPID, market.RoleMDR):
		code = catalogue.REG1077 // MDR not in the catalogue
	case !market.IsLocalMidnight(b.SDSNominatedMDRRequestedEffectiveFromDate.Time()):
		code = catalogue.REG1087 // not a contiguous (midnight) date
	case !okDS || ds.DIPID != sender:
		code = catalogue.REG1086 // outside the data service's appointment
	default:
		if last, ok := r.MDR.Last(); ok && d.Before(last) {
			code = catalogue.REG1088 // earlier than the previous MDR's date
		} else if cur, ok := r.MDR.At(d); ok && cur.DIPID == b.SDSNominatedMDRDIPID {
			code = catalogue.REG1096 // already the appointed MDR
		}
	}
	b099 := catalogue.B099{ResponseCode: catalogue.ResponseCodeA}
	if code != "" {
		c.reject(code)
		b099 = catalogue.B099(catalogue.Rejected(code))
	} else {
		r.MDR.Set(d, Party{b.SDSNominatedMDRDIPID, b.SDSNominatedMDRMPID})
		c.keep(r)
	}
	// The supplier of the day, else the one the data service named (an
	// MPAN no one supplies on the day has no data service either: the
	// nomination is refused).
	supplier := Party{in.CustomBlock.B012.ServiceProviderAppointmentRequestingSupplierDIPID, in.CustomBlock.B012.ServiceProviderAppointmentRequestingSupplierMPID}
	if s, ok := r.Supplier.At(d); ok {
		supplier = s.Party
	}
	m := &catalogue.IF035SDSMDROutcome{CustomBlock: catalogue.IF035SDSMDROutcomeCustom{B012: b012(supplier),
		B092: catalogue.B092{AssignedMDRDIPID: b.SDSNominatedMDRDIPID, AssignedMDRMPID: b.SDSNominatedMDRMPID, AssignedMDREffectiveFromDate: b.SDSNominatedMDRRequestedEffectiveFromDate},
		B099: b099, B013: in.CustomBlock.B013}}
	m.CommonBlock.M0 = r.m0(c.today)
	to := []string{sender}
	if supplier.DIPID != "" && supplier.DIPID != sender {
		to = append(to, supplier.DIPID)
	}
	c.send(m, to, string(r.MPAN))
	return nil
}
