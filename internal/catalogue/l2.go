package catalogue

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// L2 checks that need no state. They run on values that passed L1 and are
// reported with their own codes:
//
//	MSG2001 mpanCheckDigit        an MPAN (DT-002) whose check digit is wrong
//	MSG2002 senderRole            S1.senderRoleID may not send this interface
//	MSG2003 senderUniqueReference the reference's interface, DIP id, role or date
//	                              disagree with S0/S1 or are not real
//	MSG2004 dateTime              a DT-003 datetime or DT-021 date that is not a
//	                              real instant or calendar date

func (v *Validator) statelessCheck(c check, s []byte) {
	switch c {
	case checkMPAN:
		if len(s) == 13 && !mpanCheckDigitOK(s) {
			v.finding(RuleMPANCheckDigit, MSG2001, 2, fmt.Sprintf("MPAN %s fails its check digit", s))
		}
	case checkDateTime:
		if !validDateTime(s) {
			v.finding(RuleDateTime, MSG2004, 2, fmt.Sprintf("%q is not a real instant in the form 2006-01-02T15:04:05+00:00", s))
		}
	case checkDate:
		if !validDate(s) {
			v.finding(RuleDateTime, MSG2004, 2, fmt.Sprintf("%q is not a calendar date in the form 2006-01-02", s))
		}
	}
}

// validDateTime reports whether s is a real instant in the wire form
// 2006-01-02T15:04:05+07:00: a calendar date, hours 00–23, minutes and seconds
// 00–59, and a numeric offset no further than ±14:00. It accepts what
// time.Parse with that layout accepts (TestValidDateTimeAgreesWithTime) and
// is written out because validation calls it 49 times per IF-021 day.
func validDateTime(s []byte) bool {
	if len(s) != 25 {
		return false
	}
	// The form, eight bytes at a time: the separators (all but the offset's
	// sign) and the digits; then the last digit and the sign.
	f := &dateTimeForm
	w0 := binary.LittleEndian.Uint64(s[0:8])
	w1 := binary.LittleEndian.Uint64(s[8:16])
	w2 := binary.LittleEndian.Uint64(s[16:24])
	if w0&f.sepMask[0] != f.seps[0] || w1&f.sepMask[1] != f.seps[1] || w2&f.sepMask[2] != f.seps[2] ||
		!digits8(w0, f.digitMask[0]) || !digits8(w1, f.digitMask[1]) || !digits8(w2, f.digitMask[2]) ||
		s[24] < '0' || s[24] > '9' || s[19] != '+' && s[19] != '-' {
		return false
	}
	two := func(hi, lo byte) int { return int(hi-'0')*10 + int(lo-'0') }
	h, m, sec, oh, om := two(s[11], s[12]), two(s[14], s[15]), two(s[17], s[18]), two(s[20], s[21]), two(s[23], s[24])
	return realDate(two(s[0], s[1])*100+two(s[2], s[3]), two(s[5], s[6]), two(s[8], s[9])) &&
		h < 24 && m < 60 && sec < 60 && om < 60 && (oh < 14 || oh == 14 && om == 0)
}

// dateTimeForm holds, for each of the first three eight-byte words of the
// form 2006-01-02T15:04:05+07:00 (read little-endian), which bytes are
// fixed separators and their values, and which are digits.
var dateTimeForm = func() (f struct{ sepMask, seps, digitMask [3]uint64 }) {
	const form = "0000-00-00T00:00:00?00:00" // 0: a digit; ?: the sign, checked apart
	for i := range 24 {
		k, shift := i/8, 8*(i%8)
		switch c := form[i]; c {
		case '0':
			f.digitMask[k] |= 0xff << shift
		case '?':
		default:
			f.sepMask[k] |= 0xff << shift
			f.seps[k] |= uint64(c) << shift
		}
	}
	return f
}()

// digits8 reports whether the bytes of w that mask selects (each 0x00 or
// 0xff) are ASCII digits. Each selected byte, xor '0', must be at most 9:
// its high nibble must be 0, and so must that of the byte plus 6. A carry
// out of a byte happens only when its own high nibble is already not 0.
func digits8(w, mask uint64) bool {
	const ones = 0x0101010101010101
	t := (w ^ ones*'0') & mask
	return (t|(t+ones*6&mask))&(ones*0xf0&mask) == 0
}

// validDate reports whether s is a calendar date 2006-01-02.
func validDate(s []byte) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	y1, ok1 := num2(s[0:2])
	y2, ok2 := num2(s[2:4])
	mo, ok3 := num2(s[5:7])
	d, ok4 := num2(s[8:10])
	return ok1 && ok2 && ok3 && ok4 && realDate(y1*100+y2, mo, d)
}

// realDate reports whether day d of month mo of year y is a date of the
// (proleptic Gregorian) calendar.
func realDate(y, mo, d int) bool {
	if mo < 1 || mo > 12 || d < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[mo]
	if mo == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

func num2(b []byte) (int, bool) {
	if b[0] < '0' || b[0] > '9' || b[1] < '0' || b[1] > '9' {
		return 0, false
	}
	return int(b[0]-'0')*10 + int(b[1]-'0'), true
}

// mpanCheckDigitOK is the MPAN core check: digits 1–12 weighted by
// 3,5,7,13,17,19,23,29,31,37,41,43, summed, mod 11, mod 10. It is the same
// rule as market.ValidMPAN; the catalogue keeps its own byte-slice form so
// that validation does not allocate, and a test checks both agree.
func mpanCheckDigitOK(s []byte) bool {
	primes := [12]int{3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43}
	sum := 0
	for i, p := range primes {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * p
	}
	return s[12] >= '0' && s[12] <= '9' && int(s[12]-'0') == sum%11%10
}

// messageChecks runs the L2 checks that span several fields.
func (v *Validator) messageChecks(verdict *Verdict) {
	if verdict.Variant == nil {
		return
	}
	env := &verdict.Envelope
	in := v.c.interfaces[verdict.Variant.InterfaceID]
	// s1 is the path of S1, built only when a finding needs it.
	s1 := func() string {
		base := "payload"
		if verdict.Index >= 0 && len(v.path) > 0 && v.path[0].key == segIndex {
			base = fmt.Sprintf("[%d].payload", verdict.Index)
		}
		return base + ".CommonBlock.S1."
	}
	if env.SenderRoleID != "" && len(in.Senders) > 0 && !in.MaySend(env.SenderRoleID) {
		verdict.add(Finding{Path: s1() + "senderRoleID", Rule: RuleSenderRole, Code: MSG2002, Level: 2,
			Detail: fmt.Sprintf("role %s may not send %s (senders: %s)", env.SenderRoleID, in.ID, strings.Join(in.Senders, " "))})
	}
	if env.HasR0 {
		if detail := checkResponse(in.ID, env.ResponseCode, env.ResponseMessages); detail != "" {
			verdict.add(Finding{Path: strings.TrimSuffix(s1(), "S1.") + "R0", Rule: RuleResponse, Code: MSG2005, Level: 2, Detail: detail})
		}
	}
	if env.SenderUniqueReference != "" && (len(verdict.Findings) == 0 || !v.failedAt(verdict, s1()+"senderUniqueReference")) {
		if msg := checkSenderUniqueReference(env.SenderUniqueReference, in.ID, env.SenderDIPID, env.SenderRoleID); msg != "" {
			verdict.add(Finding{Path: s1() + "senderUniqueReference", Rule: RuleSenderUniqueReference, Code: MSG2003, Level: 2, Detail: msg})
		}
	}
}

func (v *Validator) failedAt(verdict *Verdict, path string) bool {
	for _, f := range verdict.Findings {
		if f.Path == path {
			return true
		}
	}
	return false
}

func (verdict *Verdict) add(f Finding) {
	if len(verdict.Findings) < MaxFindings {
		verdict.Findings = append(verdict.Findings, f)
	}
}

// checkSenderUniqueReference checks a reference that passed the L1 pattern
// S-[(IF|REP)-]nnn[A|B]-<dipid>-<ROLE>-<yyyymmdd>-<suffix> against S0 and S1.
// It returns "" when consistent.
func checkSenderUniqueReference(ref, interfaceID, senderDIPID, role string) string {
	var buf [6]string
	parts, ok := splitDash(strings.TrimPrefix(ref, "S-"), &buf)
	if !ok {
		return "reference does not have the form S-IF-nnn-<DIP id>-<role>-<yyyymmdd>-<suffix>"
	}
	if len(parts) == 6 { // IF-/REP- prefix present
		if parts[0]+"-"+parts[1] != interfaceID {
			return fmt.Sprintf("reference names %s-%s but S0.interfaceID is %s", parts[0], parts[1], interfaceID)
		}
		parts = parts[1:]
	} else if len(parts) != 5 {
		return "reference does not have the form S-IF-nnn-<DIP id>-<role>-<yyyymmdd>-<suffix>"
	}
	if _, num, _ := strings.Cut(interfaceID, "-"); parts[0] != num {
		return fmt.Sprintf("reference names interface %s but S0.interfaceID is %s", parts[0], interfaceID)
	}
	if senderDIPID != "" && !strings.EqualFold(parts[1], senderDIPID) {
		return fmt.Sprintf("reference names DIP id %s but S1.senderDIPID is %s", parts[1], senderDIPID)
	}
	if role != "" && parts[2] != role {
		return fmt.Sprintf("reference names role %s but S1.senderRoleID is %s", parts[2], role)
	}
	if _, err := time.Parse("20060102", parts[3]); err != nil {
		return fmt.Sprintf("reference date %s is not a calendar date", parts[3])
	}
	return ""
}

// splitDash is strings.Split(s, "-") into buf, without allocating: it
// reports false when s has more parts than buf holds.
func splitDash(s string, buf *[6]string) ([]string, bool) {
	n := 0
	for {
		if n == len(buf) {
			return nil, false
		}
		before, after, found := strings.Cut(s, "-")
		buf[n] = before
		n++
		if !found {
			return buf[:n], true
		}
		s = after
	}
}

// checkResponse checks an R0 block: "x", a stray value of the contract's
// enumeration, is no response; a rejection (R) gives at least one reason,
// and on an interface for which the Interface Catalogue names rejection
// codes, at least one reason starts with a known REG or DSC code. It
// returns "" when the response is sound.
func checkResponse(iface, code string, messages []string) string {
	switch code {
	case string(ResponseCodeX):
		return "responseCode x is not a response: use A, R, L or W"
	case string(ResponseCodeR):
	default:
		return ""
	}
	reasons := 0
	for _, m := range messages {
		if m == "" {
			continue
		}
		reasons++
		if _, ok := ParseRejection(m); ok {
			return ""
		}
	}
	if reasons == 0 {
		return "a rejection (responseCode R) gives no reason in responseMessages"
	}
	if len(RejectionsFor(iface)) > 0 {
		return "a rejection on " + iface + " names no known rejection code (" + string(RejectionsFor(iface)[0]) + " - …, see docs/codes.md)"
	}
	return ""
}
