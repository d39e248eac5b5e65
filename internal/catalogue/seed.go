package catalogue

// SeedArtefact is one artefact of the programme status report the project
// was created from (MHHS Design Artefact Status Report, February 2022), with
// the final interfaces that implement it. The seed's interface numbers are
// the 2022 draft's: the final catalogue reused them for other messages, so
// never key logic on a seed number.
type SeedArtefact struct {
	Ref  string // MHHSP-BP001, MHHSP-IF-001, MHHSP-BRS001, …
	Name string
	Kind string // business process, interface, service, global, technical
	// Final lists the final interfaces (IF-nnn, REP-nnn) that carry the
	// artefact. Services list every interface their role sends or receives.
	Final []string
	// Role is the DIP role of a service artefact.
	Role string
	// Confidence of the mapping: H (same purpose evident in the catalogue
	// and spec), M (inferred), or "" where nothing maps.
	Confidence string
	Note       string
}

// Seed returns the seed's artefacts in report order with their final
// interfaces (reference mhhs-domain.md §1b).
func (c *Catalogue) Seed() []SeedArtefact {
	out := make([]SeedArtefact, len(seedArtefacts))
	copy(out, seedArtefacts)
	for i := range out {
		if out[i].Role != "" {
			out[i].Final = c.interfacesOfRole(out[i].Role)
		}
		if out[i].Kind == "global" && out[i].Final == nil {
			for _, in := range c.order {
				out[i].Final = append(out[i].Final, in.ID)
			}
		}
	}
	return out
}

func (c *Catalogue) interfacesOfRole(role string) []string {
	var out []string
	for _, in := range c.order {
		if contains(in.Senders, role) || contains(in.Recipients, role) {
			out = append(out, in.ID)
		}
	}
	return out
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

var appointment = []string{"IF-031", "IF-032", "IF-033", "IF-034", "IF-035", "IF-036", "IF-037"}

var seedArtefacts = []SeedArtefact{
	{Ref: "MHHSP-BP001", Name: "Change of Supplier", Kind: "business process", Final: append([]string{"IF-001", "IF-002"}, appointment...), Confidence: "H"},
	{Ref: "MHHSP-BP002", Name: "Change of Agent - Metering Service", Kind: "business process", Final: appointment, Confidence: "H", Note: "MS* events"},
	{Ref: "MHHSP-BP003", Name: "Change of Agent - Data Service", Kind: "business process", Final: appointment, Confidence: "H", Note: "DS* events"},
	{Ref: "MHHSP-BP004", Name: "Data Collection", Kind: "business process", Final: []string{"IF-021", "IF-024", "IF-041", "IF-061", "IF-062", "IF-063", "IF-064", "IF-065"}, Confidence: "M"},
	{Ref: "MHHSP-BP005", Name: "Data Processing", Kind: "business process", Final: []string{"IF-013", "IF-014", "IF-021", "IF-022", "IF-023", "IF-027", "IF-028"}, Confidence: "M"},
	{Ref: "MHHSP-BP006", Name: "New Connection", Kind: "business process", Final: []string{"IF-001", "IF-018", "IF-050"}, Confidence: "M", Note: "IF-001 [InitialRegistration]"},
	{Ref: "MHHSP-BP007", Name: "Disconnection", Kind: "business process", Final: []string{"IF-009"}, Confidence: "H"},
	{Ref: "MHHSP-BP008", Name: "Change of Energisation Status", Kind: "business process", Final: []string{"IF-007", "IF-008"}, Confidence: "H"},
	{Ref: "MHHSP-BP009", Name: "Change of Meter", Kind: "business process", Final: []string{"IF-004", "IF-005", "IF-006"}, Confidence: "H"},
	{Ref: "MHHSP-BP010", Name: "Change of Registration Data (address, HH data consent, domestic indicator, loss factor id, other)", Kind: "business process", Final: []string{"IF-018", "IF-025", "IF-026"}, Confidence: "M"},
	{Ref: "MHHSP-BP011", Name: "Change of Market Segment", Kind: "business process", Final: []string{"IF-031", "IF-044", "IF-045"}, Confidence: "H", Note: "appointment scenario SEG"},
	{Ref: "MHHSP-BP013", Name: "Demand Control Events", Kind: "business process", Note: "no DIP interface in v2.2.1"},
	{Ref: "MHHSP-BP014", Name: "Behind the Boundary Point Metering Process", Kind: "business process", Note: "no DIP interface in v2.2.1"},
	{Ref: "MHHSP-BP015", Name: "Meter Faults", Kind: "business process", Note: "no DIP interface in v2.2.1"},
	{Ref: "MHHSP-BP016", Name: "Settlement Queries/Disputes", Kind: "business process", Final: []string{"IF-013"}, Confidence: "M", Note: "dispute runs DR/DF carried by settlement code"},
	{Ref: "MHHSP-BP017", Name: "Network Charging", Kind: "business process", Final: []string{"REP-002", "REP-002A", "REP-002B", "REP-900", "REP-901"}, Confidence: "M"},
	{Ref: "MHHSP-BP018", Name: "Load Shaping Service (ECS)", Kind: "business process", Final: []string{"IF-022", "IF-023"}, Confidence: "H"},
	{Ref: "MHHSP-BP019", Name: "Marketwide Data Service (ECS)", Kind: "business process", Final: []string{"IF-013", "IF-014", "IF-021", "REP-008"}, Confidence: "H"},
	{Ref: "MHHSP-BP020", Name: "VAS Processes", Kind: "business process", Final: []string{"REP-003", "REP-003A", "REP-004", "REP-006", "REP-007", "REP-009"}, Confidence: "M"},
	{Ref: "MHHSP-BP021", Name: "ISD", Kind: "business process", Final: []string{"IF-047"}, Confidence: "H"},

	{Ref: "MHHSP-IF-001", Name: "Metering Service Appointment", Kind: "interface", Final: []string{"IF-031", "IF-032", "IF-033", "IF-034", "IF-035", "IF-036"}, Confidence: "H", Note: "MSApp … MSAppActive"},
	{Ref: "MHHSP-IF-002", Name: "Metering Service De-Appointment", Kind: "interface", Final: []string{"IF-037", "IF-003"}, Confidence: "H", Note: "MSDeApp, MSDeAppUpdate; MSDeAppRM on reverse migration"},
	{Ref: "MHHSP-IF-003", Name: "Registration Updates to Metering Service", Kind: "interface", Final: []string{"IF-036", "IF-018", "IF-026", "IF-006", "IF-008"}, Confidence: "M"},
	{Ref: "MHHSP-IF-004", Name: "Metering Service Appointment Outcome", Kind: "interface", Final: []string{"IF-034", "IF-035"}, Confidence: "H"},
	{Ref: "MHHSP-IF-005", Name: "Metering Service Updates to Registration", Kind: "interface", Final: []string{"IF-005"}, Confidence: "H"},
	{Ref: "MHHSP-IF-006", Name: "Data Service Appointment", Kind: "interface", Final: []string{"IF-031", "IF-032", "IF-033", "IF-034", "IF-035", "IF-036"}, Confidence: "H", Note: "DSApp … DSAppActive"},
	{Ref: "MHHSP-IF-007", Name: "Data Service De-Appointment", Kind: "interface", Final: []string{"IF-037", "IF-003"}, Confidence: "H", Note: "DSDeApp; DSDeAppRM"},
	{Ref: "MHHSP-IF-008", Name: "Registration Updates to Data Service", Kind: "interface", Final: []string{"IF-036", "IF-018", "IF-026", "IF-006", "IF-008"}, Confidence: "H"},
	{Ref: "MHHSP-IF-009", Name: "Data Service Appointment Outcome", Kind: "interface", Final: []string{"IF-034", "IF-035"}, Confidence: "H"},
	{Ref: "MHHSP-IF-010", Name: "Registration Updates to Central Settlements", Kind: "interface", Final: []string{"IF-001", "IF-003", "IF-008", "IF-009", "IF-018", "IF-036", "IF-037", "IF-044"}, Confidence: "M", Note: "MDS is a recipient of these"},
	{Ref: "MHHSP-IF-017", Name: "Registrations Service confirmation of revised metering information", Kind: "interface", Final: []string{"IF-006"}, Confidence: "H"},
	{Ref: "MHHSP-IF-021", Name: "HH Consumption Data", Kind: "interface", Final: []string{"IF-021"}, Confidence: "H", Note: "now UTC Settlement Period Consumption Data"},
	{Ref: "MHHSP-IF-022", Name: "LSS Period Data", Kind: "interface", Final: []string{"IF-022"}, Confidence: "H"},
	{Ref: "MHHSP-IF-023", Name: "LSS Totals Data", Kind: "interface", Final: []string{"IF-023"}, Confidence: "H"},
	{Ref: "MHHSP-IF-026", Name: "Publish ISD", Kind: "interface", Final: []string{"IF-047"}, Confidence: "H"},
	{Ref: "MHHSP-IF-030", Name: "Registration Update to Supplier (COS Gain)", Kind: "interface", Final: []string{"IF-002", "IF-001"}, Confidence: "H", Note: "GainMPANInfo on the pending switch, ChangeOfSupplier on the secured switch"},
	{Ref: "MHHSP-IF-031", Name: "Supplier Request to Appoint Agents", Kind: "interface", Final: []string{"IF-031"}, Confidence: "H"},
	{Ref: "MHHSP-IF-032", Name: "Supplier Request to Appoint Agents Response", Kind: "interface", Final: []string{"IF-032"}, Confidence: "H"},
	{Ref: "MHHSP-IF-033", Name: "Registration Update to Supplier (3rd Party Change)", Kind: "interface", Final: []string{"IF-018", "IF-026", "IF-006", "IF-008"}, Confidence: "M", Note: "final IF-033 is the REGS → service provider appointment request"},
	{Ref: "MHHSP-IF-036", Name: "Registration Update to LDSO", Kind: "interface", Final: []string{"IF-001", "IF-003", "IF-006", "IF-008", "IF-009", "IF-018", "IF-026", "IF-036", "IF-037", "IF-044"}, Confidence: "M", Note: "final IF-036 is the confirmation of appointment"},
	{Ref: "MHHSP-IF-037", Name: "LDSO Notification of Changes", Kind: "interface", Final: []string{"IF-018"}, Confidence: "M"},
	{Ref: "MHHSP-IF-038", Name: "Metering service update to Registration for change of Energisation", Kind: "interface", Final: []string{"IF-007"}, Confidence: "H"},
	{Ref: "MHHSP-IF-039", Name: "Registration Services response to metering service request to change of energisation", Kind: "interface", Final: []string{"IF-008"}, Confidence: "H"},
	{Ref: "MHHSP-IF-040", Name: "Registration services notification of changes following a disconnection", Kind: "interface", Final: []string{"IF-009"}, Confidence: "H"},
	{Ref: "MHHSP-IF-041", Name: "Meter Reading", Kind: "interface", Final: []string{"IF-041"}, Confidence: "H"},
	{Ref: "MHHSP-IF-042", Name: "Supplier Update HH Consent Granularity", Kind: "interface", Final: []string{"IF-025"}, Confidence: "H", Note: "event ConsentGranularity"},
	{Ref: "MHHSP-IF-043", Name: "Notification of Change to HH Consent Granularity", Kind: "interface", Final: []string{"IF-026", "IF-045"}, Confidence: "H", Note: "ConsentGranularity; ConsentGranularityInvalid"},
	{Ref: "MHHSP-IF-044", Name: "Notification of Change to Domestic Indicator", Kind: "interface", Final: []string{"IF-018"}, Confidence: "M", Note: "event DomPremInd"},
	{Ref: "MHHSP-IF-045", Name: "Supplier Advisory Notifications", Kind: "interface", Final: []string{"IF-024"}, Confidence: "M"},
	{Ref: "MHHSP-IF-046", Name: "Supplier Advisory Response from SDS", Kind: "interface", Final: []string{"IF-045"}, Confidence: "M"},
	{Ref: "MHHSP-IF-047", Name: "MPAN Enquiry", Kind: "interface", Final: []string{"IF-050", "IF-051"}, Confidence: "M", Note: "no DIP request/response: enquiry moved to EES, fed by IF-050/IF-051"},
	{Ref: "MHHSP-IF-048", Name: "MPAN Enquiry Response", Kind: "interface", Final: []string{"IF-050", "IF-051"}, Confidence: "M", Note: "as MHHSP-IF-047"},
	{Ref: "MHHSP-IF-049", Name: "Request Change of Segment", Kind: "interface", Final: []string{"IF-031"}, Confidence: "H", Note: "appointment scenario SEG"},
	{Ref: "MHHSP-IF-050", Name: "Notify Change of Segment complete", Kind: "interface", Final: []string{"IF-044"}, Confidence: "H"},
	{Ref: "MHHSP-IF-051", Name: "Supplier Request of Energisation Change (D0134)", Kind: "interface", Final: []string{"IF-007", "IF-008"}, Confidence: "M", Note: "D0134 stays on the DTN; the outcome returns via IF-007/IF-008"},
	{Ref: "MHHSP-IF-052", Name: "Dist. On Site Change (D0139)", Kind: "interface", Final: []string{"IF-007"}, Confidence: "M"},
	{Ref: "MHHSP-IF-053", Name: "Supplier Request for Metering Works (D0142)", Kind: "interface", Note: "stays on the DTN: no DIP interface"},
	{Ref: "MHHSP-IF-054", Name: "Request Disconnection (D0132)", Kind: "interface", Final: []string{"IF-009"}, Confidence: "M", Note: "outcome via IF-009 MPANDisconnection"},

	{Ref: "MHHSP-BRS001", Name: "Smart Data Service", Kind: "service", Role: "SDS", Confidence: "H"},
	{Ref: "MHHSP-BRS002", Name: "Advanced Data Service", Kind: "service", Role: "ADS", Confidence: "H"},
	{Ref: "MHHSP-BRS003", Name: "Unmetered Data Service", Kind: "service", Role: "UMSDS", Confidence: "H", Note: "the seed's UDS"},
	{Ref: "MHHSP-BRS004", Name: "Smart Metering Service", Kind: "service", Role: "MSS", Confidence: "H", Note: "the seed's SMS"},
	{Ref: "MHHSP-BRS005", Name: "Advanced Metering Service", Kind: "service", Role: "MSA", Confidence: "H", Note: "the seed's AMS"},
	{Ref: "MHHSP-BRS006", Name: "Registration Service", Kind: "service", Role: "REGS", Confidence: "H"},
	{Ref: "MHHSP-BRS007", Name: "Load Shaping Service (ECS)", Kind: "service", Role: "LSS", Confidence: "H"},
	{Ref: "MHHSP-BRS008", Name: "Marketwide Data Service (ECS)", Kind: "service", Role: "MDS", Confidence: "H"},
	{Ref: "MHHSP-BRS009", Name: "Volume Allocation Service (ECS)", Kind: "service", Role: "ECS", Confidence: "M", Note: "VAS sends no IF; its outputs leave as ECS reports"},
	{Ref: "MHHSP-BRS010", Name: "Industry Standing Data", Kind: "service", Role: "ISD", Confidence: "H"},

	{Ref: "Data Catalogue", Name: "Data Catalogue", Kind: "global", Confidence: "H", Note: "data types and blocks of the catalogue"},
	{Ref: "Business Process List", Name: "Business Process List", Kind: "global", Confidence: "M"},
	{Ref: "Operational Choreography", Name: "Operational Choreography", Kind: "global", Confidence: "M"},
	{Ref: "Logical Data Model", Name: "Logical Data Model", Kind: "global", Confidence: "M"},
	{Ref: "Interface List", Name: "Interface List", Kind: "global", Confidence: "H"},

	{Ref: "DIP Functional Specification", Name: "DIP Functional Specification", Kind: "technical", Confidence: "H", Note: "the DIP API (intake, routing, delivery, replay, requeue)"},
	{Ref: "DIP Non Functional Requirements", Name: "DIP Non Functional Requirements", Kind: "technical", Confidence: "M", Note: "numbers NOT FOUND in the public record; see BENCHMARKS.md"},
	{Ref: "End to End Architecture", Name: "End to End Architecture", Kind: "technical", Confidence: "M"},
	{Ref: "End to End Non Functional Requirements", Name: "End to End Non Functional Requirements", Kind: "technical", Confidence: "M"},
	{Ref: "Security Specifications", Name: "Security Specifications and Impact assessments", Kind: "technical", Confidence: "M", Note: "API key, X-DIP-Signature headers, optional mTLS"},
}
