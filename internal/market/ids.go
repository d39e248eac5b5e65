package market

import "fmt"

// DIPID is a DIP participant id (senderDIPID, recipient and
// distributorDIPID fields): exactly 10 hexadecimal digits. The data type
// (DT-006) fixes only the length, but the senderUniqueReference pattern
// (DT-995) embeds the sender's id as [0-9a-fA-F]{10}, so a participant
// whose id is not hexadecimal could be registered but never send a valid
// message. Published examples are numeric with role-coded leading digits;
// that convention is unverified and not enforced.
type DIPID string

// ParseDIPID parses a DIP participant id: exactly 10 hexadecimal digits
// (either case). It returns ErrDIPID otherwise.
func ParseDIPID(s string) (DIPID, error) {
	if len(s) != 10 {
		return "", fmt.Errorf("market: DIP id %s: want 10 hexadecimal digits: %w", quote(s), ErrDIPID)
	}
	for i := 0; i < len(s); i++ {
		if !isHexDigit(s[i]) {
			return "", fmt.Errorf("market: DIP id %s: byte %d is not a hexadecimal digit: %w", quote(s), i, ErrDIPID)
		}
	}
	return DIPID(s), nil
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// String returns the id.
func (id DIPID) String() string { return string(id) }

// MPID is a legacy market participant id: four upper-case ASCII letters.
type MPID string

// ParseMPID parses a market participant id matching ^[A-Z]{4}$. It returns
// ErrMPID otherwise.
func ParseMPID(s string) (MPID, error) {
	if len(s) != 4 {
		return "", fmt.Errorf("market: MPID %s: want 4 letters A-Z: %w", quote(s), ErrMPID)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return "", fmt.Errorf("market: MPID %s: want 4 letters A-Z: %w", quote(s), ErrMPID)
		}
	}
	return MPID(s), nil
}

// String returns the id.
func (id MPID) String() string { return string(id) }

// Role is a market role code as carried in senderRoleID and recipient
// lists.
type Role string

// The role codes of the MHHS interface catalogue.
const (
	RoleSupplier Role = "SUP"   // Supplier
	RoleLDSO     Role = "LDSO"  // Licensed Distribution System Operator
	RoleREGS     Role = "REGS"  // Registration Service
	RoleSDS      Role = "SDS"   // Smart Data Service
	RoleADS      Role = "ADS"   // Advanced Data Service
	RoleUMSDS    Role = "UMSDS" // Unmetered Supplies Data Service
	RoleMSS      Role = "MSS"   // Smart Metering Service
	RoleMSA      Role = "MSA"   // Advanced Metering Service
	RoleUMSO     Role = "UMSO"  // Unmetered Supplies Operator
	RoleMDS      Role = "MDS"   // Market-wide Data Service
	RoleLSS      Role = "LSS"   // Load Shaping Service
	RoleISD      Role = "ISD"   // Industry Standing Data publisher
	RoleECS      Role = "ECS"   // Elexon Central Services
	RoleMDR      Role = "MDR"   // Meter Data Retriever
	RoleEES      Role = "EES"   // Electricity Enquiry Service
	RoleDCC      Role = "DCC"   // Data Communications Company
	RoleDIP      Role = "DIP"   // Data Integration Platform
)

// RoleInfo describes one role code.
type RoleInfo struct {
	Code Role   // the code, e.g. "SUP"
	Name string // the full name, e.g. "Supplier"
}

// Roles returns every role code with its full name, in a fixed order. The
// slice is new on each call.
func Roles() []RoleInfo {
	return []RoleInfo{
		{RoleSupplier, "Supplier"},
		{RoleLDSO, "Licensed Distribution System Operator"},
		{RoleREGS, "Registration Service"},
		{RoleSDS, "Smart Data Service"},
		{RoleADS, "Advanced Data Service"},
		{RoleUMSDS, "Unmetered Supplies Data Service"},
		{RoleMSS, "Smart Metering Service"},
		{RoleMSA, "Advanced Metering Service"},
		{RoleUMSO, "Unmetered Supplies Operator"},
		{RoleMDS, "Market-wide Data Service"},
		{RoleLSS, "Load Shaping Service"},
		{RoleISD, "Industry Standing Data"},
		{RoleECS, "Elexon Central Services"},
		{RoleMDR, "Meter Data Retriever"},
		{RoleEES, "Electricity Enquiry Service"},
		{RoleDCC, "Data Communications Company"},
		{RoleDIP, "Data Integration Platform"},
	}
}

// ParseRole parses a role code. Codes are case-sensitive. It returns
// ErrRole for a code not listed by Roles.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", fmt.Errorf("market: role %s: %w", quote(s), ErrRole)
	}
	return r, nil
}

// Valid reports whether r is one of the role codes listed by Roles.
func (r Role) Valid() bool {
	return r.Name() != ""
}

// Name returns the full name of r, or "" if r is not a known role.
func (r Role) Name() string {
	for _, ri := range Roles() {
		if ri.Code == r {
			return ri.Name
		}
	}
	return ""
}

// IsDataService reports whether r is a data service: SDS, ADS or UMSDS.
func (r Role) IsDataService() bool {
	return r == RoleSDS || r == RoleADS || r == RoleUMSDS
}

// IsMeteringService reports whether r is a metering service: MSS, MSA or
// UMSO (the Unmetered Supplies Operator is the metering service of the
// unmetered segment).
func (r Role) IsMeteringService() bool {
	return r == RoleMSS || r == RoleMSA || r == RoleUMSO
}
