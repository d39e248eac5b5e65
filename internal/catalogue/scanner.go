package catalogue

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner reads JSON (RFC 8259) from a byte slice without allocating. It
// rejects what encoding/json rejects: control characters in strings, bad
// escapes, invalid UTF-8, leading zeros, trailing garbage.
type scanner struct {
	data []byte
	i    int
}

func (s *scanner) peek() byte {
	if s.i < len(s.data) {
		return s.data[s.i]
	}
	return 0
}

func (s *scanner) ws() {
	// Any byte above ' ' ends white space: one comparison in the common case
	// of compact JSON.
	for s.i < len(s.data) && s.data[s.i] <= ' ' {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// skipWS is ws then peek: it skips white space and returns the next byte,
// or 0 at the end.
func (s *scanner) skipWS() byte {
	for s.i < len(s.data) {
		c := s.data[s.i]
		if c > ' ' || c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c
		}
		s.i++
	}
	return 0
}

func (s *scanner) fail(msg string) error { return &SyntaxError{Offset: s.i, Msg: msg} }

// end checks that only white space follows.
func (s *scanner) end() error {
	s.ws()
	if s.i != len(s.data) {
		return s.fail("unexpected data after the JSON value")
	}
	return nil
}

func (s *scanner) literal(lit string) error {
	if len(s.data)-s.i < len(lit) || string(s.data[s.i:s.i+len(lit)]) != lit {
		return s.fail("invalid literal")
	}
	s.i += len(lit)
	return nil
}

// rawString reads a string at s.i (which is '"') and returns its bytes
// between the quotes, still escaped, and whether it holds escapes.
func (s *scanner) rawString() ([]byte, bool, error) {
	raw, flags, err := s.scanString()
	return raw, flags&strEscaped != 0, err
}

// What scanString saw in a string.
const (
	strEscaped  = 1 << iota // backslash escapes
	strNonASCII             // bytes ≥ 0x80 (valid UTF-8)
)

// scanString is rawString reporting, as flags, whether the string holds
// escapes and non-ASCII bytes: a string with neither has as many characters
// as bytes.
func (s *scanner) scanString() ([]byte, uint8, error) {
	start := s.i + 1
	var flags uint8
	for i := start; i < len(s.data); {
		// Fast path: plain ASCII needs no decision. Skip it eight bytes at
		// a time to the first byte that needs one; near the end of the
		// data, byte by byte.
		for i+8 <= len(s.data) {
			if m := special8(binary.LittleEndian.Uint64(s.data[i:])); m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
			i += 8
		}
		for i < len(s.data) && plainByte[s.data[i]] {
			i++
		}
		if i >= len(s.data) {
			break
		}
		c := s.data[i]
		switch {
		case c == '"':
			s.i = i + 1
			return s.data[start:i], flags, nil
		case c == '\\':
			flags |= strEscaped
			if i+1 >= len(s.data) {
				s.i = i
				return nil, 0, s.fail("unterminated escape")
			}
			switch s.data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s.data) || !isHex(s.data[i+2]) || !isHex(s.data[i+3]) || !isHex(s.data[i+4]) || !isHex(s.data[i+5]) {
					s.i = i
					return nil, 0, s.fail("bad \\u escape")
				}
				i += 6
			default:
				s.i = i
				return nil, 0, s.fail("bad escape")
			}
		case c < 0x20:
			s.i = i
			return nil, 0, s.fail("control character in string")
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(s.data[i:])
			if r == utf8.RuneError && size == 1 {
				s.i = i
				return nil, 0, s.fail("invalid UTF-8 in string")
			}
			flags |= strNonASCII
			i += size
		}
	}
	s.i = len(s.data)
	return nil, 0, s.fail("unterminated string")
}

// plainByte marks the bytes a string may hold with no further check:
// printable ASCII other than '"' and '\\'.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// special8 finds the bytes that are not plainByte among eight string bytes
// loaded little-endian into x. It returns 0 when there is none, else a
// word whose lowest set bit is the high bit of the first such byte. It uses
// the SWAR tests of "Bit Twiddling Hacks": (x - 0x01…01·n) &^ x & 0x80…80
// flags the bytes of x below n (n ≤ 0x80), and a byte equals c when the same
// byte of x^(0x01…01·c) is below 1. A flag can be wrong only above a byte
// truly below n, whose borrow it receives, so the lowest flag is right.
// TestSpecial8 checks it against plainByte.
func special8(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote := x ^ (ones * '"')
	backslash := x ^ (ones * '\\')
	special := (x-ones*0x20)&^x | // control characters
		(quote-ones)&^quote | // '"'
		(backslash-ones)&^backslash | // '\\'
		x // bytes ≥ 0x80
	return special & highs
}

// number reads a JSON number at s.i.
func (s *scanner) number() error {
	i := s.i
	if i < len(s.data) && s.data[i] == '-' {
		i++
	}
	switch {
	case i < len(s.data) && s.data[i] == '0':
		i++
	case i < len(s.data) && s.data[i] >= '1' && s.data[i] <= '9':
		for i < len(s.data) && s.data[i] >= '0' && s.data[i] <= '9' {
			i++
		}
	default:
		s.i = i
		return s.fail("bad number")
	}
	if i < len(s.data) && s.data[i] == '.' {
		i++
		d := i
		for i < len(s.data) && s.data[i] >= '0' && s.data[i] <= '9' {
			i++
		}
		if i == d {
			s.i = i
			return s.fail("bad number fraction")
		}
	}
	if i < len(s.data) && (s.data[i] == 'e' || s.data[i] == 'E') {
		i++
		if i < len(s.data) && (s.data[i] == '+' || s.data[i] == '-') {
			i++
		}
		d := i
		for i < len(s.data) && s.data[i] >= '0' && s.data[i] <= '9' {
			i++
		}
		if i == d {
			s.i = i
			return s.fail("bad number exponent")
		}
	}
	s.i = i
	return nil
}

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 200

// skipValue reads and discards one JSON value, checking its syntax.
func (s *scanner) skipValue() error { return s.skip(0) }

func (s *scanner) skip(depth int) error {
	if depth > maxDepth {
		return s.fail("nesting too deep")
	}
	s.ws()
	switch c := s.peek(); {
	case c == '{':
		s.i++
		s.ws()
		if s.peek() == '}' {
			s.i++
			return nil
		}
		for {
			s.ws()
			if s.peek() != '"' {
				return s.fail("expected object key")
			}
			if _, _, err := s.rawString(); err != nil {
				return err
			}
			s.ws()
			if s.peek() != ':' {
				return s.fail("expected :")
			}
			s.i++
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			s.ws()
			switch s.peek() {
			case ',':
				s.i++
			case '}':
				s.i++
				return nil
			default:
				return s.fail("expected , or }")
			}
		}
	case c == '[':
		s.i++
		s.ws()
		if s.peek() == ']' {
			s.i++
			return nil
		}
		for {
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			s.ws()
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return nil
			default:
				return s.fail("expected , or ]")
			}
		}
	case c == '"':
		_, _, err := s.rawString()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	case c == 0 && s.i >= len(s.data):
		return s.fail("unexpected end of input")
	}
	return s.fail("unexpected character")
}

// s0Probe is what findS0 learnt about a message's S0.
type s0Probe struct {
	iid, event []byte // unescaped; sub-slices of the data when unescaped
	// reached counts the path keys found holding objects; missing is
	// len(path) when S0 itself was read.
	reached int
	// notObject is set when path[reached] exists but is not an object.
	notObject bool
}

// findS0 descends through the object keys in path (e.g. payload, CommonBlock,
// S0) from s.i and reads S0's interfaceID and eventCode strings. It stops at
// the first syntax problem; the validating pass reports it.
func (s *scanner) findS0(path []string) (p s0Probe) {
	for depth := 0; depth <= len(path); depth++ {
		s.ws()
		if s.peek() != '{' {
			if depth > 0 {
				p.notObject = true
				p.reached = depth - 1
			} else {
				p.reached = -1
			}
			return p
		}
		p.reached = depth
		s.i++
		found := false
		for !found {
			s.ws()
			if s.peek() != '"' {
				return p
			}
			key, esc, err := s.rawString()
			if err != nil {
				return p
			}
			if esc {
				key = unescape(nil, key)
			}
			s.ws()
			if s.peek() != ':' {
				return p
			}
			s.i++
			s.ws()
			switch {
			case depth < len(path) && string(key) == path[depth]:
				found = true
				continue
			case depth == len(path) && (string(key) == "interfaceID" || string(key) == "eventCode") && s.peek() == '"':
				val, esc, err := s.rawString()
				if err != nil {
					return p
				}
				if esc {
					val = unescape(nil, val)
				}
				if string(key) == "interfaceID" {
					p.iid = val
				} else {
					p.event = val
				}
			default:
				if s.skipValue() != nil {
					return p
				}
			}
			s.ws()
			if s.peek() != ',' {
				return p
			}
			s.i++
		}
	}
	return p
}

// unescape appends the decoded form of a raw JSON string body to dst. Lone
// surrogates decode to U+FFFD, as encoding/json does.
func unescape(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		if i+1 >= len(raw) {
			return dst
		}
		switch raw[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(raw[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if r2 := utf16.DecodeRune(r, hex4(raw[i+2:i+6])); r2 != utf8.RuneError {
						dst = utf8.AppendRune(dst, r2)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			dst = append(dst, raw[i+1])
		}
		i += 2
	}
	return dst
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}
