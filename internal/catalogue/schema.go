package catalogue

import (
	"fmt"
	"math"
	"strings"
	"sync"
)

// node is a compiled schema: what the streaming validator checks one JSON
// value against. Nodes are built once per catalogue and shared.
type node struct {
	kind Kind // 0: any JSON value
	name string

	// strings
	minLen, maxLen int
	enum           []string
	enumSet        map[string]struct{}
	pattern        *matcher
	patternText    string
	format         string

	// numbers
	hasMin, hasMax bool
	min, max       float64
	multipleOf     float64

	// objects
	fields     []nodeField
	index      map[string]int
	additional bool
	// looseObject: the spec declares no type, so a non-object value passes.
	looseObject bool

	// arrays
	items        *node
	itemNullable bool
	minItems     int
	maxItems     int
	stateless    check // L2 check of the value
	requiredMask uint64
}

type nodeField struct {
	name     string
	node     *node
	required bool
	nullable bool
	capture  slot
}

// check is a stateless L2 check run on a string value that passed L1.
type check uint8

const (
	checkNone check = iota
	checkMPAN
	checkDateTime
	checkDate
)

// slot names an envelope value captured during validation.
type slot uint8

const (
	slotNone slot = iota
	slotInterfaceID
	slotSchemaVersion
	slotEventCode
	slotEnvironmentTag
	slotSubText
	slotSenderUniqueReference
	slotSenderTimestamp
	slotSenderDIPID
	slotSenderRoleID
	slotSenderCorrelationID
	slotDIPConnectionProviderID
	slotMPAN
	slotDistributorDIPID
	slotGSPGroupID
	slotPrimaryRecipients
	slotA0
	slotD0
	slotTransactionID
	slotPayload
)

// captures lists which CommonBlock fields fill the Envelope.
var captures = map[string]map[string]slot{
	"S0": {"interfaceID": slotInterfaceID, "schemaVersion": slotSchemaVersion, "eventCode": slotEventCode},
	"S1": {"environmentTag": slotEnvironmentTag, "subText": slotSubText, "senderUniqueReference": slotSenderUniqueReference,
		"senderTimestamp": slotSenderTimestamp, "senderDIPID": slotSenderDIPID, "senderRoleID": slotSenderRoleID,
		"senderCorrelationID": slotSenderCorrelationID, "DIPConnectionProviderID": slotDIPConnectionProviderID},
	"M0": {"MPANCore": slotMPAN, "distributorDIPID": slotDistributorDIPID, "GSPGroupID": slotGSPGroupID},
	"M1": {"principalMPAN": slotMPAN, "distributorDIPID": slotDistributorDIPID, "GSPGroupID": slotGSPGroupID},
	"A0": {"primaryRecipients": slotPrimaryRecipients},
	"D0": {"transactionID": slotTransactionID},
}

// schemas holds the compiled nodes of a catalogue.
type schemas struct {
	mu       sync.Mutex // guards blocks and types after construction
	c        *Catalogue
	types    map[string]*node
	blocks   map[string]*node // key: block name, or "name+capture"
	variants map[*Variant]*node
	message  map[*Variant]*node
}

var compiled sync.Map // *Catalogue -> *schemas

func (c *Catalogue) schemas() *schemas {
	if s, ok := compiled.Load(c); ok {
		return s.(*schemas)
	}
	s := &schemas{c: c, types: map[string]*node{}, blocks: map[string]*node{}, variants: map[*Variant]*node{}, message: map[*Variant]*node{}}
	for _, in := range c.order {
		for _, v := range in.Variants {
			n, err := s.variant(v)
			if err != nil {
				panic(fmt.Sprintf("catalogue: compile %s %s: %v", v.InterfaceID, v.EventCode, err))
			}
			s.variants[v] = n
			s.message[v] = s.wrap(n)
		}
	}
	actual, _ := compiled.LoadOrStore(c, s)
	return actual.(*schemas)
}

// wrap builds the DIPMessage node {"payload": …} around a payload node. The
// spec declares nothing about extra keys of DIPMessage, so they are allowed.
func (s *schemas) wrap(payload *node) *node {
	return newObject("DIPMessage", true, []nodeField{{name: "payload", node: payload, required: true, capture: slotPayload}})
}

func newObject(name string, additional bool, fields []nodeField) *node {
	n := &node{kind: KindObject, name: name, additional: additional, index: make(map[string]int, len(fields))}
	if len(fields) > 64 {
		panic("catalogue: object with more than 64 fields: " + name)
	}
	n.fields = fields
	for i, f := range fields {
		n.index[f.name] = i
		if f.required {
			n.requiredMask |= 1 << i
		}
	}
	return n
}

func (s *schemas) dataType(name string) (*node, error) {
	if n, ok := s.types[name]; ok {
		return n, nil
	}
	dt, ok := s.c.dataTypes[name]
	if !ok {
		return nil, fmt.Errorf("unknown data type %q", name)
	}
	n, err := scalarNode(dt)
	if err != nil {
		return nil, err
	}
	switch {
	case strings.HasPrefix(name, "DT-002"):
		n.stateless = checkMPAN
	case strings.HasPrefix(name, "DT-003"):
		n.stateless = checkDateTime
	case strings.HasPrefix(name, "DT-021"):
		n.stateless = checkDate
	}
	s.types[name] = n
	return n, nil
}

func scalarNode(dt *DataType) (*node, error) {
	n := &node{kind: dt.Kind, name: dt.Name, minLen: dt.MinLength, maxLen: dt.MaxLength,
		hasMin: dt.HasMinimum, min: dt.Minimum, hasMax: dt.HasMaximum, max: dt.Maximum,
		multipleOf: dt.MultipleOf, format: dt.Format}
	n.setEnum(dt.Enum)
	if dt.Pattern != "" {
		m, err := compilePattern(dt.Pattern)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dt.Name, err)
		}
		n.pattern, n.patternText = m, dt.Pattern
	}
	return n, nil
}

func (n *node) setEnum(enum []string) {
	n.enum = enum
	if len(enum) > 8 {
		n.enumSet = make(map[string]struct{}, len(enum))
		for _, e := range enum {
			n.enumSet[e] = struct{}{}
		}
	}
}

// ref compiles a field's referenced type: a data type, a block or an
// envelope object.
func (s *schemas) ref(name string, capture bool) (*node, error) {
	if _, ok := s.c.dataTypes[name]; ok {
		return s.dataType(name)
	}
	return s.block(name, capture)
}

func (s *schemas) block(name string, capture bool) (*node, error) {
	key := name
	if capture {
		key += "+capture"
	}
	if n, ok := s.blocks[key]; ok {
		return n, nil
	}
	b, ok := s.c.blocks[name]
	if !ok {
		if b, ok = s.c.envelope[name]; !ok {
			return nil, fmt.Errorf("unknown block %q", name)
		}
	}
	var slots map[string]slot
	if capture {
		slots = captures[name]
	}
	fields, err := s.fields(name, b.Fields, slots)
	if err != nil {
		return nil, err
	}
	n := newObject(name, b.Additional, fields)
	s.blocks[key] = n
	return n, nil
}

func (s *schemas) fields(owner string, fs []Field, slots map[string]slot) ([]nodeField, error) {
	out := make([]nodeField, 0, len(fs))
	for _, f := range fs {
		nf := nodeField{name: f.Name, required: f.Required, nullable: f.Nullable, capture: slots[f.Name]}
		var item *node
		itemNullable := false
		switch {
		case f.Ref != "":
			n, err := s.ref(f.Ref, false)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", owner, f.Name, err)
			}
			item = n
			if dt, ok := s.c.dataTypes[f.Ref]; ok {
				itemNullable = dt.Nullable
			}
		case f.OneOf != nil:
			item = &node{name: "payload"} // checked per variant by the caller
		case f.InlineKind == KindObject:
			sub, err := s.fields(owner+"."+f.Name, f.Fields, nil)
			if err != nil {
				return nil, err
			}
			item = newObject(owner+"."+f.Name, true, sub)
		default:
			item = &node{kind: f.InlineKind, name: owner + "." + f.Name, minLen: Unset, maxLen: Unset, format: f.Format}
			item.setEnum(f.Enum)
		}
		if f.Array != nil {
			nf.node = &node{kind: KindArray, name: item.name + "[]", items: item, itemNullable: itemNullable,
				minItems: f.Array.MinItems, maxItems: f.Array.MaxItems}
		} else {
			nf.node = item
		}
		out = append(out, nf)
	}
	return out, nil
}

// variant compiles the payload node of one variant.
func (s *schemas) variant(v *Variant) (*node, error) {
	// S0: its enums are the variant's.
	s0 := newObject("S0", v.Additional.S0 == Open, []nodeField{
		{name: "interfaceID", required: true, capture: slotInterfaceID, node: enumNode("S0.interfaceID", []string{v.InterfaceID})},
		{name: "schemaVersion", required: true, capture: slotSchemaVersion, node: enumNode("S0.schemaVersion", v.SchemaVersions)},
		{name: "eventCode", required: true, capture: slotEventCode, node: enumNode("S0.eventCode", []string{v.EventCode})},
	})
	var common []nodeField
	add := func(set *BlockSet, key string, required bool, capture bool) ([]nodeField, error) {
		if key == "S0" {
			return []nodeField{{name: "S0", node: s0, required: required}}, nil
		}
		r := set.Schema(key)
		bn, err := s.block(r.Block, capture && r.Block == key)
		if err != nil {
			return nil, err
		}
		if r.Array {
			bn = &node{kind: KindArray, name: key, items: bn, minItems: Unset, maxItems: r.MaxItems}
		}
		slotFor := slotNone
		switch key {
		case "A0":
			slotFor = slotA0
		case "D0":
			slotFor = slotD0
		}
		return []nodeField{{name: key, node: bn, required: required, capture: slotFor}}, nil
	}
	for _, k := range v.Common.Required {
		f, err := add(&v.Common, k, true, true)
		if err != nil {
			return nil, err
		}
		common = append(common, f...)
	}
	for _, k := range v.Common.Optional {
		f, err := add(&v.Common, k, false, true)
		if err != nil {
			return nil, err
		}
		common = append(common, f...)
	}
	cb := newObject("CommonBlock", v.Additional.CommonBlock == Open, common)
	cb.looseObject = v.Common.TypeNotDeclared

	var payload []nodeField
	required := func(k string) bool {
		for _, r := range v.PayloadRequired {
			if r == k {
				return true
			}
		}
		return false
	}
	payload = append(payload, nodeField{name: "CommonBlock", node: cb, required: required("CommonBlock")})
	if v.Custom != nil {
		var custom []nodeField
		for _, k := range v.Custom.Required {
			f, err := add(v.Custom, k, true, false)
			if err != nil {
				return nil, err
			}
			custom = append(custom, f...)
		}
		for _, k := range v.Custom.Optional {
			f, err := add(v.Custom, k, false, false)
			if err != nil {
				return nil, err
			}
			custom = append(custom, f...)
		}
		payload = append(payload, nodeField{name: "CustomBlock", node: newObject("CustomBlock", v.Additional.CustomBlock == Open, custom), required: required("CustomBlock")})
	}
	return newObject(v.Schema, v.Additional.Payload == Open, payload), nil
}

func enumNode(name string, values []string) *node {
	n := &node{kind: KindString, name: name, minLen: Unset, maxLen: Unset}
	n.setEnum(values)
	return n
}

// inEnum reports whether s is one of the node's enum values.
func (n *node) inEnum(s []byte) bool {
	if n.enumSet != nil {
		_, ok := n.enumSet[string(s)]
		return ok
	}
	for _, e := range n.enum {
		if e == string(s) {
			return true
		}
	}
	return false
}

func withinInt32(f float64) bool { return f >= math.MinInt32 && f <= math.MaxInt32 }

// envelopeNode compiles a named envelope object or array.
func (s *schemas) envelopeNode(name string) (*node, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.c.arrays[name]; ok {
		items, err := s.block(a.Items, false)
		if err != nil {
			return nil, err
		}
		return &node{kind: KindArray, name: name, items: items, minItems: a.MinItems, maxItems: Unset}, nil
	}
	if _, ok := s.c.envelope[name]; !ok {
		return nil, fmt.Errorf("catalogue: no envelope schema %q", name)
	}
	return s.block(name, false)
}
