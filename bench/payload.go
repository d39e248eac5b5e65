package bench

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// The IF-021 benchmark message: one [ActivePower] message (UTC settlement
// period consumption data) for one MPAN and one UTC settlement day of 48
// half-hour periods, sent by a Smart Data Service, wrapped in a DIP message
// array of one element: the body of POST /dip-channel/IF-021. It is 4,971
// bytes, spaced as Python's json.dumps writes JSON (see pythonSpacing).
//
// Message i differs from message j only in its MPAN core and its
// senderUniqueReference, both of fixed width, so every message has the same
// length and the fast path (AppendIF021Message) patches a template instead
// of encoding.
const (
	if021Sender      = "1200000001" // senderDIPID of the data service
	if021Distributor = "2500000012" // distributorDIPID of distributor 12 (London)
	if021MPANPrefix  = "12"         // MPAN cores of distributor 12
	if021RefPrefix   = "S-IF-021-" + if021Sender + "-SDS-20260116-"
	if021RefDigits   = 16 // hex digits of i in the reference suffix
	if021MPANDigits  = 10 // decimal digits of i (mod 1e10) in the MPAN core
)

// BuildIF021 builds message i with the typed API of package catalogue and
// catalogue.Encode. It is the reference form: slow (tens of µs) but obviously
// right. Benchmarks use IF021Message or AppendIF021Message, which return the
// same bytes (a test checks that).
func BuildIF021(i int) ([]byte, error) {
	if i < 0 {
		return nil, fmt.Errorf("bench: negative message index %d", i)
	}
	m := &catalogue.IF021ActivePower{}
	sub := "mhhs benchmark"
	m.CommonBlock.S1 = catalogue.S1{
		EnvironmentTag:        "DEV",
		SubText:               &sub,
		SenderUniqueReference: if021Reference(i),
		SenderTimestamp:       "2026-01-16T02:00:00+00:00",
		SenderDIPID:           if021Sender,
		SenderRoleID:          "SDS",
	}
	mpan, err := if021MPAN(i)
	if err != nil {
		return nil, err
	}
	m.CommonBlock.M0 = catalogue.M0{MPANCore: mpan, DistributorDIPID: if021Distributor, GSPGroupID: "_C"}
	m.CustomBlock.B044 = catalogue.B044{IssuingDataServiceDIPID: if021Sender}
	m.CustomBlock.B067 = catalogue.B067{ConnectionTypeIndicator: "W", ConnectionTypeEffectiveFromDate: "2024-09-21T00:00:00+01:00"}

	day := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	periods := make([]catalogue.B047, market.PeriodsPerUTCDay)
	for p := range periods {
		periods[p] = catalogue.B047{
			Sp: market.FormatDateTime(day.Add(time.Duration(p) * 30 * time.Minute)),
			V:  market.Energy(domesticWh(p)).KWh(),
			Q:  "A",
		}
		if p%11 == 5 { // a few estimated periods, as a data service sends them
			e := "2"
			periods[p].E, periods[p].Q = &e, "E3"
		}
	}
	m.CustomBlock.B900 = catalogue.B900{
		MQID: catalogue.B045{MeasurementQuantityID: "AI"},
		SettlementDayConsumptionPeriods: []catalogue.B901{{
			SettlementDay:      catalogue.B046{SettlementDayDate: market.FormatDateTime(day), PeriodDuration: 30},
			ConsumptionPeriods: periods,
		}},
	}
	payload, err := catalogue.Encode(m)
	if err != nil {
		return nil, err
	}
	body := make([]byte, 0, len(payload)+16)
	body = append(body, `[{"payload":`...)
	body = append(body, payload...)
	body = append(body, `}]`...)
	return pythonSpacing(body), nil
}

// pythonSpacing rewrites compact JSON with a space after every ',' and ':'
// outside strings: the form Python's json.dumps writes by default. The
// compact message is 4.4 KB; this form, 5.0 KB, is the ~5 KB message of the
// performance research (§1.4: 5.4 KB for a 48-period consumption message),
// and JSON senders do not all write compact JSON.
func pythonSpacing(compact []byte) []byte {
	out := make([]byte, 0, len(compact)+len(compact)/8)
	inString, escaped := false, false
	for _, c := range compact {
		out = append(out, c)
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == ',' || c == ':'):
			out = append(out, ' ')
		}
	}
	return out
}

// domesticWh is a winter weekday domestic load shape in Wh per half hour:
// a night base, a morning shoulder and an evening peak.
func domesticWh(p int) int64 {
	switch {
	case p < 12: // 00:00-06:00
		return 110 + int64(p*7%23)
	case p < 18: // 06:00-09:00
		return 320 + int64(p*13%61)
	case p < 32: // 09:00-16:00
		return 180 + int64(p*17%47)
	case p < 44: // 16:00-22:00
		return 540 + int64(p*29%173)
	default:
		return 230 + int64(p*11%37)
	}
}

func if021Reference(i int) string {
	s := strconv.FormatUint(uint64(i), 16)
	return if021RefPrefix + zeros(if021RefDigits-len(s)) + s
}

func if021MPAN(i int) (string, error) {
	s := strconv.Itoa(i % 1e10)
	first12 := if021MPANPrefix + zeros(if021MPANDigits-len(s)) + s
	c, err := market.MPANCheckDigit(first12)
	if err != nil {
		return "", err
	}
	return first12 + string(c), nil
}

func zeros(n int) string {
	return "0000000000000000"[:n]
}

// if021Template is message 0 and the offsets of the parts that vary with i.
type if021Template struct {
	body []byte
	ref  int // offset of the reference's hex suffix
	mpan int // offset of the MPAN core's 10 varying digits
}

var template021 = sync.OnceValue(func() if021Template {
	body, err := BuildIF021(0)
	if err != nil {
		panic("bench: building the IF-021 template: " + err.Error())
	}
	mpan, _ := if021MPAN(0)
	ref := if021Reference(0)
	t := if021Template{body: body}
	t.ref = uniqueIndex(body, ref) + len(if021RefPrefix)
	t.mpan = uniqueIndex(body, `"`+mpan+`"`) + 1 + len(if021MPANPrefix)
	return t
})

func uniqueIndex(body []byte, s string) int {
	if bytes.Count(body, []byte(s)) != 1 {
		panic(fmt.Sprintf("bench: %q is not unique in the IF-021 template", s))
	}
	return bytes.Index(body, []byte(s))
}

// IF021Message returns message i (i >= 0) as a new slice: a ~5 KB IF-021
// DIP message array with one message of 48 periods, whose
// senderUniqueReference is unique for each i and whose MPAN core is unique
// for each i below 1e10. It is byte-for-byte BuildIF021(i).
func IF021Message(i int) []byte {
	return AppendIF021Message(nil, i)
}

// AppendIF021Message appends message i to dst[:0] and returns it; with a dst
// of enough capacity it does not allocate (about a 5 KB copy). A publisher
// may reuse the buffer once its publish call has returned.
func AppendIF021Message(dst []byte, i int) []byte {
	if i < 0 {
		panic("bench: negative message index")
	}
	t := template021()
	dst = append(dst[:0], t.body...)

	// Reference suffix: i in fixed-width lower-case hex.
	for k, u := t.ref+if021RefDigits-1, uint64(i); k >= t.ref; k-- {
		dst[k] = "0123456789abcdef"[u&15]
		u >>= 4
	}
	// MPAN core: prefix, i mod 1e10 in 10 decimal digits, check digit.
	for k, u := t.mpan+if021MPANDigits-1, i%1e10; k >= t.mpan; k-- {
		dst[k] = byte('0' + u%10)
		u /= 10
	}
	core := dst[t.mpan-len(if021MPANPrefix) : t.mpan+if021MPANDigits+1]
	primes := [12]int{3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43}
	sum := 0
	for k, p := range primes {
		sum += int(core[k]-'0') * p
	}
	core[12] = byte('0' + sum%11%10)
	return dst
}
