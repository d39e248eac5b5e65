package catalogue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compileJSONSchema compiles the catalogue's JSON Schema for a whole message
// array of variant v with santhosh-tekuri/jsonschema, asserting formats.
func compileJSONSchema(t testing.TB, c *Catalogue, v *Variant) *jsonschema.Schema {
	t.Helper()
	raw, err := json.Marshal(c.JSONSchemaArray(v))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	comp := jsonschema.NewCompiler()
	comp.AssertFormat()
	url := fmt.Sprintf("mhhs:///%s/%s.json", v.InterfaceID, v.Event())
	if err := comp.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := comp.Compile(url)
	if err != nil {
		t.Fatalf("%s %s: %v", v.InterfaceID, v.EventCode, err)
	}
	return s
}

func generalVerdict(t testing.TB, s *jsonschema.Schema, body []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

// TestAgreesWithJSONSchema checks mhhs's validator against a general JSON
// Schema validator on the same facts: every variant's examples and every
// mutation of them get the same L1 verdict (accept or reject) from both.
func TestAgreesWithJSONSchema(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles 146 schemas")
	}
	c := Default()
	val := NewValidator(c)
	checked := 0
	for _, v := range allVariants() {
		s := compileJSONSchema(t, c, v)
		for _, full := range []bool{false, true} {
			body := wrapArray(c.Example(v, ExampleOptions{Full: full}))
			root := parseJV(t, body)
			bodies := [][]byte{body}
			for _, m := range mutations(v, c.schemas().variants[v], root.arr[0].get("payload"), "[0].payload", func(r *jv) *jv { return r.arr[0].get("payload") }) {
				r := root.clone()
				m.apply(r)
				bodies = append(bodies, r.bytes())
			}
			for _, b := range bodies {
				verdicts, err := val.ValidateArrayFor(v, b)
				if err != nil {
					t.Fatal(err)
				}
				oursOK := true
				for _, f := range verdicts[0].Findings {
					if f.Level == 1 {
						oursOK = false
					}
				}
				gerr := generalVerdict(t, s, b)
				if oursOK != (gerr == nil) {
					t.Errorf("%s %s: mhhs L1 ok=%v, jsonschema: %v\nfindings: %v\n%s", v.InterfaceID, v.EventCode, oursOK, gerr, verdicts[0].Findings, b)
				}
				checked++
			}
		}
	}
	t.Logf("%d messages got the same verdict from both validators", checked)
}

// FuzzAgreesWithJSONSchema mutates IF-021 and IF-031 messages at random and
// requires mhhs's L1 verdict to equal the general validator's. Bodies that
// are not JSON, nest deeper than mhhs accepts, or repeat a key (mhhs
// rejects duplicates by design) are skipped.
func FuzzAgreesWithJSONSchema(f *testing.F) {
	c := Default()
	var vs []*Variant
	for _, id := range [][2]string{{"IF-021", "[ActivePower]"}, {"IF-031", "[MSApp]"}} {
		v, _ := c.Variant(id[0], id[1])
		vs = append(vs, v)
		f.Add(uint8(len(vs)-1), wrapArray(c.Example(v, ExampleOptions{Full: true})))
		f.Add(uint8(len(vs)-1), wrapArray(c.Example(v, ExampleOptions{})))
	}
	schemas := make([]*jsonschema.Schema, len(vs))
	for i, v := range vs {
		schemas[i] = compileJSONSchema(f, c, v)
	}
	val := NewValidator(c)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		i := int(which) % len(vs)
		if !json.Valid(body) || hasDuplicateKeys(body) {
			return
		}
		verdicts, err := val.ValidateArrayFor(vs[i], body)
		if err != nil {
			return // nesting too deep
		}
		oursOK := true
		for _, v := range verdicts {
			for _, f := range v.Findings {
				if f.Level == 1 {
					oursOK = false
				}
			}
		}
		gerr := generalVerdict(t, schemas[i], body)
		if oursOK != (gerr == nil) {
			t.Fatalf("mhhs L1 ok=%v, jsonschema: %v\n%v\n%s", oursOK, gerr, verdicts, body)
		}
	})
}

func hasDuplicateKeys(body []byte) bool {
	d := json.NewDecoder(bytes.NewReader(body))
	var walk func() bool
	walk = func() bool {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for d.More() {
				k, _ := d.Token()
				if seen[k.(string)] {
					return true
				}
				seen[k.(string)] = true
				if walk() {
					return true
				}
			}
			d.Token()
		case json.Delim('['):
			for d.More() {
				if walk() {
					return true
				}
			}
			d.Token()
		}
		return false
	}
	return walk()
}
