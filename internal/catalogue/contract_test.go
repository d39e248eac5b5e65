package catalogue

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mhhs/mhhs/reference"
)

// contractPath is the repository's copy of the DIP contract
// (reference/dip-contract.json, checked against the shared one by the
// reference package). Point MHHS_CONTRACT at another copy of
// dip-contract.json to check the catalogue against it.
func contractPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("MHHS_CONTRACT")
	if p == "" {
		p = filepath.Join(reference.Dir(), "dip-contract.json")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("contract not found at %s: %v", p, err)
	}
	return p
}

func loadContract(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(contractPath(t))
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestConformance proves that the catalogue holds exactly the contract's
// facts: every interface, variant, block, field, type, length, pattern, enum,
// bound and the envelope. It exports the catalogue in the contract's shape and
// compares. Two normalisations apply to the file: "nullable": false is the
// same as no nullable key, and S0's "per variant" enum text is a marker.
func TestConformance(t *testing.T) {
	want := loadContract(t)
	normalise(want)
	got := exportContract(Default())
	for _, section := range []string{"dataTypes", "blocks", "interfaces", "envelope"} {
		if diff := cmp.Diff(want[section], got[section]); diff != "" {
			t.Errorf("catalogue %s differs from the contract (-contract +catalogue):\n%s", section, diff)
		}
	}
}

func normalise(v any) {
	switch x := v.(type) {
	case map[string]any:
		if n, ok := x["nullable"].(bool); ok && !n {
			if _, isField := x["name"]; !isField {
				delete(x, "nullable")
			}
		}
		if e, ok := x["enum"].(string); ok && e != "" {
			x["enum"] = "per variant"
		}
		if a, ok := x["additionalProperties"].(string); ok && a != "" {
			x["additionalProperties"] = "per variant"
		}
		for _, c := range x {
			normalise(c)
		}
	case []any:
		for _, c := range x {
			normalise(c)
		}
	}
}

func exportContract(c *Catalogue) map[string]any {
	dts := map[string]any{}
	for _, d := range dataTypeTable {
		dts[d.Name] = exportDataType(&d)
	}
	blocks := map[string]any{}
	for _, b := range blockTable {
		blocks[b.Name] = exportBlock(&b)
	}
	ifs := map[string]any{}
	for _, in := range c.Interfaces() {
		var pub any
		if in.Publication != "" {
			pub = in.Publication
		}
		var vars []any
		for _, v := range in.Variants {
			vars = append(vars, exportVariant(v))
		}
		ifs[in.ID] = map[string]any{"title": in.Title, "publication": pub, "schemaVersion": strs(in.SchemaVersions),
			"payloadSchema": in.PayloadSchema, "payloadForm": in.PayloadForm, "variants": vars}
	}
	env := map[string]any{}
	for _, b := range envelopeBlocks {
		env[b.Name] = exportBlock(&b)
	}
	for _, a := range envelopeArrays {
		env[a.Name] = map[string]any{"type": "array", "items": a.Items, "minItems": float64(a.MinItems)}
	}
	for _, d := range envelopeDataTypes {
		env[d.Name] = exportDataType(&d)
	}
	sbs := map[string]any{}
	for k, v := range StatusByStage {
		sbs[k] = strs(v)
	}
	env["statusByStage"] = sbs
	env["statusByStageNote"] = StatusByStageNote
	env["responseMessageValuesSeenInSpecExamples"] = strs(ResponseMessagesSeenInSpec)
	return map[string]any{"dataTypes": dts, "blocks": blocks, "interfaces": ifs, "envelope": env}
}

func strs(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

func exportDataType(d *DataType) map[string]any {
	m := map[string]any{"type": d.Kind.String()}
	if d.Nullable {
		m["nullable"] = true
	}
	if d.MinLength != Unset {
		m["minLength"] = float64(d.MinLength)
	}
	if d.MaxLength != Unset {
		m["maxLength"] = float64(d.MaxLength)
	}
	if d.Pattern != "" {
		m["pattern"] = d.Pattern
	}
	if d.Enum != nil {
		m["enum"] = strs(d.Enum)
	}
	if d.HasMinimum {
		m["minimum"] = d.Minimum
	}
	if d.HasMaximum {
		m["maximum"] = d.Maximum
	}
	if d.MultipleOf != 0 {
		m["multipleOf"] = d.MultipleOf
	}
	if d.Format != "" {
		m["format"] = d.Format
	}
	if d.SetBy != "" {
		m["x-setBy"] = d.SetBy
	}
	return m
}

func exportFields(fs []Field) []any {
	var out []any
	for _, f := range fs {
		m := map[string]any{"name": f.Name, "required": f.Required, "nullable": f.Nullable}
		if f.Ref != "" {
			m["ref"] = f.Ref
		}
		if f.Array != nil {
			a := map[string]any{}
			if f.Array.MinItems != Unset {
				a["minItems"] = float64(f.Array.MinItems)
			}
			if f.Array.MaxItems != Unset {
				a["maxItems"] = float64(f.Array.MaxItems)
			}
			m["array"] = a
		}
		if f.InlineKind != 0 {
			m["type"] = f.InlineKind.String()
		}
		if f.EnumPerVariant {
			m["enum"] = "per variant"
		}
		if f.Enum != nil {
			m["enum"] = strs(f.Enum)
		}
		if f.Format != "" {
			m["format"] = f.Format
		}
		if f.Unit != "" {
			m["x-unit"] = f.Unit
		}
		if f.Fields != nil {
			m["fields"] = exportFields(f.Fields)
		}
		if f.OneOf != nil {
			m["oneOf"] = strs(f.OneOf)
		}
		out = append(out, m)
	}
	return out
}

func exportBlock(b *Block) map[string]any {
	m := map[string]any{"fields": exportFields(b.Fields)}
	if b.AdditionalPerVariant {
		m["additionalProperties"] = "per variant"
	} else {
		m["additionalProperties"] = b.Additional
	}
	if b.Inline {
		m["inline"] = true
	}
	return m
}

func exportBlockSet(s *BlockSet) map[string]any {
	m := map[string]any{"required": strs(s.Required), "optional": strs(s.Optional)}
	if s.TypeNotDeclared {
		m["typeDeclared"] = false
	}
	if s.BlockRefs != nil {
		r := map[string]any{}
		for k, v := range s.BlockRefs {
			r[k] = v
		}
		m["blockRefs"] = r
	}
	if s.KeyRefs != nil {
		r := map[string]any{}
		for k, v := range s.KeyRefs {
			if !v.Array {
				r[k] = v.Block
				continue
			}
			e := map[string]any{"arrayOf": v.Block}
			if v.MaxItems != Unset {
				e["maxItems"] = float64(v.MaxItems)
			}
			r[k] = e
		}
		m["keyRefs"] = r
	}
	return m
}

func exportVariant(v *Variant) map[string]any {
	m := map[string]any{"eventCode": v.EventCode, "schema": v.Schema, "interfaceID": v.InterfaceID,
		"schemaVersion": strs(v.SchemaVersions), "payloadRequired": strs(v.PayloadRequired),
		"commonBlock": exportBlockSet(&v.Common)}
	if v.Custom != nil {
		m["customBlock"] = exportBlockSet(v.Custom)
	} else {
		m["customBlock"] = nil
	}
	ap := map[string]any{}
	for k, o := range map[string]Openness{"payload": v.Additional.Payload, "CommonBlock": v.Additional.CommonBlock, "S0": v.Additional.S0, "CustomBlock": v.Additional.CustomBlock} {
		if o != Unstated {
			ap[k] = o == Open
		}
	}
	m["additionalProperties"] = ap
	if v.ValidatePath != "" {
		m["validateEndpoint"] = map[string]any{"path": v.ValidatePath, "schema": v.ValidateSchema}
	} else {
		m["validateEndpoint"] = nil
	}
	return m
}

// TestGeneratedCodeIsCurrent regenerates the tables and typed messages from
// the contract and requires them to equal the committed files.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	path, err := filepath.Abs(contractPath(t))
	if err != nil {
		t.Fatal(err)
	}
	if testing.Short() {
		t.Skip("runs the generator with go run")
	}
	dir := t.TempDir()
	cmd := exec.Command("go", "run", "./gen", "-contract", path, "-out", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generator: %v\n%s", err, out)
	}
	for _, f := range []string{"tables_gen.go", "messages_gen.go"} {
		want, _ := os.ReadFile(filepath.Join(dir, f))
		got, _ := os.ReadFile(f)
		if !bytes.Equal(want, got) {
			t.Errorf("%s is stale: run go generate ./internal/catalogue", f)
		}
	}
}
