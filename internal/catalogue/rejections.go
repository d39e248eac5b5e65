package catalogue

import (
	"strings"
	"unicode/utf8"
)

// RejectionCode is a business rejection code of the MHHS Interface
// Catalogue: REGnnnn from the Registration Service, DSCAnnn from a data
// service answering a consumption amendment. A service rejects a request by
// sending the response interface with R0.responseCode "R" and one
// "CODE - description" text per code in R0.responseMessages (Rejected). The
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

// maxStatusMessage is the longest text, in code points, an item of
// R0.responseMessages may hold (DT-005N-StatusErrorMessage).
const maxStatusMessage = 200

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

// Message returns c as an item of R0.responseMessages carries it,
// "REG1021 - Requesting Supplier is not the Current Supplier" (the form of
// Code.Message). The text never exceeds the 200 characters the contract
// allows: a longer description is cut and ends in "…"; the code is never
// cut. A code the catalogue does not have is returned alone.
func (c RejectionCode) Message() string {
	return rejectionMessage(c, c.Description())
}

// rejectionMessage is "code - description", the description cut to fit
// maxStatusMessage code points.
func rejectionMessage(c RejectionCode, description string) string {
	if description == "" {
		return string(c)
	}
	prefix := string(c) + " - "
	room := maxStatusMessage - utf8.RuneCountInString(prefix)
	if utf8.RuneCountInString(description) <= room {
		return prefix + description
	}
	if room < 2 {
		return string(c)
	}
	// Keep room-1 code points of the description, leaving one for "…".
	end := 0
	for n := 0; n < room-1; n++ {
		_, size := utf8.DecodeRuneInString(description[end:])
		end += size
	}
	return prefix + strings.TrimRight(description[:end], " ") + "…"
}

// ParseRejection returns the code an item of R0.responseMessages starts
// with. It is strict on the code and lenient on the rest: after optional
// spaces or tabs the text must start with a catalogue code, written exactly,
// that is not followed by another letter or digit; whatever follows (the
// description, cut, reworded or absent) is not read. So "REG1021 - Requesting
// Supplier is not the Current Supplier" and "REG1021: not current supplier"
// give REG1021; "reg1021 - …", "REG10210 - …" and "REG9999 - …" give false.
func ParseRejection(msg string) (RejectionCode, bool) {
	s := strings.TrimLeft(msg, " \t")
	n := 0
	for n < len(s) && isASCIIAlnum(s[n]) {
		n++
	}
	c := RejectionCode(s[:n])
	if _, ok := rejectionEntry(c); !ok {
		return "", false
	}
	return c, true
}

func isASCIIAlnum(b byte) bool {
	return 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9'
}

// Rejected returns the R0 block of a business rejection: responseCode "R"
// and, in the order given, each code's Message.
func Rejected(codes ...RejectionCode) R0 {
	msgs := make([]*string, len(codes))
	for i, c := range codes {
		m := c.Message()
		msgs[i] = &m
	}
	return R0{ResponseCode: ResponseCodeR, ResponseMessages: msgs}
}
