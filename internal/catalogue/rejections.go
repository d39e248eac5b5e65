package catalogue

// RejectionCode is a business rejection code of the MHHS Interface
// Catalogue: REGnnnn from the Registration Service, DSCAnnn from a data
// service answering a consumption amendment. A service rejects a request by
// sending the response interface with R0.responseCode "R" and one
// "CODE - description" text per code in R0.responseMessages. The
// codes and their texts are generated from reference/rejection-codes.json
// into rejections_gen.go and listed in docs/codes.md. They are not DIP
// message codes (Code): those answer the transport, these the business.
type RejectionCode string

// RejectionInfo is the catalogue's record of a rejection code.
type RejectionInfo struct {
	Code RejectionCode
	// Description is the catalogue's text of the code, the part of the wire
	// text after "CODE - ".
	Description string
	// Reason says when the code applies; the catalogue leaves it empty for
	// many codes.
	Reason string
	// Resolution tells the sender what to correct.
	Resolution string
	// Catalogue lists the interfaces whose Interface Catalogue entry names
	// the code, in the catalogue's notation ("IF-031/PUB-031"). A request
	// interface (IF-019, IF-025, IF-027, IF-031) names the codes its checks
	// raise, which travel back in the R0 of its response (IF-020, IF-026,
	// IF-028, IF-032); a response interface names the codes it carries.
	Catalogue []string
	// Interfaces are the same interfaces in the final numbering ("IF-031"),
	// as the catalogue package's interfaces name them. The mapping is in
	// internal/catalogue/gen/rejections. Empty where the catalogue names
	// no interface.
	Interfaces []string
}

// RejectionCodes returns every rejection code in order.
func RejectionCodes() []RejectionCode { return rejectionCodes() }

// LookupRejection returns the catalogue's record of code, which must be
// written exactly as the catalogue writes it ("REG1021"), and whether the
// catalogue has the code.
func LookupRejection(code string) (RejectionInfo, bool) {
	return rejectionEntry(RejectionCode(code))
}

// RejectionsFor returns, in order, the rejection codes the catalogue names
// for the interface with final id interfaceID ("IF-031"); none for an
// interface it names no code for.
func RejectionsFor(interfaceID string) []RejectionCode { return rejectionsOf(interfaceID) }

// Description returns the catalogue's description of c, or "" when c is not
// a catalogue code.
func (c RejectionCode) Description() string {
	info, _ := rejectionEntry(c)
	return info.Description
}

// Interfaces returns the final interfaces whose catalogue entry names c.
func (c RejectionCode) Interfaces() []string {
	info, _ := rejectionEntry(c)
	return info.Interfaces
}
