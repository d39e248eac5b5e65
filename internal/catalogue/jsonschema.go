package catalogue

// JSONSchema returns a JSON Schema (draft 2020-12) for the payload of variant
// v, as a value ready for encoding/json. It states the same rules as the
// validator: nullable types admit null, closed objects forbid extra keys,
// formats are listed (a schema validator asserts them only if asked). It
// serves the published OpenAPI document and lets a general JSON Schema
// validator check mhhs's validator (see TestAgreesWithJSONSchema).
func (c *Catalogue) JSONSchema(v *Variant) map[string]any {
	g := schemaGen{c: c, defs: map[string]any{}}
	s0 := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"interfaceID":   map[string]any{"type": "string", "enum": []any{v.InterfaceID}},
			"schemaVersion": map[string]any{"type": "string", "enum": anys(v.SchemaVersions)},
			"eventCode":     map[string]any{"type": "string", "enum": []any{v.EventCode}},
		},
		"required": []any{"interfaceID", "schemaVersion", "eventCode"},
	}
	if v.Additional.S0 != Open {
		s0["additionalProperties"] = false
	}
	blockSet := func(set *BlockSet, open Openness, typed bool) map[string]any {
		props := map[string]any{}
		for _, k := range set.Keys() {
			if k == "S0" {
				props[k] = s0
				continue
			}
			r := set.Schema(k)
			ref := g.ref(r.Block)
			if r.Array {
				arr := map[string]any{"type": "array", "items": ref}
				if r.MaxItems != Unset {
					arr["maxItems"] = r.MaxItems
				}
				ref = arr
			}
			props[k] = ref
		}
		m := map[string]any{"properties": props, "required": anys(set.Required)}
		if typed {
			m["type"] = "object"
		}
		if open != Open {
			m["additionalProperties"] = false
		}
		return m
	}
	payloadProps := map[string]any{"CommonBlock": blockSet(&v.Common, v.Additional.CommonBlock, !v.Common.TypeNotDeclared)}
	if v.Custom != nil {
		payloadProps["CustomBlock"] = blockSet(v.Custom, v.Additional.CustomBlock, true)
	}
	payload := map[string]any{"type": "object", "properties": payloadProps, "required": anys(v.PayloadRequired)}
	if v.Additional.Payload != Open {
		payload["additionalProperties"] = false
	}
	payload["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	payload["$defs"] = g.defs
	payload["title"] = v.InterfaceID + " " + v.EventCode
	return payload
}

// JSONSchemaArray returns the schema of a DIP message array whose messages
// are all of variant v: [{"payload": …}, …] with at least one item.
func (c *Catalogue) JSONSchemaArray(v *Variant) map[string]any {
	p := c.JSONSchema(v)
	defs := p["$defs"]
	delete(p, "$defs")
	delete(p, "$schema")
	return map[string]any{
		"$schema":  "https://json-schema.org/draft/2020-12/schema",
		"type":     "array",
		"minItems": 1,
		"items": map[string]any{
			"type":       "object",
			"properties": map[string]any{"payload": p},
			"required":   []any{"payload"},
		},
		"$defs": defs,
	}
}

type schemaGen struct {
	c    *Catalogue
	defs map[string]any
}

func (g *schemaGen) ref(name string) map[string]any {
	if _, done := g.defs[name]; !done {
		g.defs[name] = nil // reserve against cycles
		if dt, ok := g.c.dataTypes[name]; ok {
			g.defs[name] = dataTypeSchema(dt)
		} else if b, ok := g.c.blocks[name]; ok {
			g.defs[name] = g.block(b)
		} else if b, ok := g.c.envelope[name]; ok {
			g.defs[name] = g.block(b)
		}
	}
	return map[string]any{"$ref": "#/$defs/" + name}
}

func (g *schemaGen) block(b *Block) map[string]any {
	props := map[string]any{}
	var required []any
	for _, f := range b.Fields {
		props[f.Name] = g.field(&f)
		if f.Required {
			required = append(required, f.Name)
		}
	}
	m := map[string]any{"type": "object", "properties": props}
	if required != nil {
		m["required"] = required
	}
	if !b.Additional {
		m["additionalProperties"] = false
	}
	return m
}

func (g *schemaGen) field(f *Field) map[string]any {
	var item map[string]any
	switch {
	case f.Ref != "":
		item = g.ref(f.Ref)
	case f.InlineKind == KindObject:
		item = g.block(&Block{Name: f.Name, Fields: f.Fields, Additional: true})
	case f.OneOf != nil:
		item = map[string]any{}
	default:
		item = map[string]any{"type": f.InlineKind.String()}
		if f.Enum != nil {
			item["enum"] = anys(f.Enum)
		}
		if f.Format != "" {
			item["format"] = f.Format
		}
	}
	if f.Array == nil {
		return item
	}
	arr := map[string]any{"type": "array", "items": item}
	if f.Array.MinItems != Unset {
		arr["minItems"] = f.Array.MinItems
	}
	if f.Array.MaxItems != Unset {
		arr["maxItems"] = f.Array.MaxItems
	}
	return arr
}

func dataTypeSchema(dt *DataType) map[string]any {
	m := map[string]any{}
	if dt.Nullable {
		m["type"] = []any{dt.Kind.String(), "null"}
	} else {
		m["type"] = dt.Kind.String()
	}
	if dt.MinLength != Unset {
		m["minLength"] = dt.MinLength
	}
	if dt.MaxLength != Unset {
		m["maxLength"] = dt.MaxLength
	}
	if dt.Pattern != "" {
		m["pattern"] = dt.Pattern
	}
	if dt.Enum != nil {
		e := anys(dt.Enum)
		if dt.Nullable {
			e = append(e, nil)
		}
		m["enum"] = e
	}
	if dt.HasMinimum {
		m["minimum"] = dt.Minimum
	}
	if dt.HasMaximum {
		m["maximum"] = dt.Maximum
	}
	if dt.MultipleOf != 0 {
		m["multipleOf"] = dt.MultipleOf
	}
	if dt.Format != "" {
		m["format"] = dt.Format
	}
	return m
}

func anys(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// DataTypeSchema returns the JSON Schema of a data type, as JSONSchema states
// it in its $defs (the published OpenAPI document reuses it).
func DataTypeSchema(dt *DataType) map[string]any { return dataTypeSchema(dt) }

// EnvelopeArray returns a named array schema of the DIP API envelope
// (DIPMessageArray, StandardResponseArray, …).
func (c *Catalogue) EnvelopeArray(name string) (*EnvelopeArray, bool) {
	a, ok := c.arrays[name]
	return a, ok
}
