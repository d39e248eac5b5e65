package catalogue

import (
	"fmt"
	"sync"
)

// Catalogue is the DIP message catalogue: every data type, block, interface
// and event variant of DIP API v2.2.1, indexed for lookup. It is immutable and
// safe for concurrent use; Default returns the one built from the generated
// tables.
type Catalogue struct {
	dataTypes  map[string]*DataType
	blocks     map[string]*Block
	interfaces map[string]*Interface
	order      []*Interface
	variants   map[string]*Variant // "IF-021 [ActivePower]"
	envelope   map[string]*Block
	arrays     map[string]*EnvelopeArray
	pool       sync.Pool // *Validator, for Decode and EncodeValid
}

func (c *Catalogue) validator() *Validator {
	if v, ok := c.pool.Get().(*Validator); ok {
		return v
	}
	return NewValidator(c)
}

func (c *Catalogue) release(v *Validator) { c.pool.Put(v) }

// Default returns the catalogue of DIP API v2.2.1.
var Default = sync.OnceValue(build)

func build() *Catalogue {
	c := &Catalogue{
		dataTypes:  map[string]*DataType{},
		blocks:     map[string]*Block{},
		interfaces: map[string]*Interface{},
		variants:   map[string]*Variant{},
		envelope:   map[string]*Block{},
		arrays:     map[string]*EnvelopeArray{},
	}
	for i := range dataTypeTable {
		c.dataTypes[dataTypeTable[i].Name] = &dataTypeTable[i]
	}
	for i := range envelopeDataTypes {
		c.dataTypes[envelopeDataTypes[i].Name] = &envelopeDataTypes[i]
	}
	for i := range blockTable {
		c.blocks[blockTable[i].Name] = &blockTable[i]
	}
	for i := range envelopeBlocks {
		c.envelope[envelopeBlocks[i].Name] = &envelopeBlocks[i]
	}
	for i := range envelopeArrays {
		c.arrays[envelopeArrays[i].Name] = &envelopeArrays[i]
	}
	for i := range interfaceTable {
		in := &interfaceTable[i]
		r := interfaceRoles[in.ID]
		in.Senders, in.Recipients = r.senders, r.recipients
		c.interfaces[in.ID] = in
		c.order = append(c.order, in)
		for _, v := range in.Variants {
			c.variants[in.ID+" "+v.EventCode] = v
		}
	}
	return c
}

// Interfaces returns every interface in catalogue order (IF-001 … REP-901).
func (c *Catalogue) Interfaces() []*Interface { return c.order }

// Interface returns the interface with id ("IF-021", "REP-002A").
func (c *Catalogue) Interface(id string) (*Interface, bool) {
	in, ok := c.interfaces[id]
	return in, ok
}

// Variant returns the variant of interface id for eventCode, which may be
// given with or without its brackets.
func (c *Catalogue) Variant(id, eventCode string) (*Variant, bool) {
	if v, ok := c.variants[id+" "+eventCode]; ok {
		return v, true
	}
	v, ok := c.variants[id+" ["+eventCode+"]"]
	return v, ok
}

// DataType returns the named data type.
func (c *Catalogue) DataType(name string) (*DataType, bool) {
	d, ok := c.dataTypes[name]
	return d, ok
}

// Block returns the named block (S1, B900, REP-002-CustomBlock, …).
func (c *Catalogue) Block(name string) (*Block, bool) {
	b, ok := c.blocks[name]
	return b, ok
}

// EnvelopeBlock returns a named object of the DIP API envelope
// (StandardResponseBodyType, MessageRequest, DIPJournalRecord, …).
func (c *Catalogue) EnvelopeBlock(name string) (*Block, bool) {
	b, ok := c.envelope[name]
	return b, ok
}

// Blocks returns every block name, sorted.
func (c *Catalogue) Blocks() []*Block {
	out := make([]*Block, len(blockTable))
	for i := range blockTable {
		out[i] = &blockTable[i]
	}
	return out
}

func mustVariant(id, event string) *Variant {
	v, ok := Default().Variant(id, event)
	if !ok {
		panic(fmt.Sprintf("catalogue: generated type for unknown variant %s %s", id, event))
	}
	return v
}
