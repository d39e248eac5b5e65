package catalogue

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// ExampleOptions shape a generated example message.
type ExampleOptions struct {
	// Full includes every optional key and gives nullable keys a value;
	// otherwise optional keys are left out and nullable keys are null.
	Full bool
	// SenderDIPID and SenderRole default to "1000000001" and the interface's
	// first sender role.
	SenderDIPID string
	SenderRole  string
	// MPAN defaults to 1200023305967.
	MPAN string
}

// Example returns a payload for variant v that passes L1 and L2: every
// required key, values that meet each type, pattern, enum and bound, real
// datetimes, MPANs with a valid check digit and a senderUniqueReference that
// agrees with S0 and S1. Arrays hold their minimum number of items (at least
// one). It is the basis of the golden tests and of `mhhs catalogue --example`.
func (c *Catalogue) Example(v *Variant, opt ExampleOptions) []byte {
	in := c.interfaces[v.InterfaceID]
	g := exampleGen{opt: opt, v: v}
	if g.opt.SenderDIPID == "" {
		g.opt.SenderDIPID = "1000000001"
	}
	if g.opt.SenderRole == "" && len(in.Senders) > 0 {
		g.opt.SenderRole = in.Senders[0]
	}
	if g.opt.SenderRole == "" {
		g.opt.SenderRole = "ECS"
	}
	if g.opt.MPAN == "" {
		g.opt.MPAN = "1200023305967"
	}
	g.value(c.schemas().variants[v], "")
	return g.b.Bytes()
}

type exampleGen struct {
	b   bytes.Buffer
	opt ExampleOptions
	v   *Variant
}

func (g *exampleGen) value(n *node, field string) {
	switch n.kind {
	case KindObject:
		g.b.WriteByte('{')
		first := true
		for _, f := range n.fields {
			if !f.required && !g.opt.Full {
				continue
			}
			if !first {
				g.b.WriteByte(',')
			}
			first = false
			g.b.WriteString(strconv.Quote(f.name))
			g.b.WriteByte(':')
			if f.nullable && !g.opt.Full {
				g.b.WriteString("null")
				continue
			}
			g.value(f.node, f.name)
		}
		g.b.WriteByte('}')
	case KindArray:
		count := 1
		if n.minItems != Unset && n.minItems > count {
			count = n.minItems
		}
		g.b.WriteByte('[')
		for i := 0; i < count; i++ {
			if i > 0 {
				g.b.WriteByte(',')
			}
			if n.itemNullable && !g.opt.Full {
				g.b.WriteString("null")
				continue
			}
			g.value(n.items, field)
		}
		g.b.WriteByte(']')
	case KindString:
		g.b.WriteString(strconv.Quote(g.str(n, field)))
	case KindInteger, KindNumber:
		x := 1.0
		if n.hasMin {
			x = n.min
		}
		if n.multipleOf != 0 && n.hasMin && x == 0 {
			x = n.multipleOf
		}
		if n.hasMax && x > n.max {
			x = n.max
		}
		g.b.WriteString(strconv.FormatFloat(x, 'f', -1, 64))
	case KindBoolean:
		g.b.WriteString("true")
	default:
		g.b.WriteString("{}")
	}
}

func (g *exampleGen) str(n *node, field string) string {
	switch field {
	case "senderDIPID", "issuingDataServiceDIPID":
		return g.opt.SenderDIPID
	case "senderRoleID":
		return g.opt.SenderRole
	case "senderUniqueReference":
		return fmt.Sprintf("S-%s-%s-%s-20250401-1", g.v.InterfaceID, g.opt.SenderDIPID, g.opt.SenderRole)
	}
	if n.enum != nil {
		return n.enum[0]
	}
	switch {
	case strings.HasPrefix(n.name, "DT-002"):
		return g.opt.MPAN
	case strings.HasPrefix(n.name, "DT-003"):
		return "2025-04-01T00:00:00+01:00"
	case strings.HasPrefix(n.name, "DT-021"):
		return "2025-04-01"
	case strings.HasPrefix(n.name, "DT-995"):
		return fmt.Sprintf("S-%s-%s-%s-20250401-1", g.v.InterfaceID, g.opt.SenderDIPID, g.opt.SenderRole)
	case strings.HasPrefix(n.name, "DT-006"):
		return "1000000002"
	}
	switch n.format {
	case "uuid":
		return "123e4567-e89b-12d3-a456-426614174000"
	case "email":
		return "ops@example.com"
	case "uri":
		return "https://example.com/asset"
	case "byte":
		return "eyJvayI6dHJ1ZX0="
	}
	var s []byte
	if n.pattern != nil && n.pattern.atoms != nil {
		for _, a := range n.pattern.atoms {
			for i := 0; i < a.min; i++ {
				s = append(s, pick(&a))
			}
		}
		// Grow the first variable atom to reach minLen.
		for i, a := range n.pattern.atoms {
			if n.minLen == Unset || len(s) >= n.minLen {
				break
			}
			if a.max > a.min {
				pos := 0
				for _, b := range n.pattern.atoms[:i] {
					pos += b.min
				}
				for extra := a.min; extra < a.max && len(s) < n.minLen; extra++ {
					s = append(s[:pos], append([]byte{pick(&a)}, s[pos:]...)...)
				}
			}
		}
		return string(s)
	}
	l := 1
	if n.minLen != Unset && n.minLen > l {
		l = n.minLen
	}
	if n.maxLen != Unset && l > n.maxLen {
		l = n.maxLen
	}
	return strings.Repeat("A", l)
}

// pick chooses a character an atom accepts, preferring digits 1, then letters.
func pick(a *atom) byte {
	for _, c := range []byte("1AaZ0") {
		if a.set[c] {
			return c
		}
	}
	for c := 0; c < 256; c++ {
		if a.set[c] {
			return byte(c)
		}
	}
	return 'x'
}
