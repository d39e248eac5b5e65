package main

// A flow is a request variant and the variants that answer it. An answer
// goes back to the request's sender (its Primary recipient is the
// requester); a follow-up is a message the request leads its recipient to
// send to others (IF-031 leads REGS to send IF-033 to the proposed service
// provider). The public record has no machine-readable table of these; they
// are read from the Interface Catalogue's titles and the appointment flow
// of reference mhhs-domain.md §5b, and each is an assumption to confirm.
type flow struct {
	request   string   // "IF-031 [MSApp]"
	answers   []string // variants answering the requester
	followUps []string // variants sent on to others because of it
}

var flows = []flow{
	{"IF-005 [MeterInstall]", []string{"IF-006 [MeterInstall]"}, nil},
	{"IF-005 [MeterRemoval]", []string{"IF-006 [MeterRemoval]"}, nil},
	{"IF-005 [MeterExchange]", []string{"IF-006 [MeterExchange]"}, nil},
	{"IF-005 [MeterUpdate]", []string{"IF-006 [MeterUpdate]"}, nil},
	{"IF-005 [MeterHistoryUpdate]", []string{"IF-006 [MeterHistoryUpdate]"}, nil},
	{"IF-007 [EnergisationStatusChange]", []string{"IF-008 [EnergisationStatusChange]"}, nil},
	{"IF-015 [ConsumptionReplay]", []string{"IF-016 [ActivePower]", "IF-016 [ReactivePower]", "IF-016 [ActivePowerRejected]", "IF-016 [ActivePowerDefaulted]", "IF-016 [ConsumptionRequestRejected]"}, nil},
	{"IF-019 [LinkedImportExportCreate]", []string{"IF-020 [LinkedImportExportCreate]"}, nil},
	{"IF-019 [LinkedImportExportAdd]", []string{"IF-020 [LinkedImportExportAdd]"}, nil},
	{"IF-019 [LinkedImportExportRemove]", []string{"IF-020 [LinkedImportExportRemove]"}, nil},
	{"IF-019 [RelatedCreate]", []string{"IF-020 [RelatedCreate]"}, nil},
	{"IF-019 [RelatedAdd]", []string{"IF-020 [RelatedAdd]"}, nil},
	{"IF-019 [RelatedRemove]", []string{"IF-020 [RelatedRemove]"}, nil},
	{"IF-021 [ActivePower]", []string{"IF-014 [ActivePowerRejected]", "IF-014 [ConsumptionOnDeEnergisedMPAN]"}, nil},
	{"IF-025 [ConsentGranularity]", []string{"IF-026 [ConsentGranularity]"}, nil},
	{"IF-025 [IHDInfo]", []string{"IF-026 [IHDInfo]"}, nil},
	{"IF-025 [SMSO]", []string{"IF-026 [SMSO]"}, nil},
	{"IF-025 [SSCandProfileClass]", []string{"IF-026 [SSCandProfileClass]"}, nil},
	{"IF-027 [ConsumptionAmendment]", []string{"IF-028 [ConsumptionAmendment]"}, nil},
	{"IF-031 [MSApp]", []string{"IF-032 [MSAppInitialResp]"}, []string{"IF-033 [MSAppSPRequest]"}},
	{"IF-031 [DSApp]", []string{"IF-032 [DSAppInitialResp]"}, []string{"IF-033 [DSAppSPRequest]"}},
	{"IF-033 [MSAppSPRequest]", []string{"IF-034 [MSAppSPResponse]"}, nil},
	{"IF-033 [DSAppSPRequest]", []string{"IF-034 [DSAppSPResponse]", "IF-034 [SDS-MDRUpdate]"}, nil},
	{"IF-034 [MSAppSPResponse]", nil, []string{"IF-035 [MSAppAccepted]", "IF-035 [MSAppRejected]", "IF-035 [MSAppLapsed]", "IF-035 [IMS-SendMTD]", "IF-036 [MSAppActive]", "IF-037 [MSDeApp]"}},
	{"IF-034 [DSAppSPResponse]", nil, []string{"IF-035 [DSAppAccepted]", "IF-035 [DSAppRejected]", "IF-035 [DSAppLapsed]", "IF-036 [DSAppActive]", "IF-037 [DSDeApp]"}},
	{"IF-034 [SDS-MDRUpdate]", nil, []string{"IF-035 [SDS-MDROutcome]", "IF-035 [DCC-MDROutcome]"}},
	{"IF-038 [DirectContractMSAdd]", []string{"IF-039 [DirectContractMSAdd]"}, nil},
	{"IF-038 [DirectContractDSAdd]", []string{"IF-039 [DirectContractDSAdd]"}, nil},
	{"IF-038 [DirectContractDSRemove]", []string{"IF-039 [DirectContractDSRemove]"}, nil},
	{"IF-038 [DirectContractMSRemove]", []string{"IF-039 [DirectContractMSRemove]"}, nil},
	{"IF-061 [MDRStart]", []string{"IF-062 [MDRStartResponse]"}, nil},
}

// A family is a view shared by the twin variants of the appointment
// interfaces: every variant whose CustomBlock requires one of blocks gets
// Get() and Set() methods through the block's own conversion methods
// (internal/catalogue/families.go).
type family struct {
	blocks    []string
	get, set  string
	typ, conv string
}

var families = []family{
	{[]string{"B070", "B071"}, "Proposed", "SetProposed", "Appointment", "appointment"},
	{[]string{"B014", "B015"}, "Incoming", "SetIncoming", "Appointment", "appointment"},
	{[]string{"B008", "B009"}, "DeAppointed", "SetDeAppointed", "DeAppointment", "deAppointment"},
}
