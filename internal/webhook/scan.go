package webhook

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is the Receiver's JSON decoding: one pass over a delivery that
// validates it, finds each item's payload and reads each payload's
// identifiers. encoding/json took three passes (its validity check, the
// decoding into []catalogue.Message, then one json.Unmarshal per payload
// for the identifiers), each a state-machine call per byte, and was 40% of
// a receiver's CPU. The scanner must agree with encoding/json exactly: it
// accepts what json.Unmarshal accepts, captures the bytes a json.RawMessage
// would hold and reads the identifiers json.Unmarshal would set, including
// its rules for duplicate keys (the last wins), key case (any case, after
// Unicode simple folding), null and mistyped values, and the repair of
// invalid UTF-8 and lone surrogates in strings. The tests check that
// against encoding/json (FuzzDecodeAgreesWithEncodingJSON,
// TestDecodeAgreesOnGeneratedBodies).
//
// Scanning functions take the data and the index of a value's first byte and
// return the index just past the value, or -1 if the data is not JSON there.
// Keeping the index in a local instead of a struct field lets the compiler
// keep it in a register.

// maxDepth is the nesting of arrays and objects beyond which encoding/json
// rejects a document ("exceeded max depth"). The limit counts every open
// bracket, so the delivery's array is depth 1 and a payload's own object is
// depth 3.
const maxDepth = 10000

// A scannedItem is one item of a delivery as scanArray found it: the bounds
// of its payload in the body and the payload's identifiers.
type scannedItem struct {
	start, end int // body[start:end] is the payload value
	ids        ids
}

// scanArray decodes a DIPMessageEgressArray as decodeArrayJSON does, in one
// pass: ok is false exactly when decodeArrayJSON returns an error. Each item's
// payload is the value of its last member whose key folds to "payload" (the
// member encoding/json keeps), and its identifiers are those idsOf reads
// from it.
//
// Unlike encoding/json, the scan stops at the first fault: a body that is not
// a non-empty array of objects with an object payload is refused whatever
// follows, and encoding/json's verdict is only needed for its message.
func scanArray(body []byte) ([]scannedItem, bool) {
	i := skipWS(body, 0)
	if i >= len(body) || body[i] != '[' {
		return nil, false // not an array: null (no messages) or a type error
	}
	i = skipWS(body, i+1)
	var items []scannedItem
	for {
		// An empty array has no messages; a null item leaves a zero
		// Message, whose empty payload decodeArrayJSON refuses; other
		// items that are not objects are type errors.
		if i >= len(body) || body[i] != '{' {
			return nil, false
		}
		it := scannedItem{start: -1}
		i = scanObject(body, i, 1, func(key []byte, plain bool, j, depth int) int {
			if !keyIs(key, plain, "payload") {
				return skipValue(body, j, depth)
			}
			// A later "payload" replaces this one, identifiers and all.
			it = scannedItem{start: j}
			if body[j] == '{' {
				it.end = scanPayload(body, j, depth, &it.ids)
			} else {
				it.end = skipValue(body, j, depth)
			}
			return it.end
		})
		if i < 0 || it.start < 0 || body[it.start] != '{' {
			return nil, false
		}
		items = append(items, it)
		var done bool
		if i, done = afterMember(body, i, ']'); i < 0 {
			return nil, false
		}
		if done {
			if skipWS(body, i) != len(body) {
				return nil, false // trailing data
			}
			return items, true
		}
	}
}

// idsOf reads what it can of payload's identifiers, as json.Unmarshal into
// an ids does: nothing if payload is not valid JSON, mistyped values
// ignored. The Receiver calls it for a payload that Handle replaced or
// changed after scanArray read the original.
func idsOf(payload []byte) ids {
	var v ids
	i := skipWS(payload, 0)
	if i < len(payload) && payload[i] == '{' {
		i = scanPayload(payload, i, 0, &v)
	} else {
		i = skipValue(payload, i, 0) // null or a type error: nothing set
	}
	if i < 0 || skipWS(payload, i) != len(payload) {
		return ids{} // json.Unmarshal checks the whole input first
	}
	return v
}

// scanPayload reads the identifiers of the payload object at d[i] into v.
// depth is the number of arrays and objects that enclose it.
func scanPayload(d []byte, i, depth int, v *ids) int {
	cb := &v.CommonBlock
	return scanObject(d, i, depth, func(key []byte, plain bool, j, depth int) int {
		if !keyIs(key, plain, "CommonBlock") {
			return skipValue(d, j, depth)
		}
		return scanStruct(d, j, depth, func(key []byte, plain bool, j, depth int) int {
			switch {
			case keyIs(key, plain, "S1"):
				return scanStrings(d, j, depth, "senderUniqueReference", &cb.S1.SenderUniqueReference, "senderCorrelationID", &cb.S1.SenderCorrelationID)
			case keyIs(key, plain, "D0"):
				return scanStrings(d, j, depth, "transactionID", &cb.D0.TransactionID, "initialCorrelationID", &cb.D0.InitialCorrelationID)
			}
			return skipValue(d, j, depth)
		})
	})
}

// scanStrings reads the struct-typed value at d[i] (scanStruct) whose
// string members name1 and name2 go to p1 and p2; other members are
// skipped.
func scanStrings(d []byte, i, depth int, name1 string, p1 **string, name2 string, p2 **string) int {
	return scanStruct(d, i, depth, func(key []byte, plain bool, j, depth int) int {
		switch {
		case keyIs(key, plain, name1):
			return scanString(d, j, depth, p1)
		case keyIs(key, plain, name2):
			return scanString(d, j, depth, p2)
		}
		return skipValue(d, j, depth)
	})
}

// A memberFunc reads the value of an object member whose key's bytes
// between the quotes are key (plain if they hold no escape and no byte
// above ASCII) and whose value starts at d[i], at the given depth; it
// returns the index past the value, or -1.
type memberFunc func(key []byte, plain bool, i, depth int) int

// scanStruct reads the value at d[i] into a struct-typed field as
// encoding/json does: an object member by member through member; null, which
// leaves a struct as it is; any other value, a type error that json.Unmarshal
// reports after decoding the rest and that leaves the struct as it is.
// Decoding a struct does not clear it first: a duplicate key adds to what an
// earlier one set.
func scanStruct(d []byte, i, depth int, member memberFunc) int {
	if i < len(d) && d[i] == '{' {
		return scanObject(d, i, depth, member)
	}
	return skipValue(d, i, depth)
}

// scanString reads the value at d[i] into the *string field *p as
// encoding/json does: a string sets it; null sets it to nil; any other value
// is a type error after which encoding/json has already allocated the
// pointer, so a nil *p becomes a pointer to "" and a set one keeps its
// string.
func scanString(d []byte, i, depth int, p **string) int {
	if i >= len(d) {
		return -1
	}
	switch d[i] {
	case '"':
		end, plain := scanStringPlain(d, i)
		if end < 0 {
			return -1
		}
		var s string
		if plain {
			s = string(d[i+1 : end-1])
		} else {
			s = string(unquote(d[i+1 : end-1]))
		}
		*p = &s
		return end
	case 'n':
		end := skipLiteral(d, i, "null")
		if end >= 0 {
			*p = nil
		}
		return end
	}
	if *p == nil {
		*p = new(string)
	}
	return skipValue(d, i, depth)
}

// scanObject reads the object at d[i] ('{'), which depth arrays and objects
// enclose, calling member for each member in order; with member nil it only
// checks the object (skipValue), scanning keys with the faster skipString.
func scanObject(d []byte, i, depth int, member memberFunc) int {
	depth++
	if depth > maxDepth {
		return -1
	}
	i = skipWS(d, i+1)
	if i < len(d) && d[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(d) || d[i] != '"' {
			return -1
		}
		var end int
		var plain bool
		if member == nil {
			end = skipString(d, i)
		} else {
			end, plain = scanStringPlain(d, i)
		}
		if end < 0 {
			return -1
		}
		key := d[i+1 : end-1]
		i = skipWS(d, end)
		if i >= len(d) || d[i] != ':' {
			return -1
		}
		i = skipWS(d, i+1)
		if member == nil {
			i = skipValue(d, i, depth)
		} else if i < len(d) {
			i = member(key, plain, i, depth)
		} else {
			return -1
		}
		if i < 0 {
			return -1
		}
		var done bool
		if i, done = afterMember(d, i, '}'); done || i < 0 {
			return i
		}
	}
}

// keyIs reports whether an object key, given by its bytes between the quotes,
// selects the struct field named name, as encoding/json matches keys: equal
// after unescaping, or equal under Unicode simple case folding (so "PAYLOAD"
// and "p\u0061yload" select "payload", and "CommonBloc\u212a", with a Kelvin
// sign, selects "CommonBlock"). name must be ASCII.
func keyIs(key []byte, plain bool, name string) bool {
	if !plain {
		return bytes.EqualFold(unquote(key), []byte(name))
	}
	if len(key) != len(name) {
		return false
	}
	for k := range len(key) {
		if a, b := key[k], name[k]; a != b && lowerASCII(a) != lowerASCII(b) {
			return false
		}
	}
	return true
}

// lowerASCII returns the lower case of an ASCII letter, and any other byte
// as it is.
func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// skipWS returns the index of the first byte at or after i that is not JSON
// white space.
func skipWS(d []byte, i int) int {
	for i < len(d) && d[i] <= ' ' && (d[i] == ' ' || d[i] == '\n' || d[i] == '\r' || d[i] == '\t') {
		i++
	}
	return i
}

// skipValue checks the value at d[i], which depth arrays and objects
// enclose.
func skipValue(d []byte, i, depth int) int {
	if i >= len(d) {
		return -1
	}
	c := d[i]
	if c == '"' { // most values, and the shortest to dispatch
		return skipString(d, i)
	}
	switch c {
	case '{':
		return scanObject(d, i, depth, nil)
	case '[':
		return skipArray(d, i, depth)
	case 't':
		return skipLiteral(d, i, "true")
	case 'f':
		return skipLiteral(d, i, "false")
	case 'n':
		return skipLiteral(d, i, "null")
	}
	return skipNumber(d, i)
}

// skipArray checks the array at d[i] ('[').
func skipArray(d []byte, i, depth int) int {
	depth++
	if depth > maxDepth {
		return -1
	}
	i = skipWS(d, i+1)
	if i < len(d) && d[i] == ']' {
		return i + 1
	}
	for {
		if i = skipValue(d, i, depth); i < 0 {
			return -1
		}
		var done bool
		if i, done = afterMember(d, i, ']'); done || i < 0 {
			return i
		}
	}
}

// afterMember reads what follows an object member or an array element:
// white space, then ',' (next is where the next one starts, past white
// space) or the closing byte (next is past it, and done is true). next is
// -1 for anything else.
func afterMember(d []byte, i int, closing byte) (next int, done bool) {
	i = skipWS(d, i)
	if i >= len(d) {
		return -1, false
	}
	switch d[i] {
	case ',':
		return skipWS(d, i+1), false
	case closing:
		return i + 1, true
	}
	return -1, false
}

// skipLiteral checks that d[i:] starts with lit (true, false or null). What
// follows is the caller's to check, so that "nulls" is refused as
// encoding/json refuses it.
func skipLiteral(d []byte, i int, lit string) int {
	if len(d)-i < len(lit) || string(d[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// skipNumber checks the number at d[i]: RFC 8259's grammar, which forbids
// a leading '+', leading zeros ("01" ends after the 0, and the caller
// refuses the 1), and a '.' or exponent without digits.
func skipNumber(d []byte, i int) int {
	if i < len(d) && d[i] == '-' {
		i++
	}
	if i >= len(d) {
		return -1
	}
	switch c := d[i]; {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		i = skipDigits(d, i+1)
	default:
		return -1
	}
	if i < len(d) && d[i] == '.' {
		j := skipDigits(d, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := skipDigits(d, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

// skipDigits returns the index of the first byte at or after i that is not
// a decimal digit.
func skipDigits(d []byte, i int) int {
	for i < len(d) && '0' <= d[i] && d[i] <= '9' {
		i++
	}
	return i
}

// Masks for finding bytes in eight bytes at once (SWAR): the lowest and
// the highest bit of every byte.
const (
	lows  = 0x0101010101010101
	highs = 0x8080808080808080
)

// special returns a mask with the high bit set in the byte that ends a run
// of plain string bytes in x (eight bytes, little-endian): a '"', a '\\' or
// a control character. Bytes above the first such byte may be flagged
// spuriously (a borrow crosses into them), never bytes below it, so the
// lowest flag is exact.
func special(x uint64) uint64 {
	quote := x ^ ('"' * lows)      // zero bytes where x has '"'
	backslash := x ^ ('\\' * lows) // zero bytes where x has '\\'
	return ((x-0x20*lows)&^x | (quote-lows)&^quote | (backslash-lows)&^backslash) & highs
}

// skipString checks the string at d[i] ('"'): escapes, and no control
// characters. Like encoding/json, it accepts invalid UTF-8, which decoding
// replaces.
func skipString(d []byte, i int) int {
	i++
	for {
		if i+8 <= len(d) {
			m := special(binary.LittleEndian.Uint64(d[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) / 8
		} else {
			for i < len(d) && d[i] >= ' ' && d[i] != '"' && d[i] != '\\' {
				i++
			}
			if i >= len(d) {
				return -1
			}
		}
		switch d[i] {
		case '"':
			return i + 1
		case '\\':
			if i = skipEscape(d, i); i < 0 {
				return -1
			}
		default:
			return -1 // a control character
		}
	}
}

// scanStringPlain is skipString that also reports whether the string is
// plain: free of escapes and of bytes above ASCII, so that its bytes are
// its value.
func scanStringPlain(d []byte, i int) (end int, plain bool) {
	plain = true
	i++
	for {
		for i < len(d) && d[i] >= ' ' && d[i] < utf8.RuneSelf && d[i] != '"' && d[i] != '\\' {
			i++
		}
		if i >= len(d) {
			return -1, false
		}
		switch c := d[i]; {
		case c == '"':
			return i + 1, plain
		case c == '\\':
			plain = false
			if i = skipEscape(d, i); i < 0 {
				return -1, false
			}
		case c >= utf8.RuneSelf:
			plain = false
			i++
		default:
			return -1, false // a control character
		}
	}
}

// skipEscape checks the escape sequence at d[i] ('\\').
func skipEscape(d []byte, i int) int {
	if i+1 >= len(d) {
		return -1
	}
	switch d[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 2
	case 'u':
		if i+6 > len(d) || hex4(d[i+2:i+6]) < 0 {
			return -1
		}
		return i + 6
	}
	return -1
}

// hex4 returns the value of four hexadecimal digits, or -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// unquote returns the value of a string whose bytes between the quotes,
// already checked by skipString, are raw, decoded as encoding/json decodes
// it: a surrogate pair escape is one character, a lone surrogate escape is
// U+FFFD, and so is every byte that is not part of valid UTF-8 (a
// three-byte encoded surrogate gives three).
func unquote(raw []byte) []byte {
	b := make([]byte, 0, len(raw)+utf8.UTFMax)
	for r := 0; r < len(raw); {
		switch c := raw[r]; {
		case c == '\\':
			switch e := raw[r+1]; e {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				rr := hex4(raw[r+2:])
				r += 6
				if utf16.IsSurrogate(rr) {
					rr1 := rune(-1)
					if r+6 <= len(raw) && raw[r] == '\\' && raw[r+1] == 'u' {
						rr1 = hex4(raw[r+2:])
					}
					if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
						b = utf8.AppendRune(b, dec)
						r += 6
						continue
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
				continue
			default: // '"', '\\', '/'
				b = append(b, e)
			}
			r += 2
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(raw[r:])
			b = utf8.AppendRune(b, rr)
			r += size
		}
	}
	return b
}
