package catalogue

// interfaceRoles gives the sender and recipient roles of each interface. The
// DIP API spec does not carry them; they come from the MHHS Interface
// Catalogue as transcribed in reference/mhhs-domain.md §1 (CAT). Where the
// catalogue names a party rather than a role, or says nothing, the choice is
// an assumption, marked below.
var interfaceRoles = map[string]roles{
	"IF-001": {s("REGS"), s("SUP", "MDS", "LDSO")},
	"IF-002": {s("REGS"), s("SUP")},
	"IF-003": {s("REGS"), s("ADS", "SDS", "UMSDS", "MSA", "MSS", "UMSO", "LDSO", "MDS", "SUP")},
	"IF-004": {s("MSS", "SUP"), s("SUP", "MSS")},
	"IF-005": {s("MSS", "MSA"), s("REGS")},
	"IF-006": {s("REGS"), s("MSS", "MSA", "SDS", "ADS", "SUP", "LDSO", "EES", "MDR")},
	"IF-007": {s("MSS", "MSA", "UMSO"), s("REGS", "SUP")},
	"IF-008": {s("REGS"), s("MSS", "MSA", "UMSO", "SDS", "ADS", "UMSDS", "SUP", "LDSO", "MDS", "EES", "MDR")},
	"IF-009": {s("REGS"), s("SUP", "LDSO", "MDS", "EES")},
	"IF-013": {s("MDS"), s("SDS", "ADS", "UMSDS", "SUP", "LDSO")},
	"IF-014": {s("MDS"), s("SDS", "ADS", "UMSDS", "SUP")},
	// IF-015 goes to the DIP's own replay service; "DIP" is our role code for it.
	"IF-015": {s("ADS"), s("DIP")},
	"IF-016": {s("DIP"), s("ADS")},
	"IF-018": {s("REGS"), s("SUP", "ADS", "SDS", "UMSDS", "MSA", "MSS", "UMSO", "MDS", "EES", "LDSO")},
	"IF-019": {s("SUP"), s("REGS", "LDSO")},
	"IF-020": {s("REGS", "LDSO"), s("SUP", "ADS", "SDS", "MSS", "MSA", "LDSO", "EES")},
	"IF-021": {s("SDS", "ADS", "UMSDS"), s("LSS", "MDS", "LDSO", "SUP")},
	"IF-022": {s("LSS"), s("SUP", "ADS", "SDS", "UMSDS")},
	"IF-023": {s("LSS"), s("SUP", "ADS", "SDS", "UMSDS")},
	"IF-024": {s("SUP"), s("ADS", "SDS", "MDR")},
	"IF-025": {s("SUP"), s("REGS")},
	"IF-026": {s("REGS"), s("SUP", "ADS", "SDS", "UMSDS", "LSS", "LDSO", "MSA", "MSS", "UMSO", "EES", "MDR")},
	"IF-027": {s("SUP"), s("ADS", "SDS")},
	"IF-028": {s("ADS", "SDS", "UMSDS"), s("SUP")},
	"IF-031": {s("SUP"), s("REGS")},
	"IF-032": {s("REGS"), s("SUP")},
	"IF-033": {s("REGS"), s("ADS", "SDS", "UMSDS", "MSA", "MSS", "UMSO")},
	"IF-034": {s("ADS", "SDS", "UMSDS", "MSA", "MSS", "UMSO"), s("REGS")},
	"IF-035": {s("REGS"), s("SUP", "ADS", "SDS", "UMSDS", "MSA", "MSS", "UMSO")},
	"IF-036": {s("REGS"), s("SUP", "ADS", "SDS", "UMSDS", "MSA", "MSS", "UMSO", "LDSO", "MDS", "EES")},
	"IF-037": {s("REGS"), s("SUP", "ADS", "SDS", "UMSDS", "MSA", "MSS", "UMSO", "MDS", "LDSO", "EES")},
	"IF-038": {s("MSA", "MSS", "UMSO", "ADS", "SDS", "UMSDS"), s("REGS")},
	"IF-039": {s("REGS"), s("MSA", "MSS", "UMSO", "ADS", "SDS", "UMSDS")},
	"IF-040": {s("ECS"), s("REGS")},
	// IF-041: CAT says "MS, DS, Supplier"; read as every metering and data service role.
	"IF-041": {s("MSS", "MSA", "UMSO", "SDS", "ADS", "UMSDS", "SUP"), s("ADS", "SDS", "SUP", "LDSO")},
	"IF-043": {s("REGS"), s("DCC")},
	"IF-044": {s("REGS"), s("SUP", "MDS", "LDSO", "EES")},
	"IF-045": {s("REGS"), s("SUP", "ADS", "SDS", "MSA", "MSS")},
	// IF-047: "Public (All Roles)".
	"IF-047": {s("ISD"), s("SUP", "LDSO", "REGS", "SDS", "ADS", "UMSDS", "MSS", "MSA", "UMSO", "MDS", "LSS", "ECS", "MDR", "EES", "DCC")},
	"IF-050": {s("REGS"), s("EES")},
	// IF-051: not in CAT; sender inferred (reference §1).
	"IF-051": {s("REGS"), s("EES")},
	"IF-061": {s("SDS"), s("MDR")},
	"IF-062": {s("MDR"), s("SDS")},
	"IF-063": {s("SDS"), s("MDR")},
	"IF-064": {s("MDR"), s("SDS")},
	"IF-065": {s("MDR", "SDS"), s("SDS", "MDR")},
	// REP-xxx: ECS reports. Senders and recipients are assumptions from the
	// report names (reference §1): VAS/MDS reports leave from ECS; the REP-9xx
	// e-billing invoices are the LDSO's to suppliers.
	"REP-002":  {s("ECS"), s("LDSO", "SUP")},
	"REP-002A": {s("ECS"), s("LDSO")},
	"REP-002B": {s("ECS"), s("LDSO")},
	"REP-003":  {s("ECS"), s("SUP")},
	"REP-003A": {s("ECS"), s("SUP")},
	"REP-004":  {s("ECS"), s("SUP")},
	"REP-006":  {s("ECS"), s("SUP")},
	"REP-007":  {s("ECS"), s("SUP")},
	"REP-008":  {s("ECS", "MDS"), s("LDSO")},
	"REP-009":  {s("ECS"), s("SUP")},
	"REP-900":  {s("LDSO"), s("SUP")},
	"REP-901":  {s("LDSO"), s("SUP", "LDSO")},
}

type roles struct{ senders, recipients []string }

func s(r ...string) []string { return r }

// MaySend reports whether a participant with role may send interface in.
func (in *Interface) MaySend(role string) bool {
	for _, r := range in.Senders {
		if r == role {
			return true
		}
	}
	return false
}
