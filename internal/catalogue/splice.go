package catalogue

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
)

// SetCommonBlocks returns payload with the given CommonBlock keys set to the
// given JSON values: a key already present has its value replaced in place,
// a new key is appended to CommonBlock. Every other byte of the payload is
// kept as the sender wrote it. The DIP uses it to complete A0 and D0 on the
// way out. payload must be well-formed (validated) JSON.
func SetCommonBlocks(payload []byte, blocks []KeyValue) ([]byte, error) {
	sc := scanner{data: payload}
	sc.ws()
	if sc.peek() != '{' {
		return nil, fmt.Errorf("catalogue: payload is not an object")
	}
	sc.i++
	// Find CommonBlock's value.
	var cbStart, cbEnd int
	for cbStart == 0 {
		sc.ws()
		if sc.peek() != '"' {
			return nil, fmt.Errorf("catalogue: payload has no CommonBlock")
		}
		key, _, err := sc.rawString()
		if err != nil {
			return nil, err
		}
		sc.ws()
		sc.i++ // :
		sc.ws()
		start := sc.i
		if err := sc.skipValue(); err != nil {
			return nil, err
		}
		if string(key) == "CommonBlock" {
			cbStart, cbEnd = start, sc.i
			break
		}
		sc.ws()
		if sc.peek() != ',' {
			return nil, fmt.Errorf("catalogue: payload has no CommonBlock")
		}
		sc.i++
	}
	if payload[cbStart] != '{' {
		return nil, fmt.Errorf("catalogue: CommonBlock is not an object")
	}
	// Locate each existing key's value within CommonBlock.
	type span struct{ start, end int }
	found := make([]span, len(blocks))
	cb := scanner{data: payload, i: cbStart + 1}
	cb.ws()
	if cb.peek() != '}' {
		for {
			cb.ws()
			key, _, err := cb.rawString()
			if err != nil {
				return nil, err
			}
			cb.ws()
			cb.i++ // :
			cb.ws()
			start := cb.i
			if err := cb.skipValue(); err != nil {
				return nil, err
			}
			for i, kv := range blocks {
				if string(key) == kv.Key {
					found[i] = span{start, cb.i}
				}
			}
			cb.ws()
			if cb.peek() != ',' {
				break
			}
			cb.i++
		}
	}
	var out bytes.Buffer
	out.Grow(len(payload) + 256)
	pos := 0
	// Replacements in order of position.
	for {
		next := -1
		for i := range found {
			if found[i].end > 0 && found[i].start >= pos && (next < 0 || found[i].start < found[next].start) {
				next = i
			}
		}
		if next < 0 {
			break
		}
		out.Write(payload[pos:found[next].start])
		out.Write(blocks[next].Value)
		pos = found[next].end
	}
	// Appended keys go before CommonBlock's closing brace.
	closing := cbEnd - 1
	out.Write(payload[pos:closing])
	empty := len(bytes.TrimSpace(payload[cbStart+1:closing])) == 0
	for i, kv := range blocks {
		if found[i].end > 0 {
			continue
		}
		if !empty {
			out.WriteByte(',')
		}
		empty = false
		out.WriteString(strconv.Quote(kv.Key))
		out.WriteByte(':')
		out.Write(kv.Value)
	}
	out.Write(payload[closing:])
	return out.Bytes(), nil
}

// KeyValue is a JSON object key and its encoded value.
type KeyValue struct {
	Key   string
	Value []byte
}

// MaskFields returns payload with the given keys of every object held under
// key block (anywhere in the payload, e.g. "B022") set to null; every other
// byte is kept. The DIP uses it to withhold personal data (addresses) from
// roles not entitled to it; the masked keys must be nullable for the result
// to stay valid. payload must be well-formed (validated) JSON.
func MaskFields(payload []byte, block string, fields []string) ([]byte, error) {
	if !bytes.Contains(payload, []byte(`"`+block+`"`)) {
		return payload, nil
	}
	var out bytes.Buffer
	out.Grow(len(payload))
	sc := scanner{data: payload}
	if err := maskValue(&sc, &out, block, fields, false, 0); err != nil {
		return nil, err
	}
	out.Write(payload[sc.i:])
	return out.Bytes(), nil
}

// maskValue copies the value at sc to out; inBlock says the value is the
// object under the masked block key.
func maskValue(sc *scanner, out *bytes.Buffer, block string, fields []string, inBlock bool, depth int) error {
	if depth > maxDepth {
		return sc.fail("nesting too deep")
	}
	copyWS(sc, out)
	switch sc.peek() {
	case '{':
		sc.i++
		out.WriteByte('{')
		for {
			copyWS(sc, out)
			if sc.peek() == '}' {
				sc.i++
				out.WriteByte('}')
				return nil
			}
			ks := sc.i
			key, _, err := sc.rawString()
			if err != nil {
				return err
			}
			out.Write(sc.data[ks:sc.i])
			copyWS(sc, out)
			if sc.peek() != ':' {
				return sc.fail("expected :")
			}
			sc.i++
			out.WriteByte(':')
			mask := inBlock && slices.Contains(fields, string(key))
			if mask {
				copyWS(sc, out)
				if err := sc.skipValue(); err != nil {
					return err
				}
				out.WriteString("null")
			} else if err := maskValue(sc, out, block, fields, string(key) == block, depth+1); err != nil {
				return err
			}
			if done, err := copySeparator(sc, out, '}'); done || err != nil {
				return err
			}
		}
	case '[':
		sc.i++
		out.WriteByte('[')
		for {
			copyWS(sc, out)
			if sc.peek() == ']' {
				sc.i++
				out.WriteByte(']')
				return nil
			}
			if err := maskValue(sc, out, block, fields, inBlock, depth+1); err != nil {
				return err
			}
			if done, err := copySeparator(sc, out, ']'); done || err != nil {
				return err
			}
		}
	default:
		vs := sc.i
		if err := sc.skipValue(); err != nil {
			return err
		}
		out.Write(sc.data[vs:sc.i])
		return nil
	}
}

// copyWS copies the white space at sc to out, byte for byte.
func copyWS(sc *scanner, out *bytes.Buffer) {
	start := sc.i
	sc.ws()
	out.Write(sc.data[start:sc.i])
}

// copySeparator copies the white space and the ',' or closing byte that
// follow a member or element; done reports the closing byte.
func copySeparator(sc *scanner, out *bytes.Buffer, closing byte) (done bool, err error) {
	copyWS(sc, out)
	switch c := sc.peek(); c {
	case ',', closing:
		sc.i++
		out.WriteByte(c)
		return c == closing, nil
	default:
		return false, sc.fail("expected , or " + string(closing))
	}
}
