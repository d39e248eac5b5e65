package catalogue

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"
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
	// enumKeys holds the enum values packed by packEnum when all are short
	// enough (most enums are codes of a few letters): a list to scan when
	// short, else an open-addressing hash table (see inEnum).
	enumKeys    []uint64
	pattern     *matcher
	patternText string
	format      string
	quick       quick // a check str can run on the bytes before reading the string

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
	// quoted is name followed by '"', the bytes after a key's opening quote
	// when the key is this field's name written without escapes; "" when the
	// name holds bytes that a JSON string must escape or that need a check
	// (then the key is always read in full), or when a later field has the
	// same name (index picks the later one). qword and qmask hold quoted,
	// when at most eight bytes, as keyAt compares it.
	quoted       string
	qword, qmask uint64
}

// field returns field i, or nil past the last.
func (n *node) field(i int) *nodeField {
	if uint(i) < uint(len(n.fields)) {
		return &n.fields[i]
	}
	return nil
}

// keyAt reports whether data holds f.quoted at offset at: whether the key
// whose opening quote is at at-1 is f's name.
func (f *nodeField) keyAt(data []byte, at int) bool {
	q := f.quoted
	if q == "" {
		return false
	}
	if len(q) <= 8 && len(data)-at >= 8 {
		return binary.LittleEndian.Uint64(data[at:])&f.qmask == f.qword
	}
	return len(data)-at >= len(q) && string(data[at:at+len(q)]) == q
}

// quick names a check whose success shows, without reading the string
// first, that the string value at hand is plain (no escapes, ASCII) and ends
// where the check ended (see node.quickLen).
type quick uint8

const (
	quickNone     quick = iota
	quickPattern        // the pattern, greedy and over plain bytes only
	quickDateTime       // the checkDateTime L2 check
)

// setQuick picks the node's quick check, if it has one.
func (n *node) setQuick() {
	switch {
	case n.kind != KindString:
	case n.pattern != nil && n.pattern.greedy && n.pattern.atoms != nil && plainAtoms(n.pattern.atoms):
		n.quick = quickPattern
	case n.stateless == checkDateTime:
		n.quick = quickDateTime
	}
}

// plainAtoms reports whether the atoms accept plainByte bytes only.
func plainAtoms(atoms []atom) bool {
	for i := range atoms {
		for c, ok := range atoms[i].set {
			if ok && !plainByte[c] {
				return false
			}
		}
	}
	return true
}

// quickLen runs the node's quick check on the string whose first byte
// (after the opening quote) is data[at]. When the check passes on bytes
// followed by '"', it returns their length: they are then the whole string,
// unescaped, as scanString would read it (all are plainByte, so the first
// '"' is the closing one). Else it returns -1.
func (n *node) quickLen(data []byte, at int) int {
	l := -1
	switch n.quick {
	case quickPattern:
		l = matchGreedyPrefix(n.pattern.atoms, data[at:])
	case quickDateTime:
		if len(data)-at >= 25 && validDateTime(data[at:at+25]) {
			l = 25
		}
	}
	if l < 0 || at+l >= len(data) || data[at+l] != '"' {
		return -1
	}
	return l
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
	slotResponseCode
	slotResponseMessages
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
	"R0": {"responseCode": slotResponseCode, "responseMessages": slotResponseMessages},
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
	// anyMessage is the message node when no variant could be chosen: its
	// payload may be any value.
	anyMessage *node
}

var compiled sync.Map // *Catalogue -> *schemas

func (c *Catalogue) schemas() *schemas {
	if s, ok := compiled.Load(c); ok {
		return s.(*schemas)
	}
	s := &schemas{c: c, types: map[string]*node{}, blocks: map[string]*node{}, variants: map[*Variant]*node{}, message: map[*Variant]*node{}}
	s.anyMessage = s.wrap(&node{})
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
	for i := range fields {
		f := &fields[i]
		f.quoted = ""
		if n.index[f.name] == i && plainString(f.name) {
			f.quoted = f.name + `"`
			if len(f.quoted) <= 8 {
				var w [8]byte
				copy(w[:], f.quoted)
				f.qword = binary.LittleEndian.Uint64(w[:])
				f.qmask = 1<<(8*len(f.quoted)) - 1
				if len(f.quoted) == 8 {
					f.qmask = ^uint64(0)
				}
			}
		}
	}
	return n
}

// plainString reports whether s is made of plainByte bytes only: written
// as a JSON string, it is itself between quotes.
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !plainByte[s[i]] {
			return false
		}
	}
	return true
}

// smallObject is the most fields an object may have for fieldIndex to scan
// them rather than hash the key.
const smallObject = 16

// fieldIndex returns the index of the field named key (already unescaped),
// as n.index does: with duplicate names, the last field.
func (n *node) fieldIndex(key []byte) (int, bool) {
	if len(n.fields) > smallObject {
		fi, ok := n.index[string(key)]
		return fi, ok
	}
	for i := len(n.fields) - 1; i >= 0; i-- {
		if n.fields[i].name == string(key) {
			return i, true
		}
	}
	return -1, false
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
	n.setQuick()
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
	if enum == nil {
		return
	}
	keys := make([]uint64, 0, len(enum))
	for _, e := range enum {
		k, ok := packEnum([]byte(e))
		if !ok {
			keys = nil
			break
		}
		keys = append(keys, k)
	}
	if keys != nil {
		n.enumKeys = keys
		if len(keys) > 8 {
			n.enumKeys = enumTable(keys)
		}
		return
	}
	if len(enum) > 8 {
		n.enumSet = make(map[string]struct{}, len(enum))
		for _, e := range enum {
			n.enumSet[e] = struct{}{}
		}
	}
}

// enumTable builds the hash table of packed enum values inEnum probes: a
// power-of-two number of slots, at least twice the values, each empty
// (noKey) or holding a value, which sits at its hash or after it (wrapping
// round) with no empty slot between.
func enumTable(keys []uint64) []uint64 {
	size := 16
	for size < 2*len(keys) {
		size *= 2
	}
	t := make([]uint64, size)
	for i := range t {
		t[i] = noKey
	}
	for _, k := range keys {
		for i := enumHash(k, size); ; i = (i + 1) & (size - 1) {
			if t[i] == k {
				break
			}
			if t[i] == noKey {
				t[i] = k
				break
			}
		}
	}
	return t
}

// noKey marks an empty slot of an enum table: no packing has 0xff as its
// length byte.
const noKey = ^uint64(0)

// enumHash is the slot of packed value k in a table of size slots
// (Fibonacci hashing).
func enumHash(k uint64, size int) int {
	return int((k * 0x9E3779B97F4A7C15) >> (64 - bits.TrailingZeros(uint(size))))
}

// maxPacked is the longest string packEnum packs.
const maxPacked = 7

// packEnum packs a string of at most maxPacked bytes into a uint64, its
// bytes in the low seven bytes and its length in the top one, so that two
// strings are equal exactly when their packings are.
func packEnum(s []byte) (uint64, bool) {
	if len(s) > maxPacked {
		return 0, false
	}
	k := uint64(len(s)) << 56
	for i, c := range s {
		k |= uint64(c) << (8 * i)
	}
	return k, true
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
	if n.enumKeys != nil {
		k, ok := packEnum(s)
		if !ok {
			return false
		}
		t := n.enumKeys
		if len(t) <= 8 { // a list: a table has at least 16 slots
			return slices.Contains(t, k)
		}
		for i := enumHash(k, len(t)); ; i = (i + 1) & (len(t) - 1) {
			switch t[i] {
			case k:
				return true
			case noKey:
				return false
			}
		}
	}
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
