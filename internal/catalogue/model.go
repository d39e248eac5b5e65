package catalogue

// Kind is the JSON type of a data type, field or block.
type Kind uint8

// The JSON kinds the contract uses.
const (
	KindString Kind = iota + 1
	KindInteger
	KindNumber
	KindBoolean
	KindObject
	KindArray
)

// String returns the JSON Schema name of the kind.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindInteger:
		return "integer"
	case KindNumber:
		return "number"
	case KindBoolean:
		return "boolean"
	case KindObject:
		return "object"
	case KindArray:
		return "array"
	}
	return "unknown"
}

// Unset marks an absent length or item bound.
const Unset = -1

// DataType is a named scalar type of the contract (DT-xxx, DI-xxx), with its
// constraints. Length bounds count Unicode code points, as JSON Schema does.
type DataType struct {
	Name       string
	Kind       Kind
	Nullable   bool
	MinLength  int // Unset when absent
	MaxLength  int // Unset when absent
	Pattern    string
	Enum       []string
	HasMinimum bool
	Minimum    float64
	HasMaximum bool
	Maximum    float64
	MultipleOf float64 // 0 when absent
	Format     string  // uuid, email, uri, byte, int32
	SetBy      string  // who fills the value ("DIP" for replayIndicator)
}

// ArrayBounds are the item bounds of an array field.
type ArrayBounds struct {
	MinItems int // Unset when absent
	MaxItems int // Unset when absent
}

// Field is one key of a block.
//
// A field's type is either Ref (a DataType or Block name) or inline
// (InlineKind with its Enum, Format and Fields). Array fields hold a list of
// Ref; the items take the nullability of the referenced data type.
type Field struct {
	Name     string
	Required bool
	Nullable bool
	Ref      string
	Array    *ArrayBounds

	InlineKind     Kind
	Enum           []string
	EnumPerVariant bool // S0 keys: the allowed values come from the variant
	Format         string
	Unit           string
	Fields         []Field  // inline object
	OneOf          []string // envelope payload: one of these payload schemas
}

// Block is an object schema: a CommonBlock block (S0, S1, M0, …), a CustomBlock
// block (B001, …), a report structure or an envelope object.
type Block struct {
	Name   string
	Fields []Field
	// Additional reports whether keys beyond Fields are allowed. The spec
	// forbids them in most blocks; a few declare nothing, which JSON Schema reads
	// as allowed.
	Additional bool
	// AdditionalPerVariant is set for S0, whose openness the variant decides.
	AdditionalPerVariant bool
	Inline               bool
}

// Field returns the field called name.
func (b *Block) Field(name string) (*Field, bool) {
	for i := range b.Fields {
		if b.Fields[i].Name == name {
			return &b.Fields[i], true
		}
	}
	return nil, false
}

// Openness says whether an object accepts undeclared keys.
type Openness int8

// Openness values.
const (
	Unstated Openness = iota // the variant does not have this object
	Closed                   // additionalProperties: false
	Open                     // nothing declared: extra keys allowed
)

// KeyRef says which schema a custom-block key uses when it differs from the
// key's own name: another block, or an array of a block.
type KeyRef struct {
	Block    string
	Array    bool
	MaxItems int // Unset when absent
}

// BlockSet lists the blocks of a CommonBlock or CustomBlock.
type BlockSet struct {
	Required []string
	Optional []string
	// TypeNotDeclared is set where the spec gives the CommonBlock no type, so
	// that a non-object value is not a type failure (IF-050, IF-061..065).
	TypeNotDeclared bool
	BlockRefs       map[string]string // IF-016: S2 uses S1, R1 uses R0
	KeyRefs         map[string]KeyRef
}

// Keys returns the required then the optional keys.
func (s *BlockSet) Keys() []string {
	return append(append([]string(nil), s.Required...), s.Optional...)
}

// Schema returns the name of the block schema that key uses, and whether the
// key holds an array of it.
func (s *BlockSet) Schema(key string) KeyRef {
	if r, ok := s.KeyRefs[key]; ok {
		return r
	}
	if b, ok := s.BlockRefs[key]; ok {
		return KeyRef{Block: b, MaxItems: Unset}
	}
	return KeyRef{Block: key, MaxItems: Unset}
}

// Additional is the openness of the payload, CommonBlock, S0 and CustomBlock
// objects of a variant.
type Additional struct {
	Payload, CommonBlock, S0, CustomBlock Openness
}

// Variant is one event of an interface: the payload schema chosen by
// interfaceID and eventCode.
type Variant struct {
	InterfaceID     string
	EventCode       string // with brackets, as on the wire: "[ActivePower]"
	Schema          string
	SchemaVersions  []string
	PayloadRequired []string
	Common          BlockSet
	Custom          *BlockSet // nil where the variant has no CustomBlock
	Additional      Additional
	ValidatePath    string // "" where the spec has no validate endpoint
	ValidateSchema  string
}

// Event returns the event code without its brackets.
func (v *Variant) Event() string {
	e := v.EventCode
	if len(e) >= 2 && e[0] == '[' && e[len(e)-1] == ']' {
		return e[1 : len(e)-1]
	}
	return e
}

// Interface is one DIP message channel (IF-nnn or REP-nnn).
type Interface struct {
	ID             string
	Title          string
	Publication    string // PUB-nnn; "" where the spec gives none
	SchemaVersions []string
	PayloadSchema  string
	PayloadForm    string
	Variants       []*Variant
	// Senders and Recipients are role codes from the Interface Catalogue (not
	// in the DIP API spec); see roles.go.
	Senders    []string
	Recipients []string
}

// Variant returns the variant for eventCode (with or without brackets).
func (f *Interface) Variant(eventCode string) (*Variant, bool) {
	for _, v := range f.Variants {
		if v.EventCode == eventCode || v.Event() == eventCode {
			return v, true
		}
	}
	return nil, false
}

// EnvelopeArray is an array schema of the envelope (DIPMessageArray, …).
type EnvelopeArray struct {
	Name     string
	Items    string
	MinItems int
}
