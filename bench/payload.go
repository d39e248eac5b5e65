package bench

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/catalogue/cataloguetest"
	"github.com/mhhs/mhhs/internal/market"
)

// The IF-021 benchmark message: one [ActivePower] message (UTC settlement
// period consumption data) for one MPAN and one UTC settlement day of 48
// half-hour periods, sent by a Smart Data Service, wrapped in a DIP message
// array of one element: the body of POST /dip-channel/IF-021. It is 4,971
// bytes, spaced as Python's json.dumps writes JSON (cataloguetest.PythonSpacing).
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
	mpan, err := if021MPAN(i)
	if err != nil {
		return nil, err
	}
	m := cataloguetest.IF021(if021Sender, if021Distributor, if021Reference(i), mpan)
	payload, err := catalogue.Encode(m)
	if err != nil {
		return nil, err
	}
	body := make([]byte, 0, len(payload)+16)
	body = append(body, `[{"payload":`...)
	body = append(body, payload...)
	body = append(body, `}]`...)
	return cataloguetest.PythonSpacing(body), nil
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
