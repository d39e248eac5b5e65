package catalogue

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The bounds tests read every limit from reference/dip-contract.json, not
// from the validator's compiled schemas: for each data type with a
// minLength, maxLength, minimum, maximum, multipleOf or format, they find a
// field of that type in some variant by walking the contract's own blocks,
// put a value at the bound and one past it into a valid message of that
// variant, and check the validator's verdict.

// contractFacts is the part of dip-contract.json the bounds tests read.
type contractFacts struct {
	DataTypes  map[string]contractDataType `json:"dataTypes"`
	Blocks     map[string]contractBlock    `json:"blocks"`
	Interfaces map[string]struct {
		Variants []contractVariant `json:"variants"`
	} `json:"interfaces"`
}

type contractDataType struct {
	Type       string   `json:"type"`
	MinLength  *int     `json:"minLength"`
	MaxLength  *int     `json:"maxLength"`
	Minimum    *float64 `json:"minimum"`
	Maximum    *float64 `json:"maximum"`
	MultipleOf *float64 `json:"multipleOf"`
	Format     string   `json:"format"`
	Pattern    string   `json:"pattern"`
	Enum       []string `json:"enum"`
}

type contractBlock struct {
	Fields []struct {
		Name   string          `json:"name"`
		Ref    string          `json:"ref"`
		Type   string          `json:"type"`
		Format string          `json:"format"`
		Array  json.RawMessage `json:"array"`
	} `json:"fields"`
}

type contractVariant struct {
	InterfaceID string `json:"interfaceID"`
	EventCode   string `json:"eventCode"`
	CommonBlock struct {
		Required  []string          `json:"required"`
		Optional  []string          `json:"optional"`
		BlockRefs map[string]string `json:"blockRefs"`
	} `json:"commonBlock"`
	CustomBlock *struct {
		Required []string                   `json:"required"`
		Optional []string                   `json:"optional"`
		KeyRefs  map[string]json.RawMessage `json:"keyRefs"`
	} `json:"customBlock"`
}

// bounded reports whether d has a bound these tests check.
func (d contractDataType) bounded() bool {
	return d.MinLength != nil || d.MaxLength != nil || d.Minimum != nil || d.Maximum != nil || d.MultipleOf != nil || d.Format != ""
}

// use is one field of a data type (or of an inline type, when dataType is
// "") in a variant: the path below the payload, as jv.at reads it.
type use struct {
	iface, event string
	path         string
	dataType     string
	format       string // an inline field's format
}

func readContractFacts(t *testing.T) *contractFacts {
	t.Helper()
	b, err := os.ReadFile(contractPath(t))
	if err != nil {
		t.Fatal(err)
	}
	var c contractFacts
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// uses lists every field of every variant, in the order of the contract's
// interfaces (sorted), variants and fields, custom blocks before common
// blocks (whose fields the L2 checks compare with each other).
func (c *contractFacts) uses(t *testing.T) []use {
	t.Helper()
	var out []use
	ids := make([]string, 0, len(c.Interfaces))
	for id := range c.Interfaces {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		for _, v := range c.Interfaces[id].Variants {
			event := strings.Trim(v.EventCode, "[]")
			add := func(path, block string, array bool) {
				if array {
					path += "[0]"
				}
				out = c.walk(t, out, use{iface: v.InterfaceID, event: event}, path, block, 0)
			}
			if cb := v.CustomBlock; cb != nil {
				for _, key := range append(slices.Clone(cb.Required), cb.Optional...) {
					block, array := key, false
					if raw, ok := cb.KeyRefs[key]; ok {
						var name string
						var arrayOf struct {
							ArrayOf string `json:"arrayOf"`
						}
						switch {
						case json.Unmarshal(raw, &name) == nil:
							block = name
						case json.Unmarshal(raw, &arrayOf) == nil && arrayOf.ArrayOf != "":
							block, array = arrayOf.ArrayOf, true
						default:
							t.Fatalf("%s %s: keyRef %s is %s", id, v.EventCode, key, raw)
						}
					}
					add("CustomBlock."+key, block, array)
				}
			}
			for _, key := range append(slices.Clone(v.CommonBlock.Required), v.CommonBlock.Optional...) {
				block := key
				if b, ok := v.CommonBlock.BlockRefs[key]; ok {
					block = b
				}
				add("CommonBlock."+key, block, false)
			}
		}
	}
	return out
}

// walk appends the fields of block, at path, to out.
func (c *contractFacts) walk(t *testing.T, out []use, u use, path, block string, depth int) []use {
	t.Helper()
	b, ok := c.Blocks[block]
	if !ok || depth > 20 {
		t.Fatalf("%s %s: %s names block %q, which the contract lacks", u.iface, u.event, path, block)
	}
	for _, f := range b.Fields {
		p := path + "." + f.Name
		if f.Array != nil {
			p += "[0]"
		}
		switch {
		case f.Ref == "":
			u := u
			u.path, u.format = p, f.Format
			out = append(out, u)
		case c.DataTypes[f.Ref].Type != "":
			u := u
			u.path, u.dataType = p, f.Ref
			out = append(out, u)
		default:
			out = c.walk(t, out, u, p, f.Ref, depth+1)
		}
	}
	return out
}

// boundCase is one value put at one use, and what the validator must say.
type boundCase struct {
	what string
	raw  string // JSON
	// rule: a finding of this rule must be at the path (reject), or must
	// not be there (!reject). ok: the message must pass L1 (the L2 checks
	// of roles, references and real dates may still fail a value made up
	// for its length).
	rule   Rule
	reject bool
	ok     bool
}

// TestBoundsFromContract puts values at and one past every bound of every
// bounded data type the variants use, and checks the validator's verdict.
func TestBoundsFromContract(t *testing.T) {
	c := readContractFacts(t)
	first := map[string]use{}
	for _, u := range c.uses(t) {
		if _, seen := first[u.dataType]; !seen && u.dataType != "" && c.DataTypes[u.dataType].bounded() {
			first[u.dataType] = u
		}
	}
	var names []string
	for name, d := range c.DataTypes {
		if d.bounded() {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	checked := 0
	for _, name := range names {
		u, ok := first[name]
		if !ok {
			continue // used by no variant (the DIP API's own objects)
		}
		d := c.DataTypes[name]
		t.Run(name, func(t *testing.T) {
			base := examplePayload(t, u.iface, u.event, ExampleOptions{Full: true})
			if vd := validate(t, u.iface, base); !vd.OK() {
				t.Fatalf("%s %s: example rejected: %v", u.iface, u.event, vd.Findings)
			}
			example := base.at(t, u.path).scalar
			for _, bc := range boundCases(t, d, example) {
				p := base.clone()
				p.setRaw(t, u.path, bc.raw)
				vd := validate(t, u.iface, p)
				where := "payload." + u.path
				has := false
				for _, f := range vd.Findings {
					if f.Path == where && f.Rule == bc.rule {
						has = true
						if f.Code != MSG1001 || f.Level != 1 {
							t.Errorf("%s: finding %v, want MSG1001 at level 1", bc.what, f)
						}
					}
				}
				switch {
				case bc.reject && !has:
					t.Errorf("%s %s %s = %s (%s): no %s finding; findings %v", u.iface, u.event, u.path, bc.raw, bc.what, bc.rule, vd.Findings)
				case !bc.reject && has:
					t.Errorf("%s %s %s = %s (%s): %s finding %v", u.iface, u.event, u.path, bc.raw, bc.what, bc.rule, vd.Findings)
				case bc.ok && failsL1(vd):
					t.Errorf("%s %s %s = %s (%s): rejected at L1: %v", u.iface, u.event, u.path, bc.raw, bc.what, vd.Findings)
				}
			}
		})
		checked++
	}
	// Of the contract's 145 bounded data types, 138 appear in payloads (the
	// rest in the DIP API's own objects); a walk that finds fewer has lost
	// its way.
	if checked < 138 {
		t.Errorf("checked %d bounded data types, want 138", checked)
	}
}

// boundCases lists the values that probe d's bounds, starting from the
// example's value (JSON) for the field.
func boundCases(t *testing.T, d contractDataType, example json.RawMessage) []boundCase {
	t.Helper()
	var out []boundCase
	switch d.Type {
	case "string":
		var ex string
		if err := json.Unmarshal(example, &ex); err != nil {
			t.Fatalf("example value %s is not a string", example)
		}
		// plain: nothing but the length can fail, so a value at a bound
		// must pass outright.
		plain := d.Pattern == "" && d.Enum == nil && d.Format == ""
		var pattern *regexp.Regexp
		if d.Pattern != "" {
			pattern = regexp.MustCompile(d.Pattern)
		}
		valid := func(s string) bool {
			n := len([]rune(s))
			return d.Enum == nil && d.Format == "" && (pattern == nil || pattern.MatchString(s)) &&
				(d.MinLength == nil || n >= *d.MinLength) && (d.MaxLength == nil || n <= *d.MaxLength)
		}
		str := func(what, s string, rule Rule, reject bool) {
			b, _ := json.Marshal(s)
			out = append(out, boundCase{what: what, raw: string(b), rule: rule, reject: reject, ok: !reject && valid(s)})
		}
		if d.MaxLength != nil {
			m := *d.MaxLength
			str("at maxLength", resize(ex, m, d.Format), RuleMaxLength, false)
			str("one over maxLength", resize(ex, m+1, d.Format), RuleMaxLength, true)
			if plain {
				// Lengths are in characters, not bytes, also when escaped.
				str("at maxLength in 2-byte characters", strings.Repeat("é", m), RuleMaxLength, false)
				str("one over maxLength in 2-byte characters", strings.Repeat("é", m+1), RuleMaxLength, true)
				out = append(out,
					boundCase{what: "at maxLength escaped", raw: `"` + strings.Repeat(`\u00e9`, m) + `"`, rule: RuleMaxLength, ok: true},
					boundCase{what: "one over maxLength escaped", raw: `"` + strings.Repeat(`\u00e9`, m+1) + `"`, rule: RuleMaxLength, reject: true})
			}
		}
		if d.MinLength != nil {
			m := *d.MinLength
			str("at minLength", resize(ex, m, d.Format), RuleMinLength, false)
			if m > 0 {
				str("one under minLength", resize(ex, m-1, d.Format), RuleMinLength, true)
				if plain && m > 1 {
					str("one under minLength in 2-byte characters", strings.Repeat("é", m-1), RuleMinLength, true)
				}
			}
		}
		if d.Format != "" {
			out = append(out, formatCases(t, d.Format)...)
		}
	case "integer", "number":
		num := func(what string, x float64, rule Rule, reject, ok bool) {
			out = append(out, boundCase{what: what, raw: strconv.FormatFloat(x, 'f', -1, 64), rule: rule, reject: reject, ok: ok})
		}
		// inRange: a value within both bounds and a multiple, so that only
		// the bound under test can fail.
		inRange := func(x float64) bool {
			return (d.Minimum == nil || x >= *d.Minimum) && (d.Maximum == nil || x <= *d.Maximum) &&
				(d.MultipleOf == nil || x/(*d.MultipleOf) == float64(int64(x/(*d.MultipleOf))))
		}
		if d.Maximum != nil {
			m := *d.Maximum
			num("at maximum", m, RuleMaximum, false, inRange(m))
			num("one over maximum", m+1, RuleMaximum, true, false)
			if d.Type == "number" {
				num("a half over maximum", m+0.5, RuleMaximum, true, false)
			}
		}
		if d.Minimum != nil {
			m := *d.Minimum
			num("at minimum", m, RuleMinimum, false, inRange(m))
			num("one under minimum", m-1, RuleMinimum, true, false)
			if d.Type == "number" {
				num("a half under minimum", m-0.5, RuleMinimum, true, false)
			}
		}
		if d.MultipleOf != nil {
			k := *d.MultipleOf
			x := k
			if d.Minimum != nil {
				x = float64(int64(*d.Minimum/k+0.999999)) * k // the least multiple at or above the minimum
			}
			num("a multiple", x, RuleMultipleOf, false, inRange(x))
			num("a multiple plus one", x+1, RuleMultipleOf, true, false)
			num("a multiple minus one", x-1, RuleMultipleOf, true, false)
		}
	default:
		t.Fatalf("bounded data type of type %s", d.Type)
	}
	return out
}

// resize makes a value of n characters from the example's value s, so
// that a value that has a pattern still matches it where it can: it cuts
// s, or repeats its last character (for an email, it grows the part
// before the @).
func resize(s string, n int, format string) string {
	if format == "email" && n > len(s) {
		at := strings.IndexByte(s, '@')
		return strings.Repeat("a", n-len(s)) + s[:at] + s[at:]
	}
	if n <= len(s) {
		return s[:n]
	}
	last := "A"
	if s != "" {
		last = s[len(s)-1:]
	}
	return s + strings.Repeat(last, n-len(s))
}

// formatCases are valid and invalid values of each format the contract
// names, by the format's definition (RFC 4122 uuid, an address with one @
// and a dotted domain, RFC 4648 base64). A format the contract adds fails
// the test until it has cases here.
func formatCases(t *testing.T, format string) []boundCase {
	t.Helper()
	var good, bad []string
	switch format {
	case "uuid":
		good = []string{"123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-426614174000", "00000000-0000-0000-0000-000000000000"}
		bad = []string{"123e4567-e89b-12d3-a456-42661417400g", "123e4567-e89b-12d3-a456-42661417400", "123e4567-e89b-12d3-a456-4266141740000",
			"123e4567e89b-12d3-a456-4266141740000", "{123e4567-e89b-12d3-a456-426614174000}", "123e4567-e89b-12d3-a456_426614174000"}
	case "email":
		good = []string{"ops@example.com", "first.last+tag@sub.example.co.uk"}
		bad = []string{"opsexample.com", "ops@exa@mple.com", "ops@", "@example.com", "ops @example.com", "ops@example.com\n"}
	case "byte":
		good = []string{"eyJvayI6dHJ1ZX0=", "", "AAAA", "+/+/"}
		bad = []string{"eyJvayI6dHJ1ZX0", "e!==", "AAA=A", "eyJvayI6dHJ1ZX0=="}
	default:
		t.Fatalf("format %q has no cases", format)
	}
	var out []boundCase
	for _, s := range good {
		b, _ := json.Marshal(s)
		out = append(out, boundCase{what: "valid " + format, raw: string(b), rule: RuleFormat})
	}
	for _, s := range bad {
		b, _ := json.Marshal(s)
		out = append(out, boundCase{what: "invalid " + format, raw: string(b), rule: RuleFormat, reject: true})
	}
	return out
}

// TestInlineFormatsFromContract checks the formats of fields that declare
// their type inline (P03.compressedReport is base64), at their first use.
func TestInlineFormatsFromContract(t *testing.T) {
	c := readContractFacts(t)
	seen := map[string]bool{}
	for _, u := range c.uses(t) {
		if u.format == "" || seen[u.format] {
			continue
		}
		seen[u.format] = true
		t.Run(fmt.Sprintf("%s %s", u.format, u.path), func(t *testing.T) {
			base := examplePayload(t, u.iface, u.event, ExampleOptions{Full: true})
			for _, bc := range formatCases(t, u.format) {
				p := base.clone()
				p.setRaw(t, u.path, bc.raw)
				vd := validate(t, u.iface, p)
				if bc.reject != !vd.OK() {
					t.Errorf("%s %s %s = %s (%s): findings %v", u.iface, u.event, u.path, bc.raw, bc.what, vd.Findings)
				}
			}
		})
	}
	if !seen["byte"] {
		t.Error("no inline field with format byte: the walk missed P03.compressedReport")
	}
}

// failsL1 reports whether vd has a schema (level 1) finding.
func failsL1(vd Verdict) bool {
	for _, f := range vd.Findings {
		if f.Level == 1 {
			return true
		}
	}
	return false
}
