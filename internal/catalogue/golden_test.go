package catalogue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// jv is an ordered JSON value, so tests can mutate a message and write it
// back with its keys in their original order.
type jv struct {
	obj    []jkv
	arr    []*jv
	isObj  bool
	isArr  bool
	scalar json.RawMessage
}

type jkv struct {
	key string
	val *jv
}

func parseJV(t testing.TB, b []byte) *jv {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := readJV(d)
	if err != nil {
		t.Fatalf("parse %s: %v", b, err)
	}
	return v
}

func readJV(d *json.Decoder) (*jv, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch x := tok.(type) {
	case json.Delim:
		switch x {
		case '{':
			v := &jv{isObj: true}
			for d.More() {
				k, err := d.Token()
				if err != nil {
					return nil, err
				}
				val, err := readJV(d)
				if err != nil {
					return nil, err
				}
				v.obj = append(v.obj, jkv{k.(string), val})
			}
			_, err := d.Token()
			return v, err
		case '[':
			v := &jv{isArr: true, arr: []*jv{}}
			for d.More() {
				val, err := readJV(d)
				if err != nil {
					return nil, err
				}
				v.arr = append(v.arr, val)
			}
			_, err := d.Token()
			return v, err
		}
	case nil:
		return &jv{scalar: json.RawMessage("null")}, nil
	}
	b, _ := json.Marshal(tok)
	return &jv{scalar: b}, nil
}

func (v *jv) write(b *bytes.Buffer) {
	switch {
	case v.isObj:
		b.WriteByte('{')
		for i, kv := range v.obj {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(kv.key) + ":")
			kv.val.write(b)
		}
		b.WriteByte('}')
	case v.isArr:
		b.WriteByte('[')
		for i, x := range v.arr {
			if i > 0 {
				b.WriteByte(',')
			}
			x.write(b)
		}
		b.WriteByte(']')
	default:
		b.Write(v.scalar)
	}
}

func (v *jv) clone() *jv {
	c := &jv{isObj: v.isObj, isArr: v.isArr, scalar: v.scalar}
	for _, kv := range v.obj {
		c.obj = append(c.obj, jkv{kv.key, kv.val.clone()})
	}
	if v.isArr {
		c.arr = []*jv{}
		for _, x := range v.arr {
			c.arr = append(c.arr, x.clone())
		}
	}
	return c
}

func (v *jv) bytes() []byte {
	var b bytes.Buffer
	v.write(&b)
	return b.Bytes()
}

func (v *jv) get(key string) *jv {
	for _, kv := range v.obj {
		if kv.key == key {
			return kv.val
		}
	}
	return nil
}

// mutation is one deliberate break of a valid message and the finding it must
// produce.
type mutation struct {
	name  string
	apply func(root *jv) // root is the message array
	want  Finding        // Path, Rule and Code are compared
}

// mutations walks a valid payload together with its compiled schema and lists
// every mutation the issue asks for: each required key removed, each nullable
// key removed, an unknown key where forbidden, a bad enum, a pattern break, a
// 20-character Z datetime, and array bounds broken.
func mutations(v *Variant, n *node, val *jv, path string, locate func(root *jv) *jv) []mutation {
	var out []mutation
	switch n.kind {
	case KindObject:
		if !val.isObj {
			return nil
		}
		if !n.additional {
			out = append(out, mutation{
				name: "unknown key in " + path,
				apply: func(root *jv) {
					o := locate(root)
					o.obj = append(o.obj, jkv{"zzUnknown", &jv{scalar: json.RawMessage(`1`)}})
				},
				want: Finding{Path: path + ".zzUnknown", Rule: RuleAdditional, Code: MSG1001},
			})
		}
		for _, f := range n.fields {
			f := f
			child := val.get(f.name)
			if child == nil {
				continue
			}
			if f.required {
				want := Finding{Path: path, Rule: RuleRequired, Code: MSG1001}
				kind := "required"
				if f.nullable {
					kind = "nullable"
				}
				out = append(out, mutation{
					name: fmt.Sprintf("%s key %s removed", kind, path+"."+f.name),
					apply: func(root *jv) {
						o := locate(root)
						for i, kv := range o.obj {
							if kv.key == f.name {
								o.obj = append(o.obj[:i], o.obj[i+1:]...)
								return
							}
						}
					},
					want: want,
				})
			}
			childLocate := func(root *jv) *jv { return locate(root).get(f.name) }
			out = append(out, mutations(v, f.node, child, path+"."+f.name, childLocate)...)
		}
	case KindArray:
		if !val.isArr {
			return nil
		}
		if n.minItems != Unset && n.minItems > 0 {
			out = append(out, mutation{
				name:  "empty array " + path,
				apply: func(root *jv) { locate(root).arr = []*jv{} },
				want:  Finding{Path: path, Rule: RuleMinItems, Code: MSG1001},
			})
		}
		if n.maxItems != Unset && len(val.arr) > 0 {
			max := n.maxItems
			out = append(out, mutation{
				name: "too many items " + path,
				apply: func(root *jv) {
					a := locate(root)
					for len(a.arr) <= max {
						a.arr = append(a.arr, a.arr[0].clone())
					}
				},
				want: Finding{Path: path, Rule: RuleMaxItems, Code: MSG1001},
			})
		}
		if len(val.arr) > 0 && val.arr[0].scalar == nil {
			out = append(out, mutations(v, n.items, val.arr[0], path+"[0]", func(root *jv) *jv { return locate(root).arr[0] })...)
		}
		if len(val.arr) > 0 && val.arr[0].scalar != nil && string(val.arr[0].scalar) != "null" {
			out = append(out, mutations(v, n.items, val.arr[0], path+"[0]", func(root *jv) *jv { return locate(root).arr[0] })...)
		}
	case KindString:
		if val.scalar == nil || string(val.scalar) == "null" {
			return nil
		}
		set := func(s string) func(root *jv) {
			return func(root *jv) { b, _ := json.Marshal(s); *locate(root) = jv{scalar: b} }
		}
		if n.enum != nil {
			out = append(out, mutation{name: "bad enum " + path, apply: set("NotInEnum"), want: Finding{Path: path, Rule: RuleEnum, Code: MSG1001}})
			if strings.HasSuffix(path, "S0.interfaceID") || strings.HasSuffix(path, "S0.eventCode") {
				out = out[:len(out)-1] // a bad interfaceID or eventCode selects no variant: covered by choose tests
			}
		}
		if n.pattern != nil {
			out = append(out, mutation{name: "pattern break " + path, apply: set("x"), want: Finding{Path: path, Rule: RulePattern, Code: MSG1001}})
		}
		if strings.HasPrefix(n.name, "DT-003") {
			out = append(out, mutation{name: "Z datetime " + path, apply: set("2025-04-01T00:00:00Z"), want: Finding{Path: path, Rule: RuleMinLength, Code: MSG1001}})
		}
	}
	return out
}

func allVariants() []*Variant {
	var out []*Variant
	for _, in := range Default().Interfaces() {
		out = append(out, in.Variants...)
	}
	return out
}

func wrapArray(payload []byte) []byte {
	return []byte(`[{"payload":` + string(payload) + `}]`)
}

func TestExamplesAreValid(t *testing.T) {
	c := Default()
	val := NewValidator(c)
	n := 0
	for _, v := range allVariants() {
		for _, full := range []bool{false, true} {
			body := wrapArray(c.Example(v, ExampleOptions{Full: full}))
			verdicts, err := val.ValidateArray(v.InterfaceID, body)
			if err != nil {
				t.Fatalf("%s %s: %v", v.InterfaceID, v.EventCode, err)
			}
			if len(verdicts) != 1 || !verdicts[0].OK() {
				t.Errorf("%s %s full=%v: rejected: %v", v.InterfaceID, v.EventCode, full, verdicts[0].Findings)
			}
			if verdicts[0].Variant != v {
				t.Errorf("%s %s: chose %v", v.InterfaceID, v.EventCode, verdicts[0].Variant)
			}
			n++
		}
	}
	if n != 2*146 {
		t.Errorf("validated %d examples, want %d (146 variants × minimal and full)", n, 2*146)
	}
}

func TestMutationsAreRejected(t *testing.T) {
	c := Default()
	val := NewValidator(c)
	total := 0
	for _, v := range allVariants() {
		for _, full := range []bool{false, true} {
			body := wrapArray(c.Example(v, ExampleOptions{Full: full}))
			root := parseJV(t, body)
			payload := root.arr[0].get("payload")
			muts := mutations(v, c.schemas().variants[v], payload, "[0].payload", func(r *jv) *jv { return r.arr[0].get("payload") })
			for _, m := range muts {
				r := root.clone()
				m.apply(r)
				verdicts, err := val.ValidateArray(v.InterfaceID, r.bytes())
				if err != nil {
					t.Fatalf("%s %s %s: %v", v.InterfaceID, v.EventCode, m.name, err)
				}
				got := verdicts[0].Findings
				found := false
				for _, f := range got {
					if f.Path == m.want.Path && f.Rule == m.want.Rule && f.Code == m.want.Code {
						found = true
					}
				}
				if !found {
					t.Errorf("%s %s: %s: want %s %s %s, got %v", v.InterfaceID, v.EventCode, m.name, m.want.Path, m.want.Rule, m.want.Code, got)
				}
				total++
			}
		}
	}
	t.Logf("%d mutations rejected as expected", total)
	if total < 5000 {
		t.Errorf("only %d mutations: the walk missed parts of the catalogue", total)
	}
}

func TestRoundTrip(t *testing.T) {
	c := Default()
	for _, v := range allVariants() {
		for _, full := range []bool{false, true} {
			in := c.Example(v, ExampleOptions{Full: full})
			p, err := c.Decode(in)
			if err != nil {
				t.Fatalf("%s %s: %v", v.InterfaceID, v.EventCode, err)
			}
			if p.Variant() != v {
				t.Fatalf("%s %s: decoded as %s %s", v.InterfaceID, v.EventCode, p.Variant().InterfaceID, p.Variant().EventCode)
			}
			out, err := Encode(p)
			if err != nil {
				t.Fatal(err)
			}
			// A typed message built in Go passes the validator.
			if vd, err := NewValidator(c).ValidatePayload(v.InterfaceID, out); err != nil || !vd.OK() {
				t.Errorf("%s %s: encoded typed message rejected: %v %v", v.InterfaceID, v.EventCode, err, vd.Findings)
			}
			var a, b any
			json.Unmarshal(in, &a)
			json.Unmarshal(out, &b)
			if diff := cmp.Diff(a, b); diff != "" {
				t.Errorf("%s %s full=%v: round trip changed the message (-in +out):\n%s", v.InterfaceID, v.EventCode, full, diff)
			}
		}
	}
}

// TestNewPayloadsEncodeTheirHeader checks that a payload built from New
// carries its variant's S0 and that Encode refuses a mismatched S0.
func TestNewPayloadsEncodeTheirHeader(t *testing.T) {
	for _, v := range allVariants() {
		p, err := New(v)
		if err != nil {
			t.Fatal(err)
		}
		if h := p.header(); h.InterfaceID != v.InterfaceID || h.EventCode != v.EventCode {
			t.Errorf("New(%s %s) header = %+v", v.InterfaceID, v.EventCode, h)
		}
	}
	p := &IF021ActivePower{}
	p.CommonBlock.S0.EventCode = "[ReactivePower]"
	if _, err := Encode(p); err == nil {
		t.Error("Encode accepted an S0 naming another variant")
	}
}

func TestValidateEnvelope(t *testing.T) {
	val := NewValidator(nil)
	ok := `[{"transactionID":null,"senderUniqueReference":"S-IF-021-1000000001-SDS-20250401-1","correlationID":null,"sentTimestamp":"2025-04-01T00:00:00+00:00","senderID":"1000000001","recipientID":null,"DIPConnectionProviderID":null,"message":"MSG0000 - Success","help":null,"serviceTicketURL":null}]`
	v, err := val.ValidateEnvelope("StandardResponseArray", []byte(ok))
	if err != nil || !v.OK() {
		t.Fatalf("valid status message rejected: %v %v", err, v.Findings)
	}
	bad := strings.Replace(ok, `"help":null,`, ``, 1)
	v, _ = val.ValidateEnvelope("StandardResponseArray", []byte(bad))
	if v.OK() || v.Findings[0].Path != "[0]" || v.Findings[0].Rule != RuleRequired {
		t.Errorf("missing help: %v", v.Findings)
	}
	v, _ = val.ValidateEnvelope("WebhookConfig", []byte(`{"callbackURL":"https://x.example/hook","maxMessageCount":10}`))
	if !v.OK() {
		t.Errorf("webhook config: %v", v.Findings)
	}
	v, _ = val.ValidateEnvelope("WebhookConfig", []byte(`{"callbackURL":"not a url"}`))
	if v.OK() {
		t.Error("webhook config with a bad URL accepted")
	}
	if _, err := val.ValidateEnvelope("Nope", []byte(`{}`)); err == nil {
		t.Error("unknown envelope schema accepted")
	}
	// An integer of format int32 (JournalEntry's StatusCode has no
	// minimum or maximum of its own) must fit in 32 bits.
	for _, tt := range []struct {
		value  string
		format bool
	}{{"2147483647", false}, {"-2147483648", false}, {"2147483648", true}, {"-2147483649", true}} {
		v, err := val.ValidateEnvelope("JournalEntry", []byte(`{"StatusCode":`+tt.value+`}`))
		if err != nil {
			t.Fatal(err)
		}
		format := false
		for _, f := range v.Findings {
			if f.Rule == RuleFormat {
				format = f.Path == "StatusCode"
			}
		}
		if format != tt.format {
			t.Errorf("JournalEntry StatusCode %s: int32 format finding %v, want %v: %v", tt.value, format, tt.format, v.Findings)
		}
	}
}
