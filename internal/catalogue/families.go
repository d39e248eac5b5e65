package catalogue

import "github.com/mhhs/mhhs/internal/market"

// ServiceKind tells a metering service appointment from a data service
// one. The appointment interfaces come in twins (IF-031 [MSApp] and
// [DSApp], …) that differ only in the block naming the provider (B070 or
// B071, B014 or B015, B008 or B009); the family views below let a service
// handle both twins with one piece of code.
type ServiceKind string

// Service kinds.
const (
	MeteringService ServiceKind = "MS"
	DataService     ServiceKind = "DS"
)

// Appointment is a service provider's appointment as the appointment
// blocks carry it: proposed (B070, B071) or incoming (B014, B015). It
// holds every value of the blocks, so that copying an appointment from a
// request to its answer through the view loses nothing; the data service
// blocks' own values are zero for a metering service.
type Appointment struct {
	Kind              ServiceKind
	DIPID             string
	MPID              string
	From              market.DateTime
	ContractReference *string
	Scenario          AppointmentScenario

	// A proposed data service's (B071): the supplier's nominated MDR,
	// proposed consent granularity and domestic indicator; and (B071,
	// B015) the traditional fall-back read frequency.
	NominatedMDR       *string
	NominatedMDRMPID   *string
	NominatedMDRFrom   *market.DateTime
	ConsentGranularity ConsentGranularity
	Domestic           bool
	ReadFrequency      *ReadFrequency
}

// DeAppointment is a provider's de-appointment (B008, B009).
type DeAppointment struct {
	Kind     ServiceKind
	DIPID    string
	MPID     string
	From, To market.DateTime
	Reason   DeAppointmentReason
}

// Proposal is implemented by the variants that carry a proposed
// appointment (B070 or B071): IF-031 [MSApp] and [DSApp], their IF-032
// answers, IF-033 requests, IF-034 responses and IF-035 outcomes.
type Proposal interface {
	Payload
	Proposed() Appointment
	SetProposed(Appointment)
}

// Activation is implemented by the variants that announce an active
// appointment (B014 or B015): IF-036 [MSAppActive] and [DSAppActive].
type Activation interface {
	Payload
	Incoming() Appointment
	SetIncoming(Appointment)
}

// Retirement is implemented by the variants that announce a
// de-appointment (B008 or B009): IF-037 [MSDeApp] and [DSDeApp], IF-003's
// migration de-appointments.
type Retirement interface {
	Payload
	DeAppointed() DeAppointment
	SetDeAppointed(DeAppointment)
}

func (b *B070) appointment() Appointment {
	return Appointment{Kind: MeteringService, DIPID: b.ProposedMeteringServiceDIPID, MPID: b.ProposedMeteringServiceMPID,
		From: b.ProposedMeteringServiceDIPEffectiveFromDate, ContractReference: b.ContractReferenceMeteringService, Scenario: b.AppointmentScenario}
}

func (b *B070) set(a Appointment) {
	b.ProposedMeteringServiceDIPID, b.ProposedMeteringServiceMPID = a.DIPID, a.MPID
	b.ProposedMeteringServiceDIPEffectiveFromDate, b.ContractReferenceMeteringService, b.AppointmentScenario = a.From, a.ContractReference, a.Scenario
}

func (b *B071) appointment() Appointment {
	return Appointment{Kind: DataService, DIPID: b.ProposedDataServiceDIPID, MPID: b.ProposedDataServiceMPID,
		From: b.ProposedDataServiceDIPEffectiveFromDate, ContractReference: b.ContractReferenceDataService, Scenario: b.AppointmentScenario,
		NominatedMDR: b.SupplierNominatedMDRDIPID, NominatedMDRMPID: b.SupplierNominatedMDRMPID, NominatedMDRFrom: b.SupplierNominatedMDREffectiveFromDate,
		ConsentGranularity: b.SupplierProposedConsentGranularity, Domestic: b.SupplierProposedDomesticIndicator, ReadFrequency: b.TraditionalFallBackReadFrequency}
}

func (b *B071) set(a Appointment) {
	b.ProposedDataServiceDIPID, b.ProposedDataServiceMPID = a.DIPID, a.MPID
	b.ProposedDataServiceDIPEffectiveFromDate, b.ContractReferenceDataService, b.AppointmentScenario = a.From, a.ContractReference, a.Scenario
	b.SupplierNominatedMDRDIPID, b.SupplierNominatedMDRMPID, b.SupplierNominatedMDREffectiveFromDate = a.NominatedMDR, a.NominatedMDRMPID, a.NominatedMDRFrom
	b.SupplierProposedConsentGranularity, b.SupplierProposedDomesticIndicator, b.TraditionalFallBackReadFrequency = a.ConsentGranularity, a.Domestic, a.ReadFrequency
}

func (b *B014) appointment() Appointment {
	return Appointment{Kind: MeteringService, DIPID: b.IncomingMeteringServiceDIPID, MPID: b.IncomingMeteringServiceMPID,
		From: b.IncomingMeteringServiceEffectiveFromDate, ContractReference: b.ContractReferenceMeteringService, Scenario: b.AppointmentScenario}
}

func (b *B014) set(a Appointment) {
	b.IncomingMeteringServiceDIPID, b.IncomingMeteringServiceMPID = a.DIPID, a.MPID
	b.IncomingMeteringServiceEffectiveFromDate, b.ContractReferenceMeteringService, b.AppointmentScenario = a.From, a.ContractReference, a.Scenario
}

func (b *B015) appointment() Appointment {
	return Appointment{Kind: DataService, DIPID: b.IncomingDataServiceDIPID, MPID: b.IncomingDataServiceMPID,
		From: b.IncomingDataServiceEffectiveFromDate, ContractReference: b.ContractReferenceDataService, Scenario: b.AppointmentScenario,
		ReadFrequency: b.TraditionalFallBackReadFrequency}
}

func (b *B015) set(a Appointment) {
	b.IncomingDataServiceDIPID, b.IncomingDataServiceMPID = a.DIPID, a.MPID
	b.IncomingDataServiceEffectiveFromDate, b.ContractReferenceDataService, b.AppointmentScenario = a.From, a.ContractReference, a.Scenario
	b.TraditionalFallBackReadFrequency = a.ReadFrequency
}

func (b *B008) deAppointment() DeAppointment {
	return DeAppointment{MeteringService, b.DeAppointedMeteringServiceDIPID, b.DeAppointedMeteringServiceMPID,
		b.MeteringServiceEffectiveFromDate, b.MeteringServiceEffectiveToDate, b.DeAppointmentReasonCode}
}

func (b *B008) set(d DeAppointment) {
	b.DeAppointedMeteringServiceDIPID, b.DeAppointedMeteringServiceMPID = d.DIPID, d.MPID
	b.MeteringServiceEffectiveFromDate, b.MeteringServiceEffectiveToDate, b.DeAppointmentReasonCode = d.From, d.To, d.Reason
}

func (b *B009) deAppointment() DeAppointment {
	return DeAppointment{DataService, b.DeAppointedDataServiceDIPID, b.DeAppointedDataServiceMPID,
		b.DataServiceEffectiveFromDate, b.DataServiceEffectiveToDate, b.DeAppointmentReasonCode}
}

func (b *B009) set(d DeAppointment) {
	b.DeAppointedDataServiceDIPID, b.DeAppointedDataServiceMPID = d.DIPID, d.MPID
	b.DataServiceEffectiveFromDate, b.DataServiceEffectiveToDate, b.DeAppointmentReasonCode = d.From, d.To, d.Reason
}
